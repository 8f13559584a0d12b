// Backward of y = softmax(scale * x) per row: dx = scale * y * (g - sum_j g_j y_j).
struct Params { rows: u32, C: u32, scale: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let r = gid.y * nw.x * 64u + gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var j = 0u; j < p.C; j++) { s += g[base + j] * y[base + j]; }
  for (var j = 0u; j < p.C; j++) { dx[base + j] = p.scale * y[base + j] * (g[base + j] - s); }
}
