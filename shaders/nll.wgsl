// Negative log-likelihood per row: out[r] = -logp[r, label[r]] * scale. Labels are stored as f32
// (exact for class indices below 2^24). A label outside [0, C) yields NaN so it cannot go unnoticed.
struct Params { rows: u32, C: u32, scale: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logp: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.rows) { return; }
  let l = labels[r];
  if (l < 0.0 || l >= f32(p.C) || l != floor(l)) {
    let zero = 0.0;
    out[r] = zero / zero;
    return;
  }
  out[r] = -logp[r * p.C + u32(l)] * p.scale;
}
