// Zero-padded channels along one axis, optionally added onto a wider tensor:
//   out[o, c, s] = base[o, c, s] + (c < narrow ? x[o, c, s] : 0)      (HAS_BASE)
//   out[o, c, s] =                 (c < narrow ? x[o, c, s] : 0)      (otherwise)
// with x viewed as [outer, narrow, inner] and out / base as [outer, wide, inner]. This is the
// zero-padded shortcut of PyramidNet (torch.cat((shortcut, zeros), 1) added to the residual)
// without materialising the zeros. Grid-stride, like the other simple kernels.
//!include grid
override HAS_BASE: bool = false;

struct Params { n: u32, wide: u32, narrow: u32, inner: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> base: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let s = i % p.inner;
    let c = (i / p.inner) % p.wide;
    let o = i / (p.inner * p.wide);
    var v = 0.0;
    if (c < p.narrow) { v = x[(o * p.narrow + c) * p.inner + s]; }
    if (HAS_BASE) { v += base[i]; }
    out[i] = v;
  }
}
