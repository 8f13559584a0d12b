// Max pooling backward as a gather (no atomics, deterministic): each input element sums the
// gradients of the output windows that cover it and whose recorded argmax is this element.
// Windows covering ih: oh in [ceil((ih + PH - KH + 1) / SH), floor((ih + PH) / SH)] within [0, OH).
//!include pool
//!include grid

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// First and one-past-last output index whose window covers input index v along one axis.
fn span(v: u32, K: u32, S: u32, P: u32, O: u32) -> vec2<u32> {
  let t = i32(v + P) - i32(K) + 1;
  let lo = select(0u, u32((t + i32(S) - 1) / i32(S)), t > 0);
  let hi = min(O, (v + P) / S + 1u);
  return vec2<u32>(lo, hi);
}

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let iw = i % W;
    let ih = (i / W) % H;
    let plane = i / (W * H);
    let k = ih * W + iw;
    let rh = span(ih, KH, SH, PH, OH);
    let rw = span(iw, KW, SW, PW, OW);
    var acc = 0.0;
    for (var oh = rh.x; oh < rh.y; oh++) {
      for (var ow = rw.x; ow < rw.y; ow++) {
        let o = (plane * OH + oh) * OW + ow;
        if (argmax[o] == k) { acc += g[o]; }
      }
    }
    dx[i] = acc;
  }
}
