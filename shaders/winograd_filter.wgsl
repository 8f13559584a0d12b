// Winograd F(MT x MT, 3x3) filter transforms (see src/ops/winograd.ts), four columns of the
// transformed [E, R, KP] operand per invocation (E = ALPHA^2), so that each of its E elements is
// one vec4 store: under llvmpipe every store is a loop over the SIMD lanes, and the scalar form,
// 4 x E of them per four columns, took ~5% of a ResNet-18 step. Against it (one kernel A/B on
// ResNet-18's 64x64, 256x128 and 512x512 filters): forward 1.06-1.33x, input gradient
// 0.98-1.14x, weight gradient 1.09-1.36x.
// MODE 0 (forward): u[e, co, ci] = (G w[co, ci] G^T)[e], R = CO rows, KP >= CI columns.
// MODE 1 (input gradient): the same for the filter flipped in both axes with CO and CI swapped,
//   u[e, ci, co] = (G flip(w[co, ci]) G^T)[e], R = CI rows, KP >= CO columns: dx is the
//   stride-1 pad-1 convolution of dy with that filter.
// Columns past the channel count are zero (the GEMM's depth padding).
// MODE 2 (weight gradient): dw[co, ci] = G^T du[., co, ci] G (3x3 from ALPHA x ALPHA) with
//   du = [E, CO, KP]: the exact gradient of the forward transform; four input channels per
//   invocation, read as one vec4 per element (or, as the GEMM may write them, the E elements
//   interleaved in groups of 4 vec4s: GemmArgs.interleaveC).
// The //@ lines are filled in by src/ops/winograd.ts: the bindings of the mode (modes 0 and 1
// read taps as f32 and write vec4s, mode 2 the reverse; where CI % 4 == 0, modes 0 and 2 move the
// four filters' 36 consecutive taps as 9 vec4s instead) and the transform written out. Modes 0
// and 1 may write the E elements of four columns side by side, u as [R, KP / 4, E] vec4s (one
// store stream instead of E; the GEMM reads A's slices interleaved).
//@CONSTANTS
override CO: u32;
override CI: u32;
override KP: u32;
struct Params { total: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
//@BINDINGS

//@TAPS: modes 0 and 1 only (mode 2 has no f32 source; its source drops these lines)
// Tap j (= 3 * kh + kw) of filter (co, ci), flipped in both axes in mode 1.
fn tap(co: u32, ci: u32, j: u32) -> f32 {
  return src[(co * CI + ci) * 9u + select(j, 8u - j, MODE == 1u)];
}

// Tap j of the filter of row r, column k of the transform: zero past the channel count, read
// at a clamped, valid address there.
fn tapAt(r: u32, k: u32, j: u32) -> f32 {
  let flip = MODE == 1u;
  let inner = select(CI, CO, flip);
  let kc = min(k, inner - 1u);
  return select(0.0, tap(select(r, kc, flip), select(kc, r, flip), j), k < inner);
}

// Tap j of the four filters of row r, columns k0..k0+3.
fn taps(r: u32, k0: u32, j: u32) -> vec4<f32> {
  return vec4<f32>(tapAt(r, k0, j), tapAt(r, k0 + 1u, j), tapAt(r, k0 + 2u, j), tapAt(r, k0 + 3u, j));
}
//@END

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.y * nw.x * 64u + gid.x;
  if (i >= p.total) { return; }
  //@MAIN
}
