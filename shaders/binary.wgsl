// out = f(a, b) with NumPy broadcasting. Up to 8 dims; a stride of 0 broadcasts.
// MODE 0: a and b have the output's shape (contiguous fast path);
// MODE 1: b is a single element; MODE 2: general strided indexing. Elements are V (f32 or vec4,
// shaders/lib/lanes*.wgsl): vec4 only with MODE 0, where p.n counts vec4s.
//!include grid
//!include lanes
override OP: u32 = 0u;
override MODE: u32 = 2u;

struct Params {
  n: u32, rank: u32, pad0: u32, pad1: u32,
  shape: array<vec4<u32>, 2>,
  sa: array<vec4<u32>, 2>,
  sb: array<vec4<u32>, 2>,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<V>;
@group(0) @binding(2) var<storage, read> b: array<V>;
@group(0) @binding(3) var<storage, read_write> out: array<V>;

// fn f, one case per op code, and fv, f on each component of two V, are generated from the op
// table of src/ops/elementwise.ts.
//!include elementwise

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    if (MODE == 0u) { out[i] = fv(a[i], b[i]); continue; }
    if (MODE == 1u) { out[i] = fv(a[i], b[0]); continue; }
    var rem = i;
    var ia = 0u;
    var ib = 0u;
    for (var d = i32(p.rank) - 1; d >= 0; d--) {
      let du = u32(d);
      let extent = p.shape[du / 4u][du % 4u];
      let c = rem % extent;
      rem = rem / extent;
      ia += c * p.sa[du / 4u][du % 4u];
      ib += c * p.sb[du / 4u][du % 4u];
    }
    out[i] = fv(a[ia], b[ib]);
  }
}
