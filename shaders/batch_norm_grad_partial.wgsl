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

@compute @workgroup_size(WALKERS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let part = wid.x;
  let c = wid.y;
  let mean = splat(stats[c]);
  let scale = splat(stats[C + c] * weight[c]);
  let shift = splat(bias[c]);
  let j0 = part * p.chunk;
  let j1 = min(p.count, j0 + p.chunk);
  var a: array<V, SUMS>;
  var b: array<V, SUMS>;
  for (var r = j0; r < j1; r += PARTIAL_WG * LANES) {
    for (var k = 0u; k < SUMS; k++) {
      let j = r + (li + k * WALKERS) * LANES;
      if (j < j1) {
        let i = channelElement(j, c) / LANES;
        let gi = g[i];
        let xc = x[i] - mean;
        let gv = select(gi, select(splat(0.0), gi, fma(xc, scale, shift) > splat(0.0)), RELU);
        a[k] += gv;
        b[k] = fma(gv, xc, b[k]);
      }
    }
  }
  for (var k = 0u; k < SUMS; k++) {
    storePartials(li + k * WALKERS, c, part, total(a[k]), total(b[k]));
  }
}
