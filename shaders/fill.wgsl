// y[i] = value. Used for zeros/ones/full and zeroing gradient buffers. Elements are V (f32 or
// vec4, shaders/lib/lanes*.wgsl); p.n counts V elements.
//!include grid
//!include lanes
struct Params { n: u32, value: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> y: array<V>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    y[i] = splat(p.value);
  }
}
