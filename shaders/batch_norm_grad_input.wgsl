// Batch norm backward with respect to the input, from one vec4 per channel
// (mean, invstd, k = w * invstd, q = db/count) of batch_norm_coef.wgsl and dw = sums[c], with
// dw = sum(g*xhat) and db = sum(g):
//   batch statistics (BATCH):  dx = k * (g - q - xhat * dw / count),
//                               xhat = (x - mean) * invstd, the gradient through mean and variance;
//   running statistics:         dx = g * k (the statistics are constants).
// PLANE walks each (n, c) plane with 32 invocations, loading its per-channel values once, as in
// batch_norm_apply.wgsl; QUAD walks groups of 4 planes with 8, as there; otherwise a flat
// grid-stride loop. Elements are V (f32, or vec4 when
// HW % 4 == 0), as in batch_norm_apply.wgsl. RELU masks g where the forward's normalised value
// fma(x - mean, k, bias) (k = weight * invstd, the forward's scale) is not positive, as in
// batch_norm_grad_partial.wgsl.
//!include nchw
//!include grid
//!include lanes
//!include plane_quads
override BATCH: bool = true;
override PLANE: bool = false;
override QUAD: bool = false;
const PER_PLANE = 32u; // invocations per plane in the PLANE layout, as in batch_norm_apply.wgsl
override RELU: bool = false;
override ADD: bool = false;

struct Params { n: u32, planes: u32, pad0: u32, count: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> coef: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> dx: array<V>;
@group(0) @binding(5) var<storage, read> bias: array<f32>;
@group(0) @binding(6) var<storage, read> sums: array<f32>;
@group(0) @binding(7) var<storage, read> addend: array<V>;

// Stores dx at element i, plus the addend's element when ADD (the gradient already accumulated
// for x, added here rather than by a separate pass; the sum's operands are those the autograd's
// add would take, so the result is the same).
fn put(i: u32, v: V) {
  dx[i] = select(v, addend[i] + v, ADD);
}

// dx at element i (of V) from its channels' coefficients (mean, invstd, k, q of
// batch_norm_coef.wgsl), dw and the bias b, per lane.
fn gradLanes(i: u32, mean: V, invstd: V, k: V, q: V, dw: V, b: V) -> V {
  let gi = g[i];
  let xc = x[i] - mean;
  let gv = select(gi, select(splat(0.0), gi, fma(xc, k, b) > splat(0.0)), RELU);
  if (BATCH) {
    let xhat = xc * invstd;
    return k * (gv - q - xhat * dw / p.count);
  }
  return k * gv;
}

// dx at element i (of V) of a channel whose coefficients are q, dw and the bias b.
fn grad(i: u32, q: vec4<f32>, dw: f32, b: f32) -> V {
  return gradLanes(i, splat(q.x), splat(q.y), splat(q.z), splat(q.w), splat(dw), splat(b));
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (PLANE) {
    let plane = (wid.z * nw.y + wid.y) * (256u / PER_PLANE) + li / PER_PLANE;
    if (plane >= p.planes) { return; }
    let c = plane % C;
    let q = coef[c];
    let dw = sums[c];
    let b = bias[c];
    let base = plane * (HW / LANES);
    let walk = walkOf(wid.x * PER_PLANE + li % PER_PLANE, nw.x * PER_PLANE, HW / LANES);
    for (var s = walk.x; s < walk.y; s += walk.z) {
      put(base + s, grad(base + s, q, dw, b));
    }
  } else if (QUAD) {
    let g = planeQuad((wid.y * nw.x + wid.x) * 256u + li, p.planes);
    if (!g.live) { return; }
    let w0 = sums[g.c0];
    let w1 = sums[g.c0 + 1u];
    let w2 = sums[g.c0 + 2u];
    let w3 = sums[g.c0 + 3u];
    let b0 = bias[g.c0];
    let b1 = bias[g.c0 + 1u];
    let b2 = bias[g.c0 + 2u];
    let b3 = bias[g.c0 + 3u];
    for (var j = g.first; j < quadElements(); j += QUAD_WALKERS) {
      let k = quadChannels(j);
      let q = pickCoef(k, g);
      put(g.base + j, gradLanes(g.base + j, q.x, q.y, q.z, q.w, pick4(k, w0, w1, w2, w3), pick4(k, b0, b1, b2, b3)));
    }
  } else {
    let walk = gridWalk(wid, nw, li, 256u, p.n / LANES);
    for (var i = walk.x; i < walk.y; i += walk.z) {
      let c = channelOf(i * LANES);
      put(i, grad(i, coef[c], sums[c], bias[c]));
    }
  }
}
