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
// The body is written out without loops or private arrays: llvmpipe keeps a dynamically indexed
// private array in memory; this form made the ResNet-18 3x3 layers' forward + backward up to
// 1.16x faster (process CPU time, bench/conv_ab.ts) than a loop over private arrays.
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

// Where tile t's patch starts: (plane offset, first row, first column), or plane -1 when the
// tile is padding (t >= NB * T) or the channel is (c >= C): every load of it is then zero.
fn origin(t: u32, c: u32) -> vec3<i32> {
  let T = TH * TW;
  if (c >= C || t >= NB * T) { return vec3<i32>(-1, 0, 0); }
  let s = t / T;
  let th = (t % T) / TW;
  let tw = t % TW;
  let back = select(0, 1, MODE == 0u); // the input patch starts one row/column before the tile
  return vec3<i32>(i32(((p.n0 + s) * C + c) * H * W), i32(2u * th) - back, i32(2u * tw) - back);
}

fn at(o: vec3<i32>, dr: i32, dc: i32) -> f32 {
  let r = o.y + dr;
  let q = o.z + dc;
  if (o.x < 0 || r < 0 || q < 0 || r >= i32(H) || q >= i32(W)) { return 0.0; }
  return x[u32(o.x) + u32(r) * W + u32(q)];
}

// Element (dr, dc) of the 4 tiles' patches as one vec4.
fn lanes(o0: vec3<i32>, o1: vec3<i32>, o2: vec3<i32>, o3: vec3<i32>, dr: i32, dc: i32) -> vec4<f32> {
  return vec4<f32>(at(o0, dr, dc), at(o1, dr, dc), at(o2, dr, dc), at(o3, dr, dc));
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let stride = nw.x * nw.y * 64u;
  let T4 = TP / 4u;
  let plane = CP * T4; // vec4s per transformed element e
  for (var i = (wid.y * nw.x + wid.x) * 64u + li; i < p.total; i += stride) {
    let t4 = i % T4;
    let c = i / T4;
    let o0 = origin(t4 * 4u, c);
    let o1 = origin(t4 * 4u + 1u, c);
    let o2 = origin(t4 * 4u + 2u, c);
    let o3 = origin(t4 * 4u + 3u, c);
    if (MODE == 0u) {
      let d00 = lanes(o0, o1, o2, o3, 0, 0);
      let d01 = lanes(o0, o1, o2, o3, 0, 1);
      let d02 = lanes(o0, o1, o2, o3, 0, 2);
      let d03 = lanes(o0, o1, o2, o3, 0, 3);
      let d10 = lanes(o0, o1, o2, o3, 1, 0);
      let d11 = lanes(o0, o1, o2, o3, 1, 1);
      let d12 = lanes(o0, o1, o2, o3, 1, 2);
      let d13 = lanes(o0, o1, o2, o3, 1, 3);
      let d20 = lanes(o0, o1, o2, o3, 2, 0);
      let d21 = lanes(o0, o1, o2, o3, 2, 1);
      let d22 = lanes(o0, o1, o2, o3, 2, 2);
      let d23 = lanes(o0, o1, o2, o3, 2, 3);
      let d30 = lanes(o0, o1, o2, o3, 3, 0);
      let d31 = lanes(o0, o1, o2, o3, 3, 1);
      let d32 = lanes(o0, o1, o2, o3, 3, 2);
      let d33 = lanes(o0, o1, o2, o3, 3, 3);
      // B^T d along columns, then (B^T d) B along rows.
      let m00 = d00 - d20;
      let m10 = d10 + d20;
      let m20 = d20 - d10;
      let m30 = d10 - d30;
      let m01 = d01 - d21;
      let m11 = d11 + d21;
      let m21 = d21 - d11;
      let m31 = d11 - d31;
      let m02 = d02 - d22;
      let m12 = d12 + d22;
      let m22 = d22 - d12;
      let m32 = d12 - d32;
      let m03 = d03 - d23;
      let m13 = d13 + d23;
      let m23 = d23 - d13;
      let m33 = d13 - d33;
      outv[0u * plane + i] = m00 - m02;
      outv[1u * plane + i] = m01 + m02;
      outv[2u * plane + i] = m02 - m01;
      outv[3u * plane + i] = m01 - m03;
      outv[4u * plane + i] = m10 - m12;
      outv[5u * plane + i] = m11 + m12;
      outv[6u * plane + i] = m12 - m11;
      outv[7u * plane + i] = m11 - m13;
      outv[8u * plane + i] = m20 - m22;
      outv[9u * plane + i] = m21 + m22;
      outv[10u * plane + i] = m22 - m21;
      outv[11u * plane + i] = m21 - m23;
      outv[12u * plane + i] = m30 - m32;
      outv[13u * plane + i] = m31 + m32;
      outv[14u * plane + i] = m32 - m31;
      outv[15u * plane + i] = m31 - m33;
    } else {
      let g00 = lanes(o0, o1, o2, o3, 0, 0);
      let g01 = lanes(o0, o1, o2, o3, 0, 1);
      let g10 = lanes(o0, o1, o2, o3, 1, 0);
      let g11 = lanes(o0, o1, o2, o3, 1, 1);
      // A g: rows g0, g0 + g1, g0 - g1, -g1; then (A g) A^T the same along columns.
      let m00 = g00;
      let m10 = g00 + g10;
      let m20 = g00 - g10;
      let m30 = -g10;
      let m01 = g01;
      let m11 = g01 + g11;
      let m21 = g01 - g11;
      let m31 = -g11;
      outv[0u * plane + i] = m00;
      outv[1u * plane + i] = m00 + m01;
      outv[2u * plane + i] = m00 - m01;
      outv[3u * plane + i] = -m01;
      outv[4u * plane + i] = m10;
      outv[5u * plane + i] = m10 + m11;
      outv[6u * plane + i] = m10 - m11;
      outv[7u * plane + i] = -m11;
      outv[8u * plane + i] = m20;
      outv[9u * plane + i] = m20 + m21;
      outv[10u * plane + i] = m20 - m21;
      outv[11u * plane + i] = -m21;
      outv[12u * plane + i] = m30;
      outv[13u * plane + i] = m30 + m31;
      outv[14u * plane + i] = m30 - m31;
      outv[15u * plane + i] = -m31;
    }
  }
}
