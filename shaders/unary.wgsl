// y = f(x; alpha, beta) elementwise. OP selects f; one pipeline per OP.
//!include grid
override OP: u32 = 0u;

struct Params { n: u32, alpha: f32, beta: f32, pad: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// fn f, one case per op code, is generated from the op table of src/ops/elementwise.ts.
//!include elementwise

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let stride = gridStep(nw);
  for (var i = gridIndex(wid, nw, li); i < p.n; i += stride) {
    y[i] = f(x[i]);
  }
}
