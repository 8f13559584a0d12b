// ASAM's ascent direction over a flat range: d = (|w| + eta)^2 * g, the elementwise T_w^2 g of
// Kwon et al. (2021) with T_w = |w| + eta. ||T_w g||^2 is then dot(d, g), so the perturbation
// e = rho * d / ||T_w g|| needs this one pass and one reduction.
struct Params { n: u32, eta: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let i = (wid.y * nw.x + wid.x) * 256u + li;
  if (i >= p.n) { return; }
  let t = abs(w[i]) + p.eta;
  d[i] = t * t * g[i];
}
