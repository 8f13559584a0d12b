// Four f32 per element load. Under llvmpipe a storage load whose address differs per invocation
// is a scalar loop over the SIMD lanes, one per load, so a vec4 load moves four elements for the
// price of one: a ReLU over 802,816 floats ran 4.1 ms as f32 loads and 1.6 ms as vec4 loads.
// Kernels written on V run with either width; the caller picks this one when the element count
// (and, for per-channel kernels, the plane size) is a multiple of 4.
alias V = vec4<f32>;
const LANES = 4u;
fn splat(v: f32) -> V { return V(v); }
fn first(v: V) -> f32 { return v.x; }
fn total(v: V) -> f32 { return (v.x + v.y) + (v.z + v.w); }
