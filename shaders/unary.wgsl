// y = f(x; alpha, beta) elementwise. OP selects f; one pipeline per OP. Elements are V (f32 or
// vec4, shaders/lib/lanes*.wgsl); p.n counts V elements.
//!include grid
//!include lanes
override OP: u32 = 0u;

struct Params { n: u32, alpha: f32, beta: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> y: array<V>;

// fn f, one case per op code, and fv, f on each component of a V, are generated from the op
// table of src/ops/elementwise.ts.
//!include elementwise

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    y[i] = fv(x[i]);
  }
}
