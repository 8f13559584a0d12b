// Second pass of a split-K GEMM (src/ops/matmul.ts): C slice b = the sum of its PARTS partial
// products, which shaders/matmul.wgsl wrote as slices b * PARTS + q of `part` (each over one
// range of K). ACCUM adds the sum to what C holds. Elements are vec4s; the parts are added in
// order q = 0, 1, ..., so the result does not depend on the grid.
//!include grid
override PARTS: u32;
override ACCUM: bool = false;

struct Params { n4: u32, batch: u32, cbase: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> C: array<vec4<f32>>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let walk = gridWalk(wid, nw, li, 256u, p.batch * p.n4);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let b = i / p.n4;
    let e = i % p.n4;
    var s = part[b * PARTS * p.n4 + e];
    for (var q = 1u; q < PARTS; q++) {
      s += part[(b * PARTS + q) * p.n4 + e];
    }
    C[p.cbase + i] = select(s, s + C[p.cbase + i], ACCUM);
  }
}
