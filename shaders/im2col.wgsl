// Unfolds images into GEMM columns: col[s, k, q] = x[n0 + s, ci, oh*STRIDE - PAD + kh, ow*STRIDE - PAD + kw]
// with k = (ci*KH + kh)*KW + kw and q = oh*OW + ow; zero outside the image and in the padding rows
// k >= K and columns q >= P that round K and P up to multiples of 4 for the vec4 GEMM.
// Each invocation writes 4 consecutive columns as one vec4 (Pp is a multiple of 4), in a
// grid-stride loop: fewer, fatter invocations run much faster under llvmpipe.
// FOLD lays the chunk's NB images side by side instead, col[k, s * Pp + q] ([Kp, NB * Pp]), so
// that one GEMM covers the whole chunk: for small maps (P of 16 or 64) a per-image product is
// too narrow to fill the GEMM's column tiles (see src/ops/conv.ts).
// ROWS writes the transpose, colT[s, q, k] ([NB, Pp, Kp], the same as [NB * Pp, Kp] for either
// fold), 4 consecutive k per vec4: the weight gradient dOut x colT then needs no transposed
// operand (a B-transposed GEMM ran ~3x fewer FLOP/s in a ResNet-18 step).
//!include grid

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
override FOLD: bool = false;
override NB: u32 = 1u;
override ROWS: bool = false;
struct Params { n0: u32, total4: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> col: array<vec4<f32>>;

fn pixel(plane: u32, k: u32, q: u32) -> f32 {
  if (q >= OH * OW) { return 0.0; }
  let kw = k % KW;
  let kh = (k / KW) % KH;
  let ih = i32((q / OW) * STRIDE + kh) - i32(PAD);
  let iw = i32((q % OW) * STRIDE + kw) - i32(PAD);
  if (ih < 0 || iw < 0 || ih >= i32(H) || iw >= i32(W)) { return 0.0; }
  return x[plane + u32(ih) * W + u32(iw)];
}

// Tap k of output position q of chunk image s (zero in the padding rows k >= K).
fn tap(s: u32, k: u32, q: u32) -> f32 {
  if (k >= K) { return 0.0; }
  return pixel(((p.n0 + s) * C + k / (KW * KH)) * H * W, k, q);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let walk = gridWalk(wid, nw, li, 256u, p.total4);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    if (ROWS) {
      let k4 = (i % (Kp / 4u)) * 4u;
      let r = i / (Kp / 4u);
      let s = r / Pp;
      let q = r % Pp;
      col[i] = vec4<f32>(tap(s, k4, q), tap(s, k4 + 1u, q), tap(s, k4 + 2u, q), tap(s, k4 + 3u, q));
      continue;
    }
    let q = (i % (Pp / 4u)) * 4u;
    var k: u32;
    var s: u32;
    if (FOLD) {
      s = (i / (Pp / 4u)) % NB;
      k = i / ((Pp / 4u) * NB);
    } else {
      k = (i / (Pp / 4u)) % Kp;
      s = i / ((Pp / 4u) * Kp);
    }
    var v = vec4<f32>(0.0);
    if (k < K) {
      let plane = ((p.n0 + s) * C + k / (KW * KH)) * H * W;
      v = vec4<f32>(pixel(plane, k, q), pixel(plane, k, q + 1u), pixel(plane, k, q + 2u), pixel(plane, k, q + 3u));
    }
    col[i] = v;
  }
}
