// AdamW with PyTorch semantics (decoupled weight decay, bias correction, no amsgrad), one pass:
//   w = w * (1 - lr * wd)
//   m = b1 * m + (1 - b1) * g
//   v = b2 * v + (1 - b2) * g * g
//   w = w - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps),   bc_k = 1 - b_k^t
// The step-dependent scalars (decay, step size, sqrt(bc2)) are computed in float64 on the CPU.
struct Params { n: u32, decay: f32, stepSize: f32, b1: f32, b2: f32, bc2Sqrt: f32, eps: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  if (i >= p.n) { return; }
  let gi = g[i];
  let mi = fma(p.b1, m[i], (1.0 - p.b1) * gi);
  let vi = fma(p.b2, v[i], (1.0 - p.b2) * gi * gi);
  m[i] = mi;
  v[i] = vi;
  let denom = sqrt(vi) / p.bc2Sqrt + p.eps;
  w[i] = w[i] * p.decay - p.stepSize * mi / denom;
}
