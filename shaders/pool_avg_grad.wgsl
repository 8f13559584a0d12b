// Average pooling backward as a gather: each input element sums g / divisor over the output
// windows that cover it, with the divisor of pool_avg.wgsl.
//!include pool
//!include grid
override INCLUDE_PAD: bool = true;

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

// First and one-past-last output index whose window covers input index v along one axis.
fn span(v: u32, K: u32, S: u32, P: u32, O: u32) -> vec2<u32> {
  let t = i32(v + P) - i32(K) + 1;
  let lo = select(0u, u32((t + i32(S) - 1) / i32(S)), t > 0);
  let hi = min(O, (v + P) / S + 1u);
  return vec2<u32>(lo, hi);
}

// The divisor of window o along one axis: its extent clipped to the padded or to the plain image.
fn extent(o: u32, K: u32, S: u32, P: u32, N: u32) -> i32 {
  let a = i32(o * S) - i32(P);
  let b = min(a + i32(K), i32(N + P));
  if (INCLUDE_PAD) { return b - a; }
  return min(b, i32(N)) - max(a, 0);
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
    let rh = span(ih, KH, SH, PH, OH);
    let rw = span(iw, KW, SW, PW, OW);
    var acc = 0.0;
    for (var oh = rh.x; oh < rh.y; oh++) {
      let eh = extent(oh, KH, SH, PH, H);
      for (var ow = rw.x; ow < rw.y; ow++) {
        acc += g[(plane * OH + oh) * OW + ow] / f32(eh * extent(ow, KW, SW, PW, W));
      }
    }
    dx[i] = acc;
  }
}
