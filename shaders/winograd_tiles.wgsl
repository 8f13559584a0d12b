// Winograd F(MT x MT, 3x3) tile transforms into the transformed domain (see src/ops/winograd.ts).
// Tile t of a chunk (t = s * T + th * TW + tw, image n0 + s) covers output rows MT*th.. and
// columns MT*tw... The E = ALPHA^2 transformed elements e = ALPHA * i + j of every (channel c,
// tile t) go to out[e, c, t] ([E, CP, TP]): one GEMM operand slice per e.
// MODE 0 (input): d = the ALPHA x ALPHA input patch at rows MT*th - 1.., columns MT*tw - 1..
//   (zero padding), out = B^T d B.
// MODE 1 (output gradient, for the weight gradient): g = the MT x MT gradient patch at rows
//   MT*th.., columns MT*tw.. (zero past the map), out = A g A^T.
// Rows c >= C (channel padding to a multiple of 4) and columns t >= NB * T are zero: the GEMM
// sums over them in the weight gradient.
// TILES_MAJOR writes out[e, t, c] ([E, TP, CP]) instead: the weight gradient's GEMM then reads
// both operands untransposed (sum over tiles = over GEMM rows) rather than one transposed.
// The RUN line is empty, or (the F(4x4) input transform, tiles-major) a block that replaces the
// loop below: each invocation walks one row of tiles, loading each patch column once for the
// two neighbouring patches that share it (runSource in src/ops/winograd.ts).
// Each invocation transforms 4 consecutive tiles (TILES_MAJOR: 4 consecutive channels of one tile)
// as the 4 lanes of vec4s, so every store is a vec4 store (a per-lane store loop under llvmpipe costs about the same for a scalar as for a
// vec4). The lines marked //@ are filled in by src/ops/winograd.ts with the transform written out
// for the chosen F(m, 3): no loops, no private arrays. llvmpipe keeps a dynamically indexed
// private array in memory; this form made the ResNet-18 3x3 layers' forward + backward up to
// 1.16x faster (process CPU time, bench/conv_ab.ts) than a loop over private arrays.
// The geometry is specialised per layer (override constants): division by a constant is a
// multiply and shift under llvmpipe, division by a runtime value is scalarised.
// The SOURCE line (filled in by src/ops/winograd.ts) declares the input x and how the body
// loads it: one f32 per patch element (at, lanes), or, for F(4x4) on maps whose width is a
// multiple of 4, the patch rows as aligned vec4s (quad): a patch row of 6 is 3 vec4 loads
// instead of 6 scalar ones, a gradient row of 4 is one, and under llvmpipe each load is a loop
// over the SIMD lanes whatever its width.
//@CONSTANTS
//!include grid
override C: u32;
override H: u32;
override W: u32;
override TH: u32;
override TW: u32;
override NB: u32;
override CP: u32;
override TP: u32;
override TILES_MAJOR: bool = false;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(2) var<storage, read_write> outv: array<vec4<f32>>;
//@SOURCE
// Interleaved runs of input tiles place their elements by groupedAt (GemmArgs.interleaveB).
//!include interleave

// Where tile t's patch starts: (plane offset, first row, first column), or plane -1 when the
// tile is padding (t >= NB * T) or the channel is (c >= C): every load of it is then zero.
fn origin(t: u32, c: u32) -> vec3<i32> {
  let T = TH * TW;
  if (c >= C || t >= NB * T) { return vec3<i32>(-1, 0, 0); }
  let s = t / T;
  let th = (t % T) / TW;
  let tw = t % TW;
  return vec3<i32>(i32(((p.n0 + s) * C + c) * H * W), i32(MT * th) - BACK, i32(MT * tw) - BACK);
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  //@RUN
  let T4 = TP / 4u;
  let CP4 = CP / 4u;
  let plane = CP * T4; // vec4s per transformed element e, in either layout
  let walk = gridWalk(wid, nw, li, 64u, p.total);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    var o0: vec3<i32>;
    var o1: vec3<i32>;
    var o2: vec3<i32>;
    var o3: vec3<i32>;
    if (TILES_MAJOR) {
      let t = i / CP4;
      let c = (i % CP4) * 4u;
      o0 = origin(t, c);
      o1 = origin(t, c + 1u);
      o2 = origin(t, c + 2u);
      o3 = origin(t, c + 3u);
    } else {
      let t4 = i % T4;
      let c = i / T4;
      o0 = origin(t4 * 4u, c);
      o1 = origin(t4 * 4u + 1u, c);
      o2 = origin(t4 * 4u + 2u, c);
      o3 = origin(t4 * 4u + 3u, c);
    }
    //@BODY
  }
}
