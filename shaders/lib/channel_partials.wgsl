// The first level of batch norm's two-level per-channel reductions (batch_norm_partial.wgsl,
// batch_norm_grad_partial.wgsl): workgroup (part, c) of PARTIAL_WG invocations covers elements
// j in [part * chunk, min(count, (part + 1) * chunk)) of channel c (see channelElement of
// lib/nchw.wgsl), and each invocation writes its two sums to partial[0, c, part, li] and
// partial[1, c, part, li]; the second level (batch_norm_finalize.wgsl,
// batch_norm_grad_finalize.wgsl) adds a channel's parts * PARTIAL_WG sums. No workgroup tree:
// under llvmpipe its barriers switch each SIMD group's coroutine, and they took a third of
// the first level's time (a 64x16x28x28 forward: 1.8 against 1.2 ms). Splitting a channel into
// parts keeps every core busy when there are few channels. The including shader declares
// `partial`, the read_write output.
struct Params { count: u32, parts: u32, chunk: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;

const PARTIAL_WG = 128u; // invocations per workgroup (src/ops/batch_norm.ts PARTIAL_WG)

// Stores invocation li's sums (a, b) of part `part` of channel c.
fn storePartials(li: u32, c: u32, part: u32, a: f32, b: f32) {
  let n = p.parts * PARTIAL_WG;
  partial[c * n + part * PARTIAL_WG + li] = a;
  partial[(C + c) * n + part * PARTIAL_WG + li] = b;
}
