// Winograd F(2x2, 3x3) output transform (see src/ops/winograd.ts): y = A^T m A per tile, with
// A^T = [[1,1,1,0],[0,1,-1,-1]], from the 16 GEMM products m[e, r, t] ([16, R, TP]) to the
// 2x2 outputs y[n0 + s, r, 2th + a, 2tw + b] of tile t = s * T + th * TW + tw; outputs past the
// map (odd H or W) are dropped. Each invocation handles 4 consecutive tiles as vec4 lanes, so
// the 16 loads are vec4 loads; written without loops or private arrays, as
// winograd_tiles.wgsl (llvmpipe keeps dynamically indexed private arrays in memory).
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

// Stores tile t's 2x2 outputs (a row-major vec4), dropping those past the map.
fn put(t: u32, r: u32, o: vec4<f32>) {
  let T = TH * TW;
  if (t >= NB * T) { return; }
  let s = t / T;
  let oh = 2u * ((t % T) / TW);
  let ow = 2u * (t % TW);
  let base = ((p.n0 + s) * R + r) * H * W + oh * W + ow;
  y[base] = o.x;
  if (ow + 1u < W) { y[base + 1u] = o.y; }
  if (oh + 1u < H) {
    y[base + W] = o.z;
    if (ow + 1u < W) { y[base + W + 1u] = o.w; }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let stride = nw.x * nw.y * 64u;
  let T4 = TP / 4u;
  let plane = R * T4; // vec4s per transformed element e
  for (var i = (wid.y * nw.x + wid.x) * 64u + li; i < p.total; i += stride) {
    let t4 = i % T4;
    let r = i / T4;
    let m00 = m[0u * plane + i];
    let m01 = m[1u * plane + i];
    let m02 = m[2u * plane + i];
    let m03 = m[3u * plane + i];
    let m10 = m[4u * plane + i];
    let m11 = m[5u * plane + i];
    let m12 = m[6u * plane + i];
    let m13 = m[7u * plane + i];
    let m20 = m[8u * plane + i];
    let m21 = m[9u * plane + i];
    let m22 = m[10u * plane + i];
    let m23 = m[11u * plane + i];
    let m30 = m[12u * plane + i];
    let m31 = m[13u * plane + i];
    let m32 = m[14u * plane + i];
    let m33 = m[15u * plane + i];
    // A^T m along rows, then (A^T m) A along columns.
    let u00 = m00 + m10 + m20;
    let u10 = m10 - m20 - m30;
    let u01 = m01 + m11 + m21;
    let u11 = m11 - m21 - m31;
    let u02 = m02 + m12 + m22;
    let u12 = m12 - m22 - m32;
    let u03 = m03 + m13 + m23;
    let u13 = m13 - m23 - m33;
    let o00 = u00 + u01 + u02;
    let o01 = u01 - u02 - u03;
    let o10 = u10 + u11 + u12;
    let o11 = u11 - u12 - u13;
    put(t4 * 4u + 0u, r, vec4<f32>(o00.x, o01.x, o10.x, o11.x));
    put(t4 * 4u + 1u, r, vec4<f32>(o00.y, o01.y, o10.y, o11.y));
    put(t4 * 4u + 2u, r, vec4<f32>(o00.z, o01.z, o10.z, o11.z));
    put(t4 * 4u + 3u, r, vec4<f32>(o00.w, o01.w, o10.w, o11.w));
  }
}
