// Batch norm normalisation: y = (x - mean[c]) * a[c] + b[c] over NCHW, with a = invstd * weight
// and b = bias, one vec4 (mean, a, b, 0) per channel from batch_norm_coef.wgsl. Two layouts of
// the same loop:
//   PLANE: PER_PLANE invocations walk one (n, c) plane, a workgroup holding 256 / PER_PLANE
//          planes, so c is uniform and the per-channel values are loaded once per invocation
//          (large planes; gathering them per element was ~2x slower). With a whole workgroup
//          per plane, a 28x28 plane (196 vec4s) gave each invocation one element, and the
//          per-channel load was paid per element after all;
//   QUAD:  8 invocations (one SIMD group under llvmpipe) walk a group of 4 consecutive planes
//          (n, 4g..4g+3) as vec4s, loading the 4 channels' values once; a vec4 may span two
//          channels (7x7 maps), so each lane picks its channel's values (lib/plane_quads.wgsl). Small planes
//          with C % 4 == 0: the flat loop below gathered the per-channel values per element,
//          and a 7x7 map could not load vec4s at all (~4x slower per element than 28x28);
//   else:  a flat grid-stride loop with c = (i / HW) % C (small planes, where a workgroup per
//          plane would leave most invocations idle).
// Elements are V (f32 or vec4 when HW % 4 == 0, shaders/lib/lanes*.wgsl): the four elements of a
// vec4 share a channel. RELU applies max(y, 0) in the same pass (relu(batch_norm(x)) fused: no
// pass over the normalised map, which is never stored).
//!include nchw
//!include grid
//!include lanes
//!include plane_quads
override PLANE: bool = false;
override QUAD: bool = false;
const PER_PLANE = 32u; // invocations per plane in the PLANE layout (src/ops/batch_norm.ts)
override RELU: bool = false;

fn out(v: V) -> V {
  return select(v, max(v, splat(0.0)), RELU);
}

struct Params { n: u32, planes: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> y: array<V>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (PLANE) {
    let plane = (wid.z * nw.y + wid.y) * (256u / PER_PLANE) + li / PER_PLANE;
    if (plane >= p.planes) { return; }
    let q = coef[plane % C];
    let base = plane * (HW / LANES);
    let walk = walkOf(wid.x * PER_PLANE + li % PER_PLANE, nw.x * PER_PLANE, HW / LANES);
    for (var s = walk.x; s < walk.y; s += walk.z) {
      y[base + s] = out(fma(x[base + s] - splat(q.x), splat(q.y), splat(q.z)));
    }
  } else if (QUAD) {
    let g = planeQuad((wid.y * nw.x + wid.x) * 256u + li, p.planes);
    if (!g.live) { return; }
    for (var j = g.first; j < quadElements(); j += QUAD_WALKERS) {
      let q = pickCoef(quadChannels(j), g);
      y[g.base + j] = out(fma(x[g.base + j] - q.x, q.y, q.z));
    }
  } else {
    let walk = gridWalk(wid, nw, li, 256u, p.n / LANES);
    for (var i = walk.x; i < walk.y; i += walk.z) {
      let q = coef[channelOf(i * LANES)];
      y[i] = out(fma(x[i] - splat(q.x), splat(q.y), splat(q.z)));
    }
  }
}
