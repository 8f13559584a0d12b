// Backward of layer norm per row, with xhat = (x - mean) * rstd and gh = g * w:
//   dx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),
// and the per-row terms of the weight gradient, gxhat = g * xhat, which the caller sums over
// rows (the bias gradient is the row sum of g).
struct Params { rows: u32, D: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> gxhat: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let r = gid.y * nw.x * 64u + gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.D;
  let mean = stats[2u * r];
  let rstd = stats[2u * r + 1u];
  var sg = 0.0;
  var sgx = 0.0;
  for (var j = 0u; j < p.D; j++) {
    let xh = (x[base + j] - mean) * rstd;
    let gh = g[base + j] * w[j];
    sg += gh;
    sgx += gh * xh;
    gxhat[base + j] = g[base + j] * xh;
  }
  let inv = 1.0 / f32(p.D);
  let mg = sg * inv;
  let mgx = sgx * inv;
  for (var j = 0u; j < p.D; j++) {
    let xh = (x[base + j] - mean) * rstd;
    dx[base + j] = rstd * (g[base + j] * w[j] - mg - xh * mgx);
  }
}
