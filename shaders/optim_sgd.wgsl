// SGD with PyTorch semantics (dampening 0) over a flat range, in one pass:
//   d = g + wd * w                                  (weight decay added to the gradient)
//   momentum != 0:  b = first ? d : momentum * b + d
//                   d = nesterov ? d + momentum * b : b
//   w = w - lr * d
// The gradient is only read, so the step driver's hooks still see the outer gradient afterwards.
// With momentum 0 the buffer binding is a 16-byte placeholder that is never indexed.
// Elements are V (f32 or vec4, shaders/lib/lanes*.wgsl): the vec4 kernel takes the first
// n - n % 4 elements (p.n V elements from p.base 0), the f32 kernel the n % 4 left (p.base > 0).
// Each element's operations are the same in both, so the result does not depend on the split.
//!include lanes
struct Params { n: u32, lr: f32, wd: f32, momentum: f32, nesterov: u32, first: u32, base: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read_write> w: array<V>;
@group(0) @binding(3) var<storage, read_write> buf: array<V>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let k = (wid.y * nw.x + wid.x) * 256u + li;
  if (k >= p.n) { return; }
  let i = p.base + k;
  let wi = w[i];
  var d = fma(splat(p.wd), wi, g[i]);
  if (p.momentum != 0.0) {
    var b = d;
    if (p.first == 0u) { b = fma(splat(p.momentum), buf[i], d); }
    buf[i] = b;
    if (p.nesterov != 0u) { d = fma(splat(p.momentum), b, d); } else { d = b; }
  }
  w[i] = fma(splat(-p.lr), d, wi);
}
