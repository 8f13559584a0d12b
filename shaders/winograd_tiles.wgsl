// Winograd F(2x2, 3x3) tile transforms into the transformed domain (see src/ops/winograd.ts).
// Tile t of a chunk (t = s * T + th * TW + tw, image n0 + s) covers output rows 2th, 2th+1 and
// columns 2tw, 2tw+1. The 16 transformed elements e = 4i + j of every (channel c, tile t) go to
// out[e, c, t] ([16, CP, TP]): one GEMM operand slice per e.
// MODE 0 (input): d = the 4x4 input patch at rows 2th-1.., columns 2tw-1.. (zero padding),
//   out = B^T d B with B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]].
// MODE 1 (output gradient, for the weight gradient): g = the 2x2 gradient patch at rows 2th..,
//   columns 2tw.. (zero past the map), out = A g A^T with A^T = [[1,1,1,0],[0,1,-1,-1]].
// Rows c >= C (channel padding to a multiple of 4) and columns t >= NB * T are zero: the GEMM
// sums over them in the weight gradient.
// Each invocation transforms 4 consecutive tiles as the 4 lanes of vec4s, so all 16 stores are
// vec4 stores (a per-lane store loop under llvmpipe costs the same for a scalar as for a vec4).
// The geometry is specialised per layer (override constants): division by a constant is a
// multiply and shift under llvmpipe, division by a runtime value is scalarised.
override MODE: u32;
override C: u32;
override H: u32;
override W: u32;
override TH: u32;
override TW: u32;
override NB: u32;
override CP: u32;
override TP: u32;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> outv: array<vec4<f32>>;

fn at(plane: u32, r: i32, c: i32) -> f32 {
  if (r < 0 || c < 0 || r >= i32(H) || c >= i32(W)) { return 0.0; }
  return x[plane + u32(r) * W + u32(c)];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let stride = nw.x * nw.y * 64u;
  let T = TH * TW;
  let T4 = TP / 4u;
  for (var i = (wid.y * nw.x + wid.x) * 64u + li; i < p.total; i += stride) {
    let t4 = i % T4;
    let c = i / T4;
    // d[r][q]: lane l holds tile 4 * t4 + l.
    var d: array<vec4<f32>, 16>;
    for (var l = 0u; l < 4u; l++) {
      let t = t4 * 4u + l;
      if (c >= C || t >= NB * T) { continue; }
      let s = t / T;
      let th = (t % T) / TW;
      let tw = t % TW;
      let plane = ((p.n0 + s) * C + c) * H * W;
      if (MODE == 0u) {
        let r0 = i32(2u * th) - 1;
        let c0 = i32(2u * tw) - 1;
        for (var r = 0; r < 4; r++) {
          for (var q = 0; q < 4; q++) { d[r * 4 + q][l] = at(plane, r0 + r, c0 + q); }
        }
      } else {
        let r0 = i32(2u * th);
        let c0 = i32(2u * tw);
        for (var r = 0; r < 2; r++) {
          for (var q = 0; q < 2; q++) { d[r * 4 + q][l] = at(plane, r0 + r, c0 + q); }
        }
      }
    }
    var v: array<vec4<f32>, 16>;
    if (MODE == 0u) {
      // Columns first (B^T d), then rows ((B^T d) B).
      var m: array<vec4<f32>, 16>;
      for (var q = 0; q < 4; q++) {
        m[q] = d[q] - d[8 + q];
        m[4 + q] = d[4 + q] + d[8 + q];
        m[8 + q] = d[8 + q] - d[4 + q];
        m[12 + q] = d[4 + q] - d[12 + q];
      }
      for (var r = 0; r < 4; r++) {
        v[r * 4] = m[r * 4] - m[r * 4 + 2];
        v[r * 4 + 1] = m[r * 4 + 1] + m[r * 4 + 2];
        v[r * 4 + 2] = m[r * 4 + 2] - m[r * 4 + 1];
        v[r * 4 + 3] = m[r * 4 + 1] - m[r * 4 + 3];
      }
    } else {
      // A g: rows g0, g0 + g1, g0 - g1, -g1 (of 2 columns); then (A g) A^T the same along columns.
      var m: array<vec4<f32>, 8>;
      for (var q = 0; q < 2; q++) {
        m[q] = d[q];
        m[2 + q] = d[q] + d[4 + q];
        m[4 + q] = d[q] - d[4 + q];
        m[6 + q] = -d[4 + q];
      }
      for (var r = 0; r < 4; r++) {
        v[r * 4] = m[r * 2];
        v[r * 4 + 1] = m[r * 2] + m[r * 2 + 1];
        v[r * 4 + 2] = m[r * 2] - m[r * 2 + 1];
        v[r * 4 + 3] = -m[r * 2 + 1];
      }
    }
    for (var e = 0u; e < 16u; e++) { outv[(e * CP + c) * T4 + t4] = v[e]; }
  }
}
