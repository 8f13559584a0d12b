// Batch norm per-channel coefficients for the elementwise kernels, one vec4 per channel, so that
// batch_norm_apply.wgsl and batch_norm_grad_input.wgsl load one vec4 per element's channel
// instead of four or five scalars: under llvmpipe every storage load is a loop over the SIMD
// lanes, and per-channel values gathered per element had been most of those kernels' loads.
//   BACKWARD false (normalise):      coef[c] = (mean, invstd * weight, bias, 0), so that
//                                     y = (x - mean) * a + b as before, bit for bit;
//   BACKWARD true (input gradient):  coef[c] = (mean, invstd, k = weight * invstd, db / count),
//                                     so that with batch statistics
//                                     dx = k * (g - db/count - xhat * dw / count), xhat =
//                                     (x - mean) * invstd, and with running statistics dx = k * g,
//                                     with the same operations in the same order as before the
//                                     coefficients (dw stays a per-element load of its own: folding
//                                     it into a product changed the rounding, and that moved the
//                                     default training run's trajectory).
// stats = [mean (C), invstd (C)]; `other` is bias (forward) or the sums of
// batch_norm_grad_finalize.wgsl (backward: dw at [c], db at [stride + c]).
override BACKWARD: bool = false;

struct Params { C: u32, stride: u32, count: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> stats: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> other: array<f32>;
@group(0) @binding(4) var<storage, read_write> coef: array<vec4<f32>>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  let mean = stats[c];
  let invstd = stats[p.C + c];
  if (BACKWARD) {
    coef[c] = vec4<f32>(mean, invstd, weight[c] * invstd, other[p.stride + c] / p.count);
  } else {
    coef[c] = vec4<f32>(mean, invstd * weight[c], other[c], 0.0);
  }
}
