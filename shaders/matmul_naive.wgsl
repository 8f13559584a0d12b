// Batched matmul for shapes the vec4 kernel cannot take (K or N not a multiple of 4):
// one invocation per output element, operands addressed through strides so transposes are free.
// Same slice semantics as matmul.wgsl (zsum slices summed into each C slice, optional accumulate).
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

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  if (n >= p.N || m >= p.M) { return; }
  var acc = 0.0;
  for (var z = 0u; z < p.zsum; z++) {
    let s = gid.z * p.zsum + z;
    var ia = p.abase + s * p.sa + m * p.a_m;
    var ib = p.bbase + s * p.sb + n * p.b_n;
    for (var k = 0u; k < p.K; k++) {
      acc = fma(A[ia], B[ib], acc);
      ia += p.a_k;
      ib += p.b_k;
    }
  }
  let ic = p.cbase + gid.z * p.sc + m * p.N + n;
  if (p.accum == 1u) { acc += C[ic]; }
  C[ic] = acc;
}
