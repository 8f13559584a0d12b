// Reduces x viewed as [outer, R, inner] over R, in `parts` slices of `chunk` rows each:
// out[o, part, i] = op over r in [part*chunk, min(R, (part+1)*chunk)) of x[o, r, i].
// With parts = 1 this is the whole reduction; with parts > 1 a second pass finishes it,
// which keeps every thread busy when outer*inner is small (e.g. a full sum).
override OP: u32 = 0u;   // 0 sum, 1 max, 2 sum of squares

struct Params { outer: u32, R: u32, inner: u32, parts: u32, chunk: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let t = (wid.y * nw.x + wid.x) * 256u + li;
  if (t >= p.outer * p.parts * p.inner) { return; }
  let i = t % p.inner;
  let part = (t / p.inner) % p.parts;
  let o = t / (p.inner * p.parts);
  let r0 = part * p.chunk;
  let r1 = min(p.R, r0 + p.chunk);
  var acc = 0.0;
  if (OP == 1u) { acc = -3.4028234663852886e38; }
  var idx = (o * p.R + r0) * p.inner + i;
  for (var r = r0; r < r1; r++) {
    let v = x[idx];
    if (OP == 0u) { acc += v; } else if (OP == 1u) { acc = max(acc, v); } else { acc = fma(v, v, acc); }
    idx += p.inner;
  }
  out[t] = acc;
}
