// Copies between a tensor viewed as [outer, n, inner] and the slice [offset, offset + n) of the
// middle axis of a tensor viewed as [outer, total, inner]. INTO = 1: big[.., offset + c, ..] =
// small[.., c, ..] (concatenation, and the backward of a slice); INTO = 0: small = that slice
// of big (a slice, and the backward of concatenation). Each element is written once, so no
// atomics are needed.
//!include grid
override INTO: u32 = 1u;

struct Params { count: u32, n: u32, inner: u32, total: u32, offset: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> small: array<f32>;
@group(0) @binding(2) var<storage, read_write> big: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let plane = p.n * p.inner;
  // Grid-stride loop over the small tensor's elements (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.count);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let o = i / plane;
    let rest = i - o * plane;
    let j = (o * p.total + p.offset) * p.inner + rest;
    if (INTO == 1u) { big[j] = small[i]; } else { small[i] = big[j]; }
  }
}
