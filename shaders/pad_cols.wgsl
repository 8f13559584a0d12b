// Copies rows of width K into rows of width Kp >= K, zero-filling the extra columns, so that
// a matrix whose row length is not a multiple of 4 can feed the vec4 GEMM.
//!include grid
struct Params { rows: u32, K: u32, Kp: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.rows * p.Kp);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let c = i % p.Kp;
    let r = i / p.Kp;
    out[i] = select(0.0, x[r * p.K + c], c < p.K);
  }
}
