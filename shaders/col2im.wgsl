// Folds column gradients back onto images (the adjoint of im2col), as a gather so that no
// atomics are needed: dx[n0 + s, ci, ih, iw] = sum over (kh, kw) with a matching output pixel of
// dcol[s, (ci*KH + kh)*KW + kw, oh*OW + ow], or with FOLD (the chunk's NB images side by side,
// as im2col lays them out for small maps) dcol[k, s*Pp + oh*OW + ow].
// The geometry is specialised per layer (override constants): integer division by a runtime
// value is scalarised under llvmpipe, division by a constant becomes a multiply and shift.
//!include grid
override C: u32;
override H: u32;
override W: u32;
override KH: u32;
override KW: u32;
override STRIDE: u32;
override PAD: u32;
override OH: u32;
override OW: u32;
override K: u32;
override Kp: u32;
override Pp: u32;
override FOLD: bool = false;
override NB: u32 = 1u;
// ADD adds `addend` (dx's shape) to each element: the gradient already accumulated for x
// (GradThunk.withAddend in src/ops/record.ts).
override ADD: bool = false;
struct Params { n0: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dcol: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> addend: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  // Grid-stride loop (shaders/lib/grid.wgsl).
  let walk = gridWalk(wid, nw, li, 256u, p.total);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    let iw = i % W;
    let ih = (i / W) % H;
    let ci = (i / (W * H)) % C;
    let s = i / (W * H * C);
    var acc = 0.0;
    for (var kh = 0u; kh < KH; kh++) {
      let th = i32(ih + PAD) - i32(kh);
      if (th < 0 || th % i32(STRIDE) != 0) { continue; }
      let oh = u32(th) / STRIDE;
      if (oh >= OH) { continue; }
      for (var kw = 0u; kw < KW; kw++) {
        let tw = i32(iw + PAD) - i32(kw);
        if (tw < 0 || tw % i32(STRIDE) != 0) { continue; }
        let ow = u32(tw) / STRIDE;
        if (ow >= OW) { continue; }
        let k = (ci * KH + kh) * KW + kw;
        let at = select((s * Kp + k) * Pp, k * NB * Pp + s * Pp, FOLD);
        acc += dcol[at + oh * OW + ow];
      }
    }
    let e = ((p.n0 + s) * C + ci) * H * W + ih * W + iw;
    dx[e] = select(acc, addend[e] + acc, ADD);
  }
}
