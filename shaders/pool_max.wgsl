// Max pooling forward over NCHW planes: out[plane, oh, ow] = max over the KHxKW window at
// (oh*SH - PH, ow*SW - PW), padding excluded (PyTorch pads with -inf). The position of the
// maximum within the input plane (ih*W + iw, first one on ties) goes to `argmax` so that
// backward routes each gradient to exactly the element that produced the output.
// The geometry is specialised per layer: division by constants is cheap under llvmpipe.
//!include pool
//!include grid

struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;

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
    var best = -3.4028234663852886e38;
    var at = 0u;
    var found = false;
    for (var kh = 0u; kh < KH; kh++) {
      let ih = h0 + i32(kh);
      if (ih < 0 || ih >= i32(H)) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let iw = w0 + i32(kw);
        if (iw < 0 || iw >= i32(W)) { continue; }
        let k = u32(ih) * W + u32(iw);
        let v = x[plane * H * W + k];
        if (!found || v > best) {
          best = v;
          at = k;
          found = true;
        }
      }
    }
    y[i] = best;
    argmax[i] = at;
  }
}
