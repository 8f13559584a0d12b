// Batch norm normalisation: y = (x - mean[c]) * invstd[c] * weight[c] + bias[c] over NCHW, with
// stats = [mean (C), invstd (C)]. Two layouts of the same loop:
//   PLANE: workgroup (x, plane) walks one (n, c) plane, so c is uniform and the per-channel
//          values are loaded once (large planes; gathering them per element was ~2x slower);
//   else:  a flat grid-stride loop with c = (i / HW) % C (small planes, where a workgroup per
//          plane would leave most invocations idle).
// Elements are V (f32 or vec4 when HW % 4 == 0, shaders/lib/lanes*.wgsl): the four elements of a
// vec4 share a channel.
//!include nchw
//!include lanes
override PLANE: bool = false;

struct Params { n: u32, planes: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read> weight: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<V>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  if (PLANE) {
    let plane = wid.z * nw.y + wid.y;
    if (plane >= p.planes) { return; }
    let c = plane % C;
    let m = stats[c];
    let a = stats[C + c] * weight[c];
    let b = bias[c];
    let base = plane * (HW / LANES);
    for (var s = wid.x * 256u + li; s < HW / LANES; s += nw.x * 256u) {
      y[base + s] = fma(x[base + s] - splat(m), splat(a), splat(b));
    }
  } else {
    for (var i = wid.x * 256u + li; i < p.n / LANES; i += nw.x * 256u) {
      let c = channelOf(i * LANES);
      y[i] = fma(x[i] - splat(stats[c]), splat(stats[C + c] * weight[c]), splat(bias[c]));
    }
  }
}
