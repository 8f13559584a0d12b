// Dropout: y = x * scale where the element is kept, 0 where dropped. An element is kept when
// the uniform u = hash(i, seed, salt) in [0, 1) satisfies u >= p. The mask is a pure function of
// (seed, salt, i), so backward applies this same kernel to the gradient and gets the same mask
// without storing it. The hash is pcg4d (Jarzynski & Olano, JCGT 2020): 32-bit multiplies and
// adds only, well mixed in all four inputs.
//!include grid
struct Params { n: u32, seed: u32, salt: u32, pad0: u32, p: f32, scale: f32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn pcg4d(a: vec4<u32>) -> vec4<u32> {
  var v = a * 1664525u + 1013904223u;
  v.x += v.y * v.w;
  v.y += v.z * v.x;
  v.z += v.x * v.y;
  v.w += v.y * v.z;
  v ^= v >> vec4<u32>(16u);
  v.x += v.y * v.w;
  v.y += v.z * v.x;
  v.z += v.x * v.y;
  v.w += v.y * v.z;
  return v;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let h = pcg4d(vec4<u32>(i, p.seed, p.salt, 0x2545f491u)).x;
    // The top 24 bits as a float in [0, 1), exactly representable.
    let u = f32(h >> 8u) * (1.0 / 16777216.0);
    y[i] = select(0.0, x[i] * p.scale, u >= p.p);
  }
}
