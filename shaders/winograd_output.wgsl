// Winograd F(MT x MT, 3x3) output transform (see src/ops/winograd.ts): y = A^T m A per tile, from
// the E = ALPHA^2 GEMM products m[e, r, t] ([E, R, TP]) to the MT x MT outputs
// y[n0 + s, r, MT*th + a, MT*tw + b] of tile t = s * T + th * TW + tw; outputs past the map
// (H or W not a multiple of MT) are dropped. Each invocation handles 4 consecutive tiles as vec4
// lanes, so every load is a vec4 load. The //@ lines are filled in by src/ops/winograd.ts with the
// transform written out (no loops, no private arrays, as in winograd_tiles.wgsl). The TARGET line
// declares y and how outputs are stored: one f32 each (put), or for F(4x4) on maps whose width is
// a multiple of 4 a tile's output row as one aligned vec4 (putRow): 4 stores per tile, not 16
// (2 mod 4: two aligned vec2s, putPair).
//@CONSTANTS
//!include grid
override R: u32;
override H: u32;
override W: u32;
override TH: u32;
override TW: u32;
override NB: u32;
override TP: u32;
// ADD adds `addend` (same layout as y) to each output: the gradient already accumulated for an
// input gradient's tensor (GradThunk.withAddend in src/ops/record.ts).
override ADD: bool = false;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4<f32>>;
//@TARGET

// Offset of tile t's first output in y, or -1 for a padding tile (t >= NB * T).
fn tileBase(t: u32, r: u32) -> i32 {
  let T = TH * TW;
  if (t >= NB * T) { return -1; }
  let s = t / T;
  return i32(((p.n0 + s) * R + r) * H * W + MT * ((t % T) / TW) * W + MT * (t % TW));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let T4 = TP / 4u;
  let plane = R * T4; // vec4s per transformed element e
  let walk = gridWalk(wid, nw, li, 64u, p.total);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let t4 = i % T4;
    let r = i / T4;
    //@BODY
  }
}
