// Batch norm forward statistics, second level: one invocation per channel adds the `parts`
// partial sums of batch_norm_partial.wgsl and writes stats = [mean (C), invstd (C)] with the
// biased variance, as PyTorch normalises. When UPDATE, it also moves the running statistics
// in place (running_var takes the unbiased variance, scaled by count/(count-1)) and counts the
// batch in num_batches_tracked, so no statistic ever travels to the CPU.
override UPDATE: bool = false;

struct Params { C: u32, parts: u32, HW: u32, pad0: u32, count: f32, momentum: f32, eps: f32, unbias: f32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read_write> num_batches: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  var a = 0.0;
  var b = 0.0;
  for (var k = 0u; k < p.parts; k++) {
    a += partial[c * p.parts + k];
    b += partial[(p.C + c) * p.parts + k];
  }
  let md = a / p.count;
  let v = max(b / p.count - md * md, 0.0);
  let mean = x[c * p.HW] + md;
  stats[c] = mean;
  // 1/sqrt rather than inverseSqrt: the latter may be a low-precision estimate on some drivers.
  stats[p.C + c] = 1.0 / sqrt(v + p.eps);
  if (UPDATE) {
    let m = p.momentum;
    running_mean[c] = (1.0 - m) * running_mean[c] + m * mean;
    running_var[c] = (1.0 - m) * running_var[c] + m * v * p.unbias;
    if (c == 0u) { num_batches[0] += 1.0; }
  }
}
