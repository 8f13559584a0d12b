// Folds column gradients back onto images (the adjoint of im2col), as a gather so that no
// atomics are needed: dx[n0 + s, ci, ih, iw] = sum over (kh, kw) with a matching output pixel of
// dcol[s, (ci*KH + kh)*KW + kw, oh*OW + ow].
struct Params {
  C: u32, H: u32, W: u32, KH: u32,
  KW: u32, stride: u32, pad: u32, OH: u32,
  OW: u32, K: u32, Kp: u32, Pp: u32,
  n0: u32, total: u32, pad0: u32, pad1: u32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dcol: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  if (i >= p.total) { return; }
  let iw = i % p.W;
  let ih = (i / p.W) % p.H;
  let ci = (i / (p.W * p.H)) % p.C;
  let s = i / (p.W * p.H * p.C);
  var acc = 0.0;
  for (var kh = 0u; kh < p.KH; kh++) {
    let th = i32(ih + p.pad) - i32(kh);
    if (th < 0 || th % i32(p.stride) != 0) { continue; }
    let oh = u32(th) / p.stride;
    if (oh >= p.OH) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let tw = i32(iw + p.pad) - i32(kw);
      if (tw < 0 || tw % i32(p.stride) != 0) { continue; }
      let ow = u32(tw) / p.stride;
      if (ow >= p.OW) { continue; }
      let k = (ci * p.KH + kh) * p.KW + kw;
      acc += dcol[(s * p.Kp + k) * p.Pp + oh * p.OW + ow];
    }
  }
  dx[((p.n0 + s) * p.C + ci) * p.H * p.W + ih * p.W + iw] = acc;
}
