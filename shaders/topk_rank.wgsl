// For each row, writes two flags: whether the label's score is the top-1 and among the top-5.
// rank = number of classes scoring higher, plus equal-scoring classes with a smaller index,
// so ties are broken the way a stable sort would. ±Inf compare as ordinary values.
//
// NaN: a row whose label logit is NaN is never a hit (neither top-1 nor top-5), so a diverged
// model cannot score 100%; a NaN elsewhere in the row ranks above every number (as torch.topk
// orders NaN), so it pushes the label down. NaN is detected from the bits, not with `v != v`:
// WGSL lets compilers assume floats are never NaN and fold such comparisons away.
struct Params { rows: u32, C: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // [rows, 2]

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  let l = u32(labels[r]);
  let v = x[base + l];
  var rank = 0u;
  if (is_nan(v)) {
    rank = p.C;
  } else {
    for (var j = 0u; j < p.C; j++) {
      let u = x[base + j];
      if (is_nan(u) || u > v || (u == v && j < l)) { rank++; }
    }
  }
  out[2u * r] = select(0.0, 1.0, rank < 1u);
  out[2u * r + 1u] = select(0.0, 1.0, rank < 5u);
}
