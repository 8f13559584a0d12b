// Average pooling forward over NCHW planes with PyTorch's divisor: the window clipped to the
// padded image when INCLUDE_PAD (count_include_pad=True, the default), else to the image.
// Global average pooling is the case KH = H, KW = W, one output per plane.
//!include pool
//!include grid
override INCLUDE_PAD: bool = true;

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let ow = i % OW;
    let oh = (i / OW) % OH;
    let plane = i / (OW * OH);
    let h0 = i32(oh * SH) - i32(PH);
    let w0 = i32(ow * SW) - i32(PW);
    let h1 = min(h0 + i32(KH), i32(H + PH));
    let w1 = min(w0 + i32(KW), i32(W + PW));
    let ha = max(h0, 0);
    let hb = min(h1, i32(H));
    let wa = max(w0, 0);
    let wb = min(w1, i32(W));
    var acc = 0.0;
    for (var ih = ha; ih < hb; ih++) {
      for (var iw = wa; iw < wb; iw++) {
        acc += x[(plane * H + u32(ih)) * W + u32(iw)];
      }
    }
    let div = select((hb - ha) * (wb - wa), (h1 - h0) * (w1 - w0), INCLUDE_PAD);
    y[i] = acc / f32(div);
  }
}
