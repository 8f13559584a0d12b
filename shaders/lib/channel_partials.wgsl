// The first level of batch norm's two-level per-channel reductions (batch_norm_partial.wgsl,
// batch_norm_grad_partial.wgsl). Part `part` of channel c is elements
// j in [part * chunk, min(count, (part + 1) * chunk)) (see channelElement of lib/nchw.wgsl),
// read as rows of PARTIAL_WG elements of V. Sum q (q < PARTIAL_WG) of the part adds element q of
// every row, in row order, into two accumulators (a, b), and partial[0, c, part, q] and
// partial[1, c, part, q] receive them; the second level (batch_norm_finalize.wgsl,
// batch_norm_grad_finalize.wgsl) adds a channel's parts * PARTIAL_WG sums in order. Those sums
// and their order decide the statistics' last bits, and a 20-epoch run follows the last bits
// (another order, equally exact, trained 1-5 points lower on six seeds of the default run), so
// this layout is fixed; what may change is who computes which sum.
//
// Workgroup (part, c) is one SIMD group of WALKERS invocations (8 lanes under llvmpipe), and
// lane l keeps sums l, l + 8, ..., l + 120 (SUMS pairs), so that each load of the group reads 8
// consecutive V of a row and the group reads the part front to back. It was 128 invocations,
// one sum each: llvmpipe runs each SIMD group's whole loop before the next when a kernel has no
// barrier, so each group read one 128-byte run per 2 KiB row, skipping the 15 runs between,
// and the prefetchers could not follow: the default model's step spent 14.7 ms in the forward's
// partials and 20.9 in the backward's, against 4.1 and 8.9 now (ResNet-18 at batch 32: 35.2 and
// 84.2 against 20.1 and 33.4).
// No workgroup tree: under llvmpipe its barriers switch each SIMD group's coroutine, and they
// took a third of the first level's time. Splitting a channel into parts keeps every core busy
// when there are few channels. The including shader declares `partial`, the read_write output.
struct Params { count: u32, parts: u32, chunk: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;

const PARTIAL_WG = 128u; // sums per part (src/ops/batch_norm.ts PARTIAL_WG)
const WALKERS = 8u; // invocations per workgroup
const SUMS = PARTIAL_WG / WALKERS; // sums per invocation

// Stores sum q (a, b) of part `part` of channel c.
fn storePartials(q: u32, c: u32, part: u32, a: f32, b: f32) {
  let n = p.parts * PARTIAL_WG;
  partial[c * n + part * PARTIAL_WG + q] = a;
  partial[(C + c) * n + part * PARTIAL_WG + q] = b;
}
