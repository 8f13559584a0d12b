// Batch norm in eval mode: stats = [running_mean (C), 1/sqrt(running_var + eps) (C)], the same
// layout the training path produces, so normalisation and backward kernels serve both modes.
struct Params { C: u32, eps: f32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> running_mean: array<f32>;
@group(0) @binding(2) var<storage, read> running_var: array<f32>;
@group(0) @binding(3) var<storage, read_write> stats: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= p.C) { return; }
  stats[c] = running_mean[c];
  stats[p.C + c] = 1.0 / sqrt(running_var[c] + p.eps);
}
