// Layer norm over the last axis of x[rows, D] with affine weight and bias (PyTorch's
// nn.LayerNorm: biased variance, eps inside the square root). One invocation per row (a
// workgroup per row was no faster under llvmpipe at ViT-S's [1576, 384]); the
// row's mean and 1/sqrt(var + eps) are saved for the backward pass. Two passes over the row
// (mean, then squared deviations) keep the variance accurate when |mean| >> std.
struct Params { rows: u32, D: u32, eps: f32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
// stats[2r] = mean, stats[2r + 1] = rstd.
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let r = gid.y * nw.x * 64u + gid.x;
  if (r >= p.rows) { return; }
  let base = r * p.D;
  let inv = 1.0 / f32(p.D);
  var s = 0.0;
  for (var j = 0u; j < p.D; j++) { s += x[base + j]; }
  let mean = s * inv;
  var v = 0.0;
  for (var j = 0u; j < p.D; j++) {
    let d = x[base + j] - mean;
    v += d * d;
  }
  let rstd = inverseSqrt(v * inv + p.eps);
  for (var j = 0u; j < p.D; j++) { y[base + j] = (x[base + j] - mean) * rstd * w[j] + b[j]; }
  stats[2u * r] = mean;
  stats[2u * r + 1u] = rstd;
}
