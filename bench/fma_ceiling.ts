// The adapter's arithmetic ceiling for WGSL: a kernel of independent vec4 FMA chains on registers
// only (no memory traffic in its loop), in GFLOP/s. No GEMM written in WGSL can beat it on this
// adapter, so it bounds what the matmul and ResNet-18 ratios to PyTorch can reach here.
// Each loop iteration runs `unroll` FMAs per chain: under llvmpipe every loop-carried value is
// blended with the loop's lane mask once per iteration, so one FMA per chain per iteration
// measured half the ceiling of eight (an earlier version of this probe had only the former and
// understated the ceiling 2x).
// Run: deno run -A bench/fma_ceiling.ts
import * as sw from "../mod.ts";

await sw.init();
const rt = sw.runtime();
const bytes = 1 << 20;
const out = rt.alloc(bytes);
const invocations = 16384, iterations = 4096;
let best = 0;
for (
  const [chains, wg, unroll] of [[8, 64, 1], [16, 64, 1], [4, 64, 8], [8, 64, 8], [16, 64, 8], [8, 256, 8]]
) {
  const lines = [
    "@group(0) @binding(1) var<storage, read_write> C: array<vec4<f32>>;",
    `@compute @workgroup_size(${wg})`,
    "fn main(@builtin(global_invocation_id) g: vec3<u32>) {",
    "  let x = vec4<f32>(f32(g.x) * 1e-9);",
  ];
  for (let i = 0; i < chains; i++) lines.push(`  var c${i} = vec4<f32>(f32(${i}) * 1e-3);`);
  lines.push(`  for (var k = 0u; k < ${iterations / unroll}u; k++) {`);
  for (let u = 0; u < unroll; u++) {
    for (let i = 0; i < chains; i++) lines.push(`    c${i} = fma(c${i}, x, vec4<f32>(0.5));`);
  }
  lines.push("  }", "  var t = vec4<f32>(0.0);");
  for (let i = 0; i < chains; i++) lines.push(`  t += c${i};`);
  lines.push("  C[g.x % 65536u] = t;", "}");
  const kernel = rt.kernel(`fma_ceiling.${chains}x${wg}x${unroll}`, lines.join("\n"));
  const bind = [{ buffer: out, offset: 0, size: bytes }];
  rt.dispatch(kernel, bind, null, [invocations / wg, 1]);
  await rt.sync();
  // The fence's own latency, subtracted from the timed submit.
  let fence = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await rt.sync();
    fence = Math.min(fence, performance.now() - t);
  }
  let ms = Infinity; // best of 3: the machine is shared
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    rt.dispatch(kernel, bind, null, [invocations / wg, 1]);
    await rt.sync();
    ms = Math.min(ms, performance.now() - t0 - fence);
  }
  const gflops = (invocations * iterations * chains * 4 * 2) / ms / 1e6;
  best = Math.max(best, gflops);
  console.log(
    `${String(chains).padStart(2)} vec4 chains x ${unroll} per iteration, workgroup ${
      String(wg).padStart(3)
    }: ${gflops.toFixed(1)} GFLOP/s`,
  );
}
console.log(`register-only FMA ceiling on ${rt.adapterName}: ${best.toFixed(1)} GFLOP/s`);
