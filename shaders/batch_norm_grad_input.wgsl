// Batch norm backward with respect to the input, given sums = [dw = sum(g*xhat) | db = sum(g)]:
//   batch statistics (BATCH):  dx = w * invstd * (g - db/count - xhat * dw/count),
//                               xhat = (x - mean) * invstd, the gradient through mean and variance;
//   running statistics:         dx = g * w * invstd (the statistics are constants).
// PLANE selects a workgroup per (n, c) plane with uniform per-channel values, as in
// batch_norm_apply.wgsl; otherwise a flat grid-stride loop. Elements are V (f32, or vec4 when
// HW % 4 == 0), as in batch_norm_apply.wgsl.
//!include nchw
//!include lanes
override BATCH: bool = true;
override PLANE: bool = false;

struct Params { n: u32, planes: u32, stride: u32, count: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<V>;
@group(0) @binding(2) var<storage, read> x: array<V>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read> weight: array<f32>;
@group(0) @binding(5) var<storage, read> sums: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<V>;

// dx at element i (of V) of channel c.
fn grad(i: u32, c: u32) -> V {
  let invstd = stats[C + c];
  let k = weight[c] * invstd;
  if (BATCH) {
    let xhat = (x[i] - splat(stats[c])) * invstd;
    return k * (g[i] - sums[p.stride + c] / p.count - xhat * sums[c] / p.count);
  }
  return k * g[i];
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (PLANE) {
    let plane = wid.z * nw.y + wid.y;
    if (plane >= p.planes) { return; }
    let c = plane % C;
    let base = plane * (HW / LANES);
    for (var s = wid.x * 256u + li; s < HW / LANES; s += nw.x * 256u) {
      dx[base + s] = grad(base + s, c);
    }
  } else {
    for (var i = wid.x * 256u + li; i < p.n / LANES; i += nw.x * 256u) {
      dx[i] = grad(i, channelOf(i * LANES));
    }
  }
}
