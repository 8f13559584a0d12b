// Unfolds images into GEMM columns: col[s, k, q] = x[n0 + s, ci, oh*stride - pad + kh, ow*stride - pad + kw]
// with k = (ci*KH + kh)*KW + kw and q = oh*OW + ow; zero outside the image and in the padding rows
// k >= K and columns q >= P that round K and P up to multiples of 4 for the vec4 GEMM.
struct Params {
  C: u32, H: u32, W: u32, KH: u32,
  KW: u32, stride: u32, pad: u32, OH: u32,
  OW: u32, K: u32, Kp: u32, Pp: u32,
  n0: u32, total: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  if (i >= p.total) { return; }
  let q = i % p.Pp;
  let k = (i / p.Pp) % p.Kp;
  let s = i / (p.Pp * p.Kp);
  var v = 0.0;
  if (k < p.K && q < p.OH * p.OW) {
    let kw = k % p.KW;
    let kh = (k / p.KW) % p.KH;
    let ci = k / (p.KW * p.KH);
    let ih = i32((q / p.OW) * p.stride + kh) - i32(p.pad);
    let iw = i32((q % p.OW) * p.stride + kw) - i32(p.pad);
    if (ih >= 0 && iw >= 0 && ih < i32(p.H) && iw < i32(p.W)) {
      v = x[(((p.n0 + s) * p.C + ci) * p.H + u32(ih)) * p.W + u32(iw)];
    }
  }
  col[i] = v;
}
