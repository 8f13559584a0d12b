// The first level of batch norm's two-level per-channel reductions (batch_norm_partial.wgsl,
// batch_norm_grad_partial.wgsl): workgroup (part, c) of 128 invocations covers elements
// j in [part * chunk, min(count, (part + 1) * chunk)) of channel c (see channelElement of
// lib/nchw.wgsl) and writes two sums, partial[0, c, part] and partial[1, c, part]. Splitting a
// channel into parts keeps every core busy when there are few channels. The including shader
// declares `partial`, the read_write output.
struct Params { count: u32, parts: u32, chunk: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;

var<workgroup> s1: array<f32, 128>;
var<workgroup> s2: array<f32, 128>;

// Sums each invocation's (a, b) over the workgroup; invocation 0 stores the two partial sums.
fn storePartials(li: u32, c: u32, part: u32, a: f32, b: f32) {
  s1[li] = a;
  s2[li] = b;
  workgroupBarrier();
  for (var k = 64u; k > 0u; k >>= 1u) {
    if (li < k) {
      s1[li] += s1[li + k];
      s2[li] += s2[li + k];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    partial[c * p.parts + part] = s1[0];
    partial[(C + c) * p.parts + part] = s2[0];
  }
}
