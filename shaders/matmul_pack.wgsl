// Copies GEMM operand slices from a storage buffer into an rgba32float 2-D array texture, one
// layer per slice, so the cpu-family GEMM can read the operand with textureLoad (a vectorised
// gather under llvmpipe, where a per-invocation storage load is a per-lane scalar loop).
// Texel (x, y) of layer l is the vec4 at base + l * stride + y * width + x (vec4 units).
// Grid-stride loop (shaders/lib/grid.wgsl): llvmpipe's per-invocation overhead dominates a copy
// of one texel.
//!include grid
struct Params { width: u32, height: u32, layers: u32, base: u32, stride: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var T: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let walk = gridWalk(wid, nw, li, 64u, p.width * p.height * p.layers);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let x = i % p.width;
    let y = (i / p.width) % p.height;
    let l = i / (p.width * p.height);
    textureStore(T, vec2<u32>(x, y), l, X[p.base + l * p.stride + y * p.width + x]);
  }
}
