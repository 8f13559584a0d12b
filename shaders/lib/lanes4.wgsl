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
alias VU = vec4<u32>;
const LANE_STEP = VU(0u, 1u, 2u, 3u); // element offsets of the lanes of a V
// Per lane, a, b, c or d as its k (0..3) says: the per-channel value of each element of a V that
// spans up to four channels (batch norm's QUAD layout).
fn pick4(k: VU, a: f32, b: f32, c: f32, d: f32) -> V {
  return select(select(select(V(a), V(b), k >= VU(1u)), V(c), k >= VU(2u)), V(d), k >= VU(3u));
}
