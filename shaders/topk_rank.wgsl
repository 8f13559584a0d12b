// For each row, writes two flags: whether the label's score is the top-1 and among the top-5.
// rank = number of classes scoring higher, plus equal-scoring classes with a smaller index,
// so ties are broken the way a stable sort would.
struct Params { rows: u32, C: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;   // [rows, 2]

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  let l = u32(labels[r]);
  let v = x[base + l];
  var rank = 0u;
  for (var j = 0u; j < p.C; j++) {
    let u = x[base + j];
    if (u > v || (u == v && j < l)) { rank++; }
  }
  out[2u * r] = select(0.0, 1.0, rank < 1u);
  out[2u * r + 1u] = select(0.0, 1.0, rank < 5u);
}
