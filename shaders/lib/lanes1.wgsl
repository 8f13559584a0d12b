// One f32 per element load: V is the element type of kernels written for either width
// (see lanes4.wgsl); src/ops/launch.ts laneSources() builds both.
alias V = f32;
const LANES = 1u;
fn splat(v: f32) -> V { return v; }
fn first(v: V) -> f32 { return v; }
fn total(v: V) -> f32 { return v; }
alias VU = u32;
const LANE_STEP = 0u;
fn pick4(k: VU, a: f32, b: f32, c: f32, d: f32) -> V {
  return select(select(select(a, b, k >= 1u), c, k >= 2u), d, k >= 3u);
}
