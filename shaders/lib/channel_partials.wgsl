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

// Invocations that walk one contiguous block of a part together: one SIMD group under
// llvmpipe (8 lanes of 256 bits), which runs each SIMD group's whole loop before the next when a
// kernel has no barrier. So each group of WALKERS reads its own block front to back, one
// 128-byte run of vec4s per step, and the CPU's prefetchers follow it. With the workgroup's 128
// invocations stepping through the part together (element li, then li + 128, ...), every SIMD
// group read one run per 2 KiB of the part, skipping the 15 runs between that the others read
// on their own turns: the same part took 2.5-3.3x as long (16 channels of 64 x 28 x 28, the
// forward's partials 10.8-13.4 -> 3.7-4.0 ms a step, the backward's 16.4-21.5 -> 5.2-5.5).
const WALKERS = 8u;

// The elements of part `part` that invocation li walks: from .x while < .y, stepping .z, in
// elements (multiples of `lanes`, the kernel's elements per load).
fn partWalk(li: u32, part: u32, lanes: u32) -> vec3<u32> {
  let j0 = part * p.chunk;
  let units = (min(p.count, j0 + p.chunk) - j0) / lanes;
  let per = (units + PARTIAL_WG / WALKERS - 1u) / (PARTIAL_WG / WALKERS); // units per group
  let group = li / WALKERS;
  let first = group * per + li % WALKERS;
  let end = min(units, (group + 1u) * per);
  return vec3<u32>(j0 + first * lanes, j0 + max(end, first) * lanes, WALKERS * lanes);
}

// Stores invocation li's sums (a, b) of part `part` of channel c.
fn storePartials(li: u32, c: u32, part: u32, a: f32, b: f32) {
  let n = p.parts * PARTIAL_WG;
  partial[c * n + part * PARTIAL_WG + li] = a;
  partial[(C + c) * n + part * PARTIAL_WG + li] = b;
}
