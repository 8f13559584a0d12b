// Unfolds images into GEMM columns: col[s, k, q] = x[n0 + s, ci, oh*stride - pad + kh, ow*stride - pad + kw]
// with k = (ci*KH + kh)*KW + kw and q = oh*OW + ow; zero outside the image and in the padding rows
// k >= K and columns q >= P that round K and P up to multiples of 4 for the vec4 GEMM.
// The geometry is specialised per layer (override constants): integer division by a runtime
// value is scalarised under llvmpipe, division by a constant becomes a multiply and shift.
override C: u32;
override H: u32;
override W: u32;
override KH: u32;
override KW: u32;
override STRIDE: u32;
override PAD: u32;
override OH: u32;
override OW: u32;
override K: u32;
override Kp: u32;
override Pp: u32;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop: each invocation handles several elements. Under llvmpipe the
  // per-invocation cost dominates simple kernels; 16 elements each ran ~4x faster than 1.
  let stride = nw.x * nw.y * 256u;
  for (var i = (wid.y * nw.x + wid.x) * 256u + li; i < p.total; i += stride) {
    let q = i % Pp;
    let k = (i / Pp) % Kp;
    let s = i / (Pp * Kp);
    var v = 0.0;
    if (k < K && q < OH * OW) {
      let kw = k % KW;
      let kh = (k / KW) % KH;
      let ci = k / (KW * KH);
      let ih = i32((q / OW) * STRIDE + kh) - i32(PAD);
      let iw = i32((q % OW) * STRIDE + kw) - i32(PAD);
      if (ih >= 0 && iw >= 0 && ih < i32(H) && iw < i32(W)) {
        v = x[(((p.n0 + s) * C + ci) * H + u32(ih)) * W + u32(iw)];
      }
    }
    col[i] = v;
  }
}
