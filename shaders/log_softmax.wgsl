// Row-wise log-softmax of x[rows, C]: out = x - max - log(sum(exp(x - max))).
// One invocation per row: class counts are small (10 to 1000), rows are many.
struct Params { rows: u32, C: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var m = -3.4028234663852886e38;
  for (var j = 0u; j < p.C; j++) { m = max(m, x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.C; j++) { s += exp(x[base + j] - m); }
  let lse = m + log(s);
  for (var j = 0u; j < p.C; j++) { out[base + j] = x[base + j] - lse; }
}
