// The GPU-family GEMM: workgroup-shared-memory 2-D block tiling for real GPUs, where barriers are
// cheap and workgroup memory is on-chip. A 16x16 workgroup computes a 64x64 block of C; each
// invocation holds a 4x4 register tile as four vec4 rows. Per BK-deep step the workgroup stages a
// 64xBK slice of op(A) and a BKx64 slice of op(B) in workgroup memory (each invocation loads four
// elements of each), then every invocation runs BK rank-1 updates from vec4 reads of the tiles.
//
// Operands are addressed element-wise through strides, so one kernel takes every shape, either
// transpose and unaligned offsets; loads past an edge read zero and stores past an edge are skipped.
// Slice semantics match matmul.wgsl: C slice z (+)= sum over zsum slices s of op(A[s]) x op(B[s]).
const BK = 16u;

struct Params {
  M: u32, N: u32, K: u32, zsum: u32,
  a_m: u32, a_k: u32, b_k: u32, b_n: u32,   // element strides of A along m, k and of B along k, n
  sa: u32, sb: u32, sc: u32, accum: u32,    // slice strides in elements; accumulate into C if 1
  abase: u32, bbase: u32, cbase: u32, pad0: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> C: array<f32>;

// At[k * 16 + m4] holds op(A) rows 4*m4..4*m4+3 at depth k; Bt[k * 16 + n4] columns 4*n4..+3.
var<workgroup> At: array<vec4<f32>, 256>;
var<workgroup> Bt: array<vec4<f32>, 256>;

fn loadA(base: u32, m: u32, k: u32) -> f32 {
  if (m >= p.M || k >= p.K) { return 0.0; }
  return A[base + m * p.a_m + k * p.a_k];
}

fn loadB(base: u32, k: u32, n: u32) -> f32 {
  if (k >= p.K || n >= p.N) { return 0.0; }
  return B[base + k * p.b_k + n * p.b_n];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m0 = wid.y * 64u;
  let n0 = wid.x * 64u;
  let t = lid.y * 16u + lid.x;
  // Staging assignment: invocation t loads depth t / 16, four consecutive rows (columns) t % 16.
  let sk = t / 16u;
  let s4 = t % 16u;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var z = 0u; z < p.zsum; z++) {
    let s = wid.z * p.zsum + z;
    let ao = p.abase + s * p.sa;
    let bo = p.bbase + s * p.sb;
    for (var k0 = 0u; k0 < p.K; k0 += BK) {
      let ka = k0 + sk;
      let ma = m0 + s4 * 4u;
      At[t] = vec4<f32>(loadA(ao, ma, ka), loadA(ao, ma + 1u, ka), loadA(ao, ma + 2u, ka), loadA(ao, ma + 3u, ka));
      let nb = n0 + s4 * 4u;
      Bt[t] = vec4<f32>(loadB(bo, ka, nb), loadB(bo, ka, nb + 1u), loadB(bo, ka, nb + 2u), loadB(bo, ka, nb + 3u));
      workgroupBarrier();
      for (var k = 0u; k < BK; k++) {
        let a = At[k * 16u + lid.y];
        let b = Bt[k * 16u + lid.x];
        acc0 = fma(vec4<f32>(a.x), b, acc0);
        acc1 = fma(vec4<f32>(a.y), b, acc1);
        acc2 = fma(vec4<f32>(a.z), b, acc2);
        acc3 = fma(vec4<f32>(a.w), b, acc3);
      }
      workgroupBarrier();
    }
  }
  let row = m0 + lid.y * 4u;
  let col = n0 + lid.x * 4u;
  let co = p.cbase + wid.z * p.sc;
  for (var i = 0u; i < 4u; i++) {
    let m = row + i;
    if (m >= p.M) { break; }
    var v: vec4<f32>;
    switch (i) {
      case 0u: { v = acc0; }
      case 1u: { v = acc1; }
      case 2u: { v = acc2; }
      default: { v = acc3; }
    }
    for (var j = 0u; j < 4u; j++) {
      let n = col + j;
      if (n < p.N) {
        let ic = co + m * p.N + n;
        var c = v[j];
        if (p.accum == 1u) { c += C[ic]; }
        C[ic] = c;
      }
    }
  }
}
