// Moves one chunk of a convolution's output (or output gradient) between the layer's
// [N, Co, P] layout and the folded [Co, NB * Pp] layout that one GEMM produces (or consumes) when
// the chunk's NB images sit side by side as GEMM columns (small maps; see src/ops/conv.ts).
// PACK: folded[co, s * Pp + q] = y[n0 + s, co, q], zero in the padding columns q >= P.
// Otherwise (unpack): y[n0 + s, co, q] = folded[co, s * Pp + q] for q < P.
// The geometry is specialised per layer: division by a constant is a multiply and shift.
// Elements are V (shaders/lib/lanes*.wgsl): vec4s when P % 4 == 0 (then Pp == P), f32 otherwise;
// indices below count V elements, and `total` is in V elements.
//!include lanes
//!include grid
override CO: u32;
override P: u32;
override Pp: u32;
override NB: u32;
override PACK: bool;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<V>;
@group(0) @binding(2) var<storage, read_write> dst: array<V>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let PL = P / LANES;
  let PpL = Pp / LANES;
  let walk = gridWalk(wid, nw, li, 256u, p.total);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    if (PACK) {
      let q = i % PpL;
      let s = (i / PpL) % NB;
      let co = i / (PpL * NB);
      dst[i] = select(splat(0.0), src[((p.n0 + s) * CO + co) * PL + q], q < PL);
    } else {
      let q = i % PL;
      let co = (i / PL) % CO;
      let s = i / (PL * CO);
      dst[((p.n0 + s) * CO + co) * PL + q] = src[co * NB * PpL + s * PpL + q];
    }
  }
}
