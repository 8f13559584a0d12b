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

//!include channel_sums
var<private> shift: V;

// Element j of channel c less the shift: a sums it, b its square.
fn terms(j: u32, c: u32) -> Terms {
  let v = x[channelElement(j, c) / LANES] - shift;
  return Terms(v, v);
}

@compute @workgroup_size(WALKERS)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  shift = splat(first(x[wid.y * HW / LANES]));
  sumPart(wid.x, wid.y, li);
}
