// Fused updates over a flat range of floats (a model's parameters, gradients, EMAs):
//   OP 0  axpy : y = y + alpha * s * x
//   OP 1  axpby: y = beta * y + alpha * s * x
//   OP 2  scale: y = alpha * s * y            (x unused)
//   OP 3  copy : y = x
// `s` is a scalar on the GPU (a norm, a ratio) so coefficients never travel to the CPU;
// `sop` picks how s is derived from the scalar buffer: 0 s = 1, 1 s = v, 2 s = 1 / (v + eps),
// 3 s = 1 / (sqrt(v) + eps).
// Elements are V (f32 or vec4, shaders/lib/lanes*.wgsl): the vec4 kernel takes the first
// n - n % 4 floats (p.n V elements from p.base 0), the f32 kernel the n % 4 left (p.base > 0),
// as optim_sgd.wgsl. Each float takes the same single-rounding fma at either width.
//!include grid
//!include lanes
override OP: u32 = 0u;

struct Params { n: u32, alpha: f32, beta: f32, eps: f32, sop: u32, base: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> scalar: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<V>;

fn coef() -> f32 {
  let v = scalar[0];
  switch p.sop {
    case 1u: { return p.alpha * v; }
    case 2u: { return p.alpha / (v + p.eps); }
    case 3u: { return p.alpha / (sqrt(v) + p.eps); }
    default: { return p.alpha; }
  }
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let a = splat(coef());
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var k = walk.x; k < walk.y; k += walk.z) {
    let i = p.base + k;
    switch OP {
      case 0u: { y[i] = fma(a, x[i], y[i]); }
      case 1u: { y[i] = fma(a, x[i], p.beta * y[i]); }
      case 2u: { y[i] = a * y[i]; }
      default: { y[i] = x[i]; }
    }
  }
}
