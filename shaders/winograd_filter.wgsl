// Winograd F(2x2, 3x3) filter transforms (see src/ops/winograd.ts), G = [[1,0,0],[.5,.5,.5],
// [.5,-.5,.5],[0,0,1]]; one invocation per (row r, column k) of a transformed [16, R, KP] operand.
// MODE 0 (forward): u[e, co, ci] = (G w[co, ci] G^T)[e], R = CO rows, KP >= CI columns.
// MODE 1 (input gradient): the same for the filter flipped in both axes with CO and CI swapped,
//   u[e, ci, co] = (G flip(w[co, ci]) G^T)[e], R = CI rows, KP >= CO columns: dx is the
//   stride-1 pad-1 convolution of dy with that filter.
// Columns past the channel count are zero (the GEMM's depth padding).
// MODE 2 (weight gradient): dw[co, ci] = G^T du[., co, ci] G (3x3 from 4x4) with
//   du = [16, CO, KP]: the exact gradient of the forward transform.
override MODE: u32;
override CO: u32;
override CI: u32;
override KP: u32;
struct Params { total: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.y * nw.x * 64u + gid.x;
  if (i >= p.total) { return; }
  if (MODE == 2u) {
    // i = co * CI + ci; G^T du (3 rows of 4), then (G^T du) G (3 of 3).
    let co = i / CI;
    let ci = i % CI;
    var t: array<f32, 12>;
    for (var q = 0u; q < 4u; q++) {
      let d0 = src[((0u + q) * CO + co) * KP + ci];
      let d1 = src[((4u + q) * CO + co) * KP + ci];
      let d2 = src[((8u + q) * CO + co) * KP + ci];
      let d3 = src[((12u + q) * CO + co) * KP + ci];
      t[q] = d0 + 0.5 * (d1 + d2);
      t[4u + q] = 0.5 * (d1 - d2);
      t[8u + q] = 0.5 * (d1 + d2) + d3;
    }
    for (var a = 0u; a < 3u; a++) {
      let b = i * 9u + a * 3u;
      dst[b] = t[a * 4u] + 0.5 * (t[a * 4u + 1u] + t[a * 4u + 2u]);
      dst[b + 1u] = 0.5 * (t[a * 4u + 1u] - t[a * 4u + 2u]);
      dst[b + 2u] = 0.5 * (t[a * 4u + 1u] + t[a * 4u + 2u]) + t[a * 4u + 3u];
    }
    return;
  }
  // i = r * KP + k over the output rows r and padded columns k.
  let r = i / KP;
  let k = i % KP;
  let inner = select(CI, CO, MODE == 1u);
  var u: array<f32, 16>;
  if (k < inner) {
    var co = r;
    var ci = k;
    if (MODE == 1u) {
      co = k;
      ci = r;
    }
    var g: array<f32, 9>;
    for (var j = 0u; j < 9u; j++) {
      let v = src[(co * CI + ci) * 9u + j];
      g[select(j, 8u - j, MODE == 1u)] = v;
    }
    // G g (4 rows of 3), then (G g) G^T (4 of 4).
    var t: array<f32, 12>;
    for (var q = 0u; q < 3u; q++) {
      t[q] = g[q];
      t[3u + q] = 0.5 * (g[q] + g[3u + q] + g[6u + q]);
      t[6u + q] = 0.5 * (g[q] - g[3u + q] + g[6u + q]);
      t[9u + q] = g[6u + q];
    }
    for (var a = 0u; a < 4u; a++) {
      u[a * 4u] = t[a * 3u];
      u[a * 4u + 1u] = 0.5 * (t[a * 3u] + t[a * 3u + 1u] + t[a * 3u + 2u]);
      u[a * 4u + 2u] = 0.5 * (t[a * 3u] - t[a * 3u + 1u] + t[a * 3u + 2u]);
      u[a * 4u + 3u] = t[a * 3u + 2u];
    }
  }
  let rows = select(CO, CI, MODE == 1u);
  for (var e = 0u; e < 16u; e++) { dst[(e * rows + r) * KP + k] = u[e]; }
}
