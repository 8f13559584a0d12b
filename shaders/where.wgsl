// out = cond != 0 ? a : b, with broadcasting (strides of 0) on all three inputs.
//!include grid
struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4<u32>, 2>,
  sc: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> cond: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    var rem = i;
    var ic = 0u;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let du = u32(d);
      let extent = p.shape[du / 4u][du % 4u];
      let c = rem % extent;
      rem = rem / extent;
      ic += c * p.sc[du / 4u][du % 4u];
      ia += c * p.sa[du / 4u][du % 4u];
      ib += c * p.sb[du / 4u][du % 4u];
    }
    out[i] = select(b[ib], a[ia], cond[ic] != 0.0);
  }
}
