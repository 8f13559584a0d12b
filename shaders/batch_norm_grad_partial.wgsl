// Batch norm backward, first level of the per-channel reductions (same split as
// batch_norm_partial.wgsl): partial[0, c, part, q] = sum(g), partial[1, c, part, q] = sum(g * (x - mean)),
// batch_norm_grad_finalize.wgsl turns them into db = sum(g) and dw = invstd * sum(g * (x - mean)).
// Elements are V, as in batch_norm_partial.wgsl. RELU (batch norm fused with a ReLU): the
// gradient reaching the batch norm is g where the forward's normalised value
// fma(x - mean, invstd * weight, bias) > 0 and 0 elsewhere, as PyTorch's ReLU backward. That value
// is recomputed from x, which is loaded anyway, by the forward's own operations
// (batch_norm_apply.wgsl), so the mask is the forward's bit for bit and the output is not read.
//!include nchw
//!include channel_partials
//!include lanes
override RELU: bool = false;

@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<storage, read> weight: array<f32>;
@group(0) @binding(6) var<storage, read> bias: array<f32>;

//!include channel_sums
var<private> mean: V;
var<private> scale: V;
var<private> shift: V;

// Element j of channel c: a sums the gradient (masked by the ReLU), b the gradient times x - mean.
fn terms(j: u32, c: u32) -> Terms {
  let i = channelElement(j, c) / LANES;
  let gi = g[i];
  let xc = x[i] - mean;
  let gv = select(gi, select(splat(0.0), gi, fma(xc, scale, shift) > splat(0.0)), RELU);
  return Terms(gv, xc);
}

@compute @workgroup_size(WALKERS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let c = wid.y;
  mean = splat(stats[c]);
  scale = splat(stats[C + c] * weight[c]);
  shift = splat(bias[c]);
  sumPart(wid.x, c, li);
}
