// The grouped interleaved layout of E slices of rows of `width` vec4s (GemmArgs.interleaveB in
// src/ops/matmul.ts: the Winograd input tiles, written by winograd_tiles.wgsl's runs and read by
// matmul.wgsl): a row holds width * E vec4s, its vec4s in groups of 4 of one slice, the E slices'
// groups side by side (the last group of a row narrower when width % 4 != 0), so that a SIMD
// group moving along a row takes whole 64-byte lines of one slice. Offset of vec4 x of slice s
// within its row; planar (E = 1) x.
fn groupedAt(x: u32, width: u32, s: u32, E: u32) -> u32 {
  let g = x & ~3u;
  return select(x, g * E + s * min(4u, width - g) + (x & 3u), E > 1u);
}
