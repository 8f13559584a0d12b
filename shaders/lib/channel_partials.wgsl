// The first level of batch norm's two-level per-channel reductions (batch_norm_partial.wgsl,
// batch_norm_grad_partial.wgsl). Part `part` of channel c is elements
// j in [part * chunk, min(count, (part + 1) * chunk)) (see channelElement of lib/nchw.wgsl),
// read as rows of PART_SUMS elements of V. Sum q (q < PART_SUMS) of the part adds element q of
// every row, in row order, into two accumulators (a, b), and partial[0, c, part, q] and
// partial[1, c, part, q] receive them; the second level (batch_norm_finalize.wgsl,
// batch_norm_grad_finalize.wgsl) adds a channel's parts * PART_SUMS sums in order. Those sums
// and their order decide the statistics' last bits, and a training run follows the last bits
// (another order, equally exact, trained 1-5 points lower on six seeds of the default run), so
// this layout is fixed; what may change is who computes which sum.
//
// Workgroup (part, c) is one SIMD group of WALKERS invocations (8 lanes under llvmpipe), and
// lane l keeps sums l, l + 8, ..., l + 120 (16 pairs), so that each load of the group reads 8
// consecutive V of a row and the group reads the part front to back. It was 128 invocations,
// one sum each: llvmpipe runs each SIMD group's whole loop before the next when a kernel has no
// barrier, so each group read one 128-byte run per 2 KiB row, skipping the 15 runs between,
// and the prefetchers could not follow: the default model's step spent 14.7 ms in the forward's
// partials and 20.9 in the backward's, against 4.5 and 5.5 now (ResNet-18 at batch 32: 35.2 and
// 84.2 against 19.9 and 22.2; kernels replayed, bench/profile_step.ts).
// No workgroup tree: under llvmpipe its barriers switch each SIMD group's coroutine, and they
// took a third of the first level's time. Splitting a channel into parts keeps every core busy
// when there are few channels.
//
// The including shader declares `partial`, the read_write output, and `terms(j, c)`, what
// element j of channel c adds: a += u, b = fma(u, w, b); its main calls sumPart(part, c, li),
// which `//!include channel_sums` defines (channelSums in src/ops/batch_norm.ts, with the
// constants PART_SUMS and WALKERS): the loop above written out, each sum in a variable of its
// own. A loop over private arrays of sums ran
// the backward's partials at 8.9-11.4 ms against 5.5 (default model's step): llvmpipe keeps a
// dynamically indexed private array in memory.
struct Params { count: u32, parts: u32, chunk: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// What one element adds to a sum's two accumulators (see terms above).
struct Terms { u: V, w: V }

// Stores sum q (a, b) of part `part` of channel c.
fn storePartials(q: u32, c: u32, part: u32, a: f32, b: f32) {
  let n = p.parts * PART_SUMS;
  partial[c * n + part * PART_SUMS + q] = a;
  partial[(C + c) * n + part * PART_SUMS + q] = b;
}
