// Winograd F(2x2, 3x3) output transform (see src/ops/winograd.ts): y = A^T m A per tile, with
// A^T = [[1,1,1,0],[0,1,-1,-1]], from the 16 GEMM products m[e, r, t] ([16, R, TP]) to the
// 2x2 outputs y[n0 + s, r, 2th + a, 2tw + b] of tile t = s * T + th * TW + tw; outputs past the
// map (odd H or W) are dropped. Each invocation handles 4 consecutive tiles as vec4 lanes, so
// the 16 loads are vec4 loads.
override R: u32;
override H: u32;
override W: u32;
override TH: u32;
override TW: u32;
override NB: u32;
override TP: u32;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> m: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let stride = nw.x * nw.y * 64u;
  let T = TH * TW;
  let T4 = TP / 4u;
  for (var i = (wid.y * nw.x + wid.x) * 64u + li; i < p.total; i += stride) {
    let t4 = i % T4;
    let r = i / T4;
    // A^T m along rows, then (A^T m) A along columns: 2x2 vec4s.
    var u: array<vec4<f32>, 8>;
    for (var q = 0u; q < 4u; q++) {
      let m0 = m[((0u + q) * R + r) * T4 + t4];
      let m1 = m[((4u + q) * R + r) * T4 + t4];
      let m2 = m[((8u + q) * R + r) * T4 + t4];
      let m3 = m[((12u + q) * R + r) * T4 + t4];
      u[q] = m0 + m1 + m2;
      u[4u + q] = m1 - m2 - m3;
    }
    var o: array<vec4<f32>, 4>;
    for (var a = 0u; a < 2u; a++) {
      o[a * 2u] = u[a * 4u] + u[a * 4u + 1u] + u[a * 4u + 2u];
      o[a * 2u + 1u] = u[a * 4u + 1u] - u[a * 4u + 2u] - u[a * 4u + 3u];
    }
    for (var l = 0u; l < 4u; l++) {
      let t = t4 * 4u + l;
      if (t >= NB * T) { break; }
      let s = t / T;
      let oh = 2u * ((t % T) / TW);
      let ow = 2u * (t % TW);
      let plane = ((p.n0 + s) * R + r) * H * W;
      for (var a = 0u; a < 2u; a++) {
        for (var b = 0u; b < 2u; b++) {
          if (oh + a < H && ow + b < W) { y[plane + (oh + a) * W + ow + b] = o[a * 2u + b][l]; }
        }
      }
    }
  }
}
