// The QUAD layout of batch norm's elementwise kernels (batch_norm_apply.wgsl,
// batch_norm_grad_input.wgsl): QUAD_WALKERS invocations (one SIMD group under llvmpipe) walk a
// group of 4 consecutive planes (n, 4g..4g+3, C % 4 == 0) as V elements, loading the 4 channels'
// coefficients once; a vec4 may span two channels (7x7 maps), so each lane picks its channel's
// values. The including shader declares `coef` (one vec4 per channel) and includes nchw, lanes
// and grid (whose GRID_WALKERS is one SIMD group).
const QUAD_WALKERS = GRID_WALKERS;

// Invocation `at`'s group of planes: its first channel c0 and first element (of V) `base`, the
// element it starts at within the group, and the 4 channels' coefficients.
struct PlaneQuad {
  live: bool,
  c0: u32,
  base: u32,
  first: u32,
  q0: vec4<f32>,
  q1: vec4<f32>,
  q2: vec4<f32>,
  q3: vec4<f32>,
}

fn planeQuad(at: u32, planes: u32) -> PlaneQuad {
  let quad = at / QUAD_WALKERS;
  let c0 = (quad * 4u) % C;
  return PlaneQuad(quad < planes / 4u, c0, quad * (4u * HW / LANES), at % QUAD_WALKERS,
                   coef[c0], coef[c0 + 1u], coef[c0 + 2u], coef[c0 + 3u]);
}

// Elements (of V) in a group of planes.
fn quadElements() -> u32 {
  return 4u * HW / LANES;
}

// Per lane of element j of a group, the channel (0..3 within the group) it belongs to.
fn quadChannels(j: u32) -> VU {
  return (VU(j * LANES) + LANE_STEP) / HW;
}

// The 4 coefficients of each lane's channel, one V each.
struct LaneCoef { x: V, y: V, z: V, w: V }

fn pickCoef(k: VU, g: PlaneQuad) -> LaneCoef {
  return LaneCoef(
    pick4(k, g.q0.x, g.q1.x, g.q2.x, g.q3.x),
    pick4(k, g.q0.y, g.q1.y, g.q2.y, g.q3.y),
    pick4(k, g.q0.z, g.q1.z, g.q2.z, g.q3.z),
    pick4(k, g.q0.w, g.q1.w, g.q2.w, g.q3.w),
  );
}
