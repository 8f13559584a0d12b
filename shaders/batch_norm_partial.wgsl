// Batch norm forward statistics, first level of a two-level per-channel reduction.
// Workgroup (part, c) covers elements j in [part*chunk, min(count, (part+1)*chunk)) of channel c,
// j = n*HW + s over images n and spatial positions s, and writes
//   partial[0, c, part] = sum(x - shift),  partial[1, c, part] = sum((x - shift)^2),
// with shift = x[0, c, 0]. Shifting by a sample of the channel keeps the one-pass variance
// E[v^2] - E[v]^2 from cancelling when |mean| >> std. Splitting a channel into parts keeps every
// core busy when there are few channels; batch_norm_finalize.wgsl adds the parts.
//!include nchw
//!include channel_partials

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(128)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let part = wid.x;
  let c = wid.y;
  let shift = x[c * HW];
  let j0 = part * p.chunk;
  let j1 = min(p.count, j0 + p.chunk);
  var a = 0.0;
  var b = 0.0;
  for (var j = j0 + li; j < j1; j += 128u) {
    let v = x[channelElement(j, c)] - shift;
    a += v;
    b = fma(v, v, b);
  }
  storePartials(li, c, part, a, b);
}
