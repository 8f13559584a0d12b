// GELU in its exact erf form, gelu(x) = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's and
// timm's default), and its fused backward. GRAD = 0: y = gelu(x); GRAD = 1: dx = g * gelu'(x)
// with gelu'(x) = Phi(x) + x * phi(x).
//!include grid
override GRAD: u32 = 0u;

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// erf(z) for z >= 0 by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7, under the f32
// rounding of the result); WGSL has no erf.
fn erfPos(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return 1.0 - poly * exp(-z * z);
}

// Phi(v) = 0.5 (1 + erf(v / sqrt 2)), odd symmetry of erf for v < 0.
fn cdf(v: f32) -> f32 {
  let e = erfPos(abs(v) * 0.7071067811865476);
  return 0.5 + 0.5 * select(-e, e, v >= 0.0);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let v = x[i];
    if (GRAD == 0u) {
      y[i] = v * cdf(v);
    } else {
      let pdf = 0.3989422804014327 * exp(-0.5 * v * v);
      y[i] = g[i] * (cdf(v) + v * pdf);
    }
  }
}
