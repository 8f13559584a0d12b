// Batch norm backward, second level: one invocation per channel adds the parts and writes
// dw[c] = sum(g * xhat) at sums[c] and db[c] = sum(g) at sums[stride + c]. `stride` is a
// multiple of 64 floats so dw and db can be handed out as two 256-byte-aligned views of one buffer.
struct Params { C: u32, parts: u32, stride: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read> stats: array<f32>;
@group(0) @binding(3) var<storage, read_write> sums: array<f32>;

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
  sums[c] = b * stats[p.C + c];
  sums[p.stride + c] = a;
}
