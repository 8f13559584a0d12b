// Row-wise softmax of scale * x over the last axis of x[rows, C], numerically stable (the row's
// maximum is subtracted before exp). One invocation per row, as log_softmax.wgsl: a workgroup
// per row with a shared-memory reduction ran slower under llvmpipe (attention's [48, 197, 197]
// forward + backward: 754 ms against 433 ms, both with ~245 ms of surrounding ops).
// Columns from `valid` on are padding (attention's keys padded to a multiple of 4 tokens): they are
// excluded from the maximum and the sum and get probability 0.
struct Params { rows: u32, C: u32, scale: f32, valid: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let r = gid.y * nw.x * 64u + gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var m = -3.4028234663852886e38;
  for (var j = 0u; j < p.valid; j++) { m = max(m, p.scale * x[base + j]); }
  var s = 0.0;
  for (var j = 0u; j < p.valid; j++) {
    let e = exp(p.scale * x[base + j] - m);
    y[base + j] = e;
    s += e;
  }
  let inv = 1.0 / s;
  for (var j = 0u; j < p.valid; j++) { y[base + j] *= inv; }
  for (var j = p.valid; j < p.C; j++) { y[base + j] = 0.0; }
}
