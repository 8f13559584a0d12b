// Cosine similarity of two flat ranges in two dispatches.
// PHASE 0: invocation t accumulates (a.b, a.a, b.b) over elements t, t + T, t + 2T, ... into
//          partials[3t .. 3t + 2] (strided so neighbouring lanes read neighbouring addresses).
// PHASE 1: one workgroup sums the T partial triples and writes
//          out = [cos, a.b, a.a, b.b], with cos = a.b / (|a| |b|), or 0 when either vector is zero
//          (the seed divided 0 by 0 there and got NaN). With `accumulate`, the sums already in
//          out[1..3] (from the previous parameter group) are added first.
override PHASE: u32 = 0u;

struct Params { n: u32, total: u32, accumulate: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> partials: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> sab: array<f32, 256>;
var<workgroup> saa: array<f32, 256>;
var<workgroup> sbb: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  if (PHASE == 0u) {
    let t = gid.x;
    if (t >= p.total) { return; }
    var ab = 0.0;
    var aa = 0.0;
    var bb = 0.0;
    for (var i = t; i < p.n; i += p.total) {
      let x = a[i];
      let y = b[i];
      ab = fma(x, y, ab);
      aa = fma(x, x, aa);
      bb = fma(y, y, bb);
    }
    partials[3u * t] = ab;
    partials[3u * t + 1u] = aa;
    partials[3u * t + 2u] = bb;
    return;
  }
  var ab = 0.0;
  var aa = 0.0;
  var bb = 0.0;
  for (var t = li; t < p.total; t += 256u) {
    ab += partials[3u * t];
    aa += partials[3u * t + 1u];
    bb += partials[3u * t + 2u];
  }
  sab[li] = ab;
  saa[li] = aa;
  sbb[li] = bb;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s >>= 1u) {
    if (li < s) {
      sab[li] += sab[li + s];
      saa[li] += saa[li + s];
      sbb[li] += sbb[li + s];
    }
    workgroupBarrier();
  }
  if (li == 0u) {
    var tab = sab[0];
    var taa = saa[0];
    var tbb = sbb[0];
    if (p.accumulate != 0u) {
      tab += out[1];
      taa += out[2];
      tbb += out[3];
    }
    let d = sqrt(taa) * sqrt(tbb);
    var c = 0.0;
    if (d > 0.0) { c = tab / d; }
    out[0] = c;
    out[1] = tab;
    out[2] = taa;
    out[3] = tbb;
  }
}
