// Backward of the NLL gather: dlogp[r, j] = -g[r] * scale where j == label[r], else 0.
//!include grid
struct Params { rows: u32, C: u32, scale: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> dlogp: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.rows * p.C);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let r = i / p.C;
    let j = i % p.C;
    dlogp[i] = select(0.0, -g[r] * p.scale, u32(labels[r]) == j);
  }
}
