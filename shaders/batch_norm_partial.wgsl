// Batch norm forward statistics, first level of a two-level per-channel reduction.
// Workgroup (part, c) covers elements j in [part*chunk, min(count, (part+1)*chunk)) of channel c,
// j = n*HW + s over images n and spatial positions s, and writes
//   partial[0, c, part, li] = sum(x - shift),  partial[1, c, part, li] = sum((x - shift)^2),
// with shift = x[0, c, 0]. Shifting by a sample of the channel keeps the one-pass variance
// E[v^2] - E[v]^2 from cancelling when |mean| >> std. Splitting a channel into parts keeps every
// core busy when there are few channels; batch_norm_finalize.wgsl adds the parts.
// Elements are V (f32, or vec4 when HW and the part size are multiples of 4, so that no vec4
// crosses a plane): each invocation sums V lanes, then their components.
//!include nchw
//!include channel_partials
//!include lanes

@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let part = wid.x;
  let c = wid.y;
  let shift = splat(first(x[c * HW / LANES]));
  let j0 = part * p.chunk;
  let j1 = min(p.count, j0 + p.chunk);
  var a = splat(0.0);
  var b = splat(0.0);
  for (var j = j0 + li * LANES; j < j1; j += 128u * LANES) {
    let v = x[channelElement(j, c) / LANES] - shift;
    a += v;
    b = fma(v, v, b);
  }
  storePartials(li, c, part, total(a), total(b));
}
