// out[i] = x[strided index of i]: a general transpose/permute of up to 8 dims.
// `shape` is the output shape; `sx` gives, per output dim, the input stride.
//!include grid
struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4<u32>, 2>,
  sx: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    var rem = i;
    var ix = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let du = u32(d);
      let extent = p.shape[du / 4u][du % 4u];
      ix += (rem % extent) * p.sx[du / 4u][du % 4u];
      rem = rem / extent;
    }
    out[i] = x[ix];
  }
}
