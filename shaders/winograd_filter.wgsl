// Winograd F(MT x MT, 3x3) filter transforms (see src/ops/winograd.ts), one invocation per
// (row r, column k) of a transformed [E, R, KP] operand, E = ALPHA^2.
// MODE 0 (forward): u[e, co, ci] = (G w[co, ci] G^T)[e], R = CO rows, KP >= CI columns.
// MODE 1 (input gradient): the same for the filter flipped in both axes with CO and CI swapped,
//   u[e, ci, co] = (G flip(w[co, ci]) G^T)[e], R = CI rows, KP >= CO columns: dx is the
//   stride-1 pad-1 convolution of dy with that filter.
// Columns past the channel count are zero (the GEMM's depth padding).
// MODE 2 (weight gradient): dw[co, ci] = G^T du[., co, ci] G (3x3 from ALPHA x ALPHA) with
//   du = [E, CO, KP]: the exact gradient of the forward transform.
// The //@ lines are filled in by src/ops/winograd.ts with the transform written out.
//@CONSTANTS
override MODE: u32;
override CO: u32;
override CI: u32;
override KP: u32;
struct Params { total: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// Tap j (= 3 * kh + kw) of filter (co, ci), flipped in both axes in mode 1.
fn tap(co: u32, ci: u32, j: u32) -> f32 {
  return src[(co * CI + ci) * 9u + select(j, 8u - j, MODE == 1u)];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = gid.y * nw.x * 64u + gid.x;
  if (i >= p.total) { return; }
  if (MODE == 2u) {
    // i = co * CI + ci.
    let co = i / CI;
    let ci = i % CI;
    let at = co * KP + ci;
    let stride = CO * KP; // floats per transformed element e
    //@GRAD
    return;
  }
  // i = r * KP + k over the output rows r and padded columns k.
  let r = i / KP;
  let k = i % KP;
  let flip = MODE == 1u;
  let inner = select(CI, CO, flip);
  let rows = select(CO, CI, flip);
  let co = select(r, k, flip);
  let ci = select(k, r, flip);
  let live = k < inner;
  let stride = rows * KP; // floats per transformed element e
  let at = r * KP + k;
  //@FORWARD
}
