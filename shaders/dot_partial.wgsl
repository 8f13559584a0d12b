// Partial sums of x*y (or x*x when SQUARE) over a flat range: invocation t sums elements
// t, t + T, t + 2T, ... where T is the number of invocations; a reduce pass then adds the partials.
// The strided split keeps neighbouring lanes on neighbouring addresses.
override SQUARE: bool = false;

struct Params { n: u32, total: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let t = gid.x;
  if (t >= p.total) { return; }
  var acc = 0.0;
  for (var i = t; i < p.n; i += p.total) {
    let a = x[i];
    if (SQUARE) { acc = fma(a, a, acc); } else { acc = fma(a, y[i], acc); }
  }
  out[t] = acc;
}
