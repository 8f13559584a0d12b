// SGD with PyTorch semantics (dampening 0) over a flat range, in one pass:
//   d = g + wd * w                                  (weight decay added to the gradient)
//   momentum != 0:  b = first ? d : momentum * b + d
//                   d = nesterov ? d + momentum * b : b
//   w = w - lr * d
// The gradient is only read, so the step driver's hooks still see the outer gradient afterwards.
// With momentum 0 the buffer binding is a 4-byte placeholder that is never indexed.
struct Params { n: u32, lr: f32, wd: f32, momentum: f32, nesterov: u32, first: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  if (i >= p.n) { return; }
  let wi = w[i];
  var d = fma(p.wd, wi, g[i]);
  if (p.momentum != 0.0) {
    var b = d;
    if (p.first == 0u) { b = fma(p.momentum, buf[i], d); }
    buf[i] = b;
    if (p.nesterov != 0u) { d = fma(p.momentum, b, d); } else { d = b; }
  }
  w[i] = fma(-p.lr, d, wi);
}
