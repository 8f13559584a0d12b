// Copies rows of width K into rows of width Kp >= K, zero-filling the extra columns, so that
// a matrix whose row length is not a multiple of 4 can feed the vec4 GEMM.
struct Params { rows: u32, K: u32, Kp: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop: each invocation handles several elements. Under llvmpipe the
  // per-invocation cost dominates simple kernels; 16 elements each ran ~4x faster than 1.
  let stride = nw.x * nw.y * 256u;
  for (var i = (wid.y * nw.x + wid.x) * 256u + li; i < p.rows * p.Kp; i += stride) {
    let c = i % p.Kp;
    let r = i / p.Kp;
    out[i] = select(0.0, x[r * p.K + c], c < p.K);
  }
}
