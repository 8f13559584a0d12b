// Grid-stride loops over a 2-D grid of workgroups (launched with gridStride() of
// src/ops/launch.ts), each invocation handling several elements: under llvmpipe the
// per-invocation cost dominates simple kernels, and 16 elements per invocation ran ~4x faster
// than 1.
//
// Which elements: the n elements are cut into one contiguous block per GRID_WALKERS consecutive
// invocations, which walk it together, element by element (lane l takes elements l, l + 8, ...
// of the block). llvmpipe runs a workgroup as SIMD groups of 8 invocations and, without a
// barrier, runs each group's whole loop before the next group's, so each group reads and writes
// its block front to back and the CPU's prefetchers follow it. In the classic order (invocation
// g takes g, g + G, g + 2G, ... for G invocations in all) each SIMD group jumped G elements
// between steps: the default model's step took 1.052x as long, ResNet-18's 1.050-1.055x
// (bench/tree_ab.ts). On a GPU each 8 lanes of a warp still move whole 32-byte sectors.
// walkOf serves loops over other ranges the same way (batch norm's per-plane walks).
const GRID_WALKERS = 8u;

// The elements of n that invocation li of workgroup wid (of wg invocations) handles: from .x
// while < .y, stepping .z.
fn gridWalk(wid: vec3<u32>, nw: vec3<u32>, li: u32, wg: u32, n: u32) -> vec3<u32> {
  return walkOf((wid.y * nw.x + wid.x) * wg + li, nw.x * nw.y * wg, n);
}

// The same for walker `flat` of `walkers` (a multiple of GRID_WALKERS) sharing n elements.
fn walkOf(flat: u32, walkers: u32, n: u32) -> vec3<u32> {
  let groups = walkers / GRID_WALKERS;
  // Elements per block: whole steps of GRID_WALKERS, enough for the groups to cover n.
  let per = ((n + GRID_WALKERS - 1u) / GRID_WALKERS + groups - 1u) / groups * GRID_WALKERS;
  let group = flat / GRID_WALKERS;
  return vec3<u32>(group * per + flat % GRID_WALKERS, min(n, (group + 1u) * per), GRID_WALKERS);
}
