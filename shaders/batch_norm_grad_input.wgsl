// Batch norm backward with respect to the input, from one vec4 per channel
// (mean, invstd, k = w * invstd, q = db/count) of batch_norm_coef.wgsl and dw = sums[c], with
// dw = sum(g*xhat) and db = sum(g):
//   batch statistics (BATCH):  dx = k * (g - q - xhat * dw / count),
//                               xhat = (x - mean) * invstd, the gradient through mean and variance;
//   running statistics:         dx = g * k (the statistics are constants).
// PLANE walks each (n, c) plane with 32 invocations, loading its per-channel values once, as in
// batch_norm_apply.wgsl; otherwise a flat grid-stride loop. Elements are V (f32, or vec4 when
// HW % 4 == 0), as in batch_norm_apply.wgsl. RELU masks g where the forward's normalised value
// fma(x - mean, k, bias) (k = weight * invstd, the forward's scale) is not positive, as in
// batch_norm_grad_partial.wgsl.
//!include nchw
//!include lanes
override BATCH: bool = true;
override PLANE: bool = false;
const PER_PLANE = 32u; // invocations per plane in the PLANE layout, as in batch_norm_apply.wgsl
override RELU: bool = false;

struct Params { n: u32, planes: u32, pad0: u32, count: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<V>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> sums: array<f32>;

// dx at element i (of V) of a channel whose coefficients are q, dw and the bias b.
fn grad(i: u32, q: vec4<f32>, dw: f32, b: f32) -> V {
  let gi = g[i];
  let xc = x[i] - splat(q.x);
  let gv = select(gi, select(splat(0.0), gi, fma(xc, splat(q.z), splat(b)) > splat(0.0)), RELU);
  if (BATCH) {
    let xhat = xc * q.y;
    return q.z * (gv - q.w - xhat * dw / p.count);
  }
  return q.z * gv;
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (PLANE) {
    let plane = (wid.z * nw.y + wid.y) * (256u / PER_PLANE) + li / PER_PLANE;
    if (plane >= p.planes) { return; }
    let c = plane % C;
    let q = coef[c];
    let dw = sums[c];
    let b = bias[c];
    let base = plane * (HW / LANES);
    for (var s = wid.x * PER_PLANE + li % PER_PLANE; s < HW / LANES; s += nw.x * PER_PLANE) {
      dx[base + s] = grad(base + s, q, dw, b);
    }
  } else {
    for (var i = wid.x * 256u + li; i < p.n / LANES; i += nw.x * 256u) {
      let c = channelOf(i * LANES);
      dx[i] = grad(i, coef[c], sums[c], bias[c]);
    }
  }
}
