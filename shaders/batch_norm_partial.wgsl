// Batch norm forward statistics, first level of a two-level per-channel reduction.
// Workgroup (part, c) covers elements j in [part*chunk, min(count, (part+1)*chunk)) of channel c,
// j = n*HW + s over images n and spatial positions s, and writes its sums q (see
// lib/channel_partials.wgsl for which elements each adds, and in which order)
//   partial[0, c, part, q] = sum(x - shift),  partial[1, c, part, q] = sum((x - shift)^2),
// with shift = x[0, c, 0]. Shifting by a sample of the channel keeps the one-pass variance
// E[v^2] - E[v]^2 from cancelling when |mean| >> std. Splitting a channel into parts keeps every
// core busy when there are few channels; batch_norm_finalize.wgsl adds the parts.
// Elements are V (f32, or vec4 when HW and the part size are multiples of 4, so that no vec4
// crosses a plane): each sum adds V lanes, then their components.
//!include nchw
//!include channel_partials
//!include lanes

@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WALKERS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let part = wid.x;
  let c = wid.y;
  let shift = splat(first(x[c * HW / LANES]));
  let j0 = part * p.chunk;
  let j1 = min(p.count, j0 + p.chunk);
  var a: array<V, SUMS>;
  var b: array<V, SUMS>;
  for (var r = j0; r < j1; r += PARTIAL_WG * LANES) {
    for (var k = 0u; k < SUMS; k++) {
      let j = r + (li + k * WALKERS) * LANES;
      if (j < j1) {
        let v = x[channelElement(j, c) / LANES] - shift;
        a[k] += v;
        b[k] = fma(v, v, b[k]);
      }
    }
  }
  for (var k = 0u; k < SUMS; k++) {
    storePartials(li + k * WALKERS, c, part, total(a[k]), total(b[k]));
  }
}
