// Copies GEMM operand slices from a storage buffer into an rgba32float 2-D array texture, one
// layer per slice, so the cpu-family GEMM can read the operand with textureLoad (a vectorised
// gather under llvmpipe, where a per-invocation storage load is a per-lane scalar loop).
// Texel (x, y) of layer l is the vec4 at base + l * stride + y * width + x (vec4 units).
// Grid-stride loop: llvmpipe's per-invocation overhead dominates a copy of one texel.
struct Params { width: u32, height: u32, layers: u32, base: u32, stride: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> X: array<vec4<f32>>;
@group(0) @binding(2) var T: texture_storage_2d_array<rgba32float, write>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let total = p.width * p.height * p.layers;
  let step = nwg.x * nwg.y * 64u;
  for (var i = gid.y * nwg.x * 64u + gid.x; i < total; i += step) {
    let x = i % p.width;
    let y = (i / p.width) % p.height;
    let l = i / (p.width * p.height);
    textureStore(T, vec2<u32>(x, y), l, X[p.base + l * p.stride + y * p.width + x]);
  }
}
