// One f32 per element load: V is the element type of kernels written for either width
// (see lanes4.wgsl); src/ops/launch.ts laneSources() builds both.
alias V = f32;
const LANES = 1u;
fn splat(v: f32) -> V { return v; }
fn first(v: V) -> f32 { return v; }
fn total(v: V) -> f32 { return v; }
