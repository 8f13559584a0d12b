// Grid-stride loops over a 2-D grid of 256-wide workgroups (launched with gridStride() of
// src/ops/launch.ts): invocation gridIndex() starts at its global index and steps by gridStep(),
// the size of the whole grid. Under llvmpipe the per-invocation cost dominates simple kernels;
// 16 elements per invocation ran ~4x faster than 1.
fn gridIndex(wid: vec3<u32>, nw: vec3<u32>, li: u32) -> u32 {
  return (wid.y * nw.x + wid.x) * 256u + li;
}

fn gridStep(nw: vec3<u32>) -> u32 {
  return nw.x * nw.y * 256u;
}
