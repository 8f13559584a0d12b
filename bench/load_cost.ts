// What one vec4 load costs a compute shader on this adapter, by where it reads from: storage
// buffer, uniform buffer, rgba32float texture (sampled, or a read-only storage texture), workgroup
// memory, or four f32 storage loads. Each invocation sums 512 loads at per-invocation addresses
// ("lane") or at addresses shared by its workgroup ("shared").
// Under llvmpipe none of them is one vector load, whatever the addresses (which is why the GEMM's
// register tile is sized by loads per FMA, src/ops/matmul.ts BIG_TILE); on this 2-core machine
// (2026-12-08) a storage vec4 cost 12-15 ns of wall time per 8-lane group, a sampled texel 10-11,
// workgroup memory 11, a uniform vec4 8-9, and a read-only storage texel 5.5-6.2 (which is why
// the GEMM binds its textures so: gemmSettings.textureBinding).
// Run: deno run -A bench/load_cost.ts
import * as sw from "../mod.ts";

await sw.init();
const rt = sw.runtime();
const dev = rt.device;
const N4 = 4096; // vec4 elements read: 64 KiB, the largest uniform binding WebGPU guarantees
const data = new Float32Array(N4 * 4).map((_, i) => (i % 17) * 0.01);
const storage = dev.createBuffer({ size: N4 * 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
const uniform = dev.createBuffer({ size: N4 * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
for (const b of [storage, uniform]) dev.queue.writeBuffer(b, 0, data);
const out = dev.createBuffer({ size: 1 << 22, usage: GPUBufferUsage.STORAGE });
const W = 64, H = N4 / W;
const texture = dev.createTexture({
  size: [W, H, 1],
  format: "rgba32float",
  usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
});
// The same texels in a texture the shader binds as a read-only storage texture.
const storageTexture = dev.createTexture({
  size: [W, H, 1],
  format: "rgba32float",
  usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
});
for (const t of [texture, storageTexture]) {
  dev.queue.writeTexture({ texture: t }, data, { bytesPerRow: W * 16, rowsPerImage: H }, [W, H, 1]);
}

const INVOCATIONS = 65536, LOADS = 512, WG = 64, LANES = 8;
const sources: Record<
  string,
  { decl: string; load: (i: string) => string; res: GPUBindingResource; fill?: string[] }
> = {
  "storage vec4": {
    decl: "@group(0) @binding(0) var<storage, read> S: array<vec4<f32>>;",
    load: (i) => `S[${i}]`,
    res: { buffer: storage },
  },
  "uniform vec4": {
    decl: `@group(0) @binding(0) var<uniform> S: array<vec4<f32>, ${N4}>;`,
    load: (i) => `S[${i}]`,
    res: { buffer: uniform },
  },
  "sampled texture": {
    decl: "@group(0) @binding(0) var S: texture_2d<f32>;",
    load: (i) => `textureLoad(S, vec2<u32>((${i}) % ${W}u, (${i}) / ${W}u), 0)`,
    res: texture.createView(),
  },
  "storage texture": {
    decl: "@group(0) @binding(0) var S: texture_storage_2d<rgba32float, read>;",
    load: (i) => `textureLoad(S, vec2<u32>((${i}) % ${W}u, (${i}) / ${W}u))`,
    res: storageTexture.createView(),
  },
  "workgroup vec4": {
    // Filled from storage first (not timed apart: 16 loads and stores per invocation of 512 loads).
    decl: "@group(0) @binding(0) var<storage, read> F: array<vec4<f32>>;\n" +
      `var<workgroup> S: array<vec4<f32>, ${WG * 16}>;`,
    load: (i) => `S[(${i}) % ${WG * 16}u]`,
    res: { buffer: storage },
    fill: [
      `  for (var q = 0u; q < 16u; q++) { S[(g.x % ${WG}u) * 16u + q] = F[(g.x * 16u + q) % ${N4}u]; }`,
      "  workgroupBarrier();",
    ],
  },
  "storage 4 x f32": {
    decl: "@group(0) @binding(0) var<storage, read> S: array<f32>;",
    load: (i) => `vec4<f32>(S[4u * (${i})], S[4u * (${i}) + 1u], S[4u * (${i}) + 2u], S[4u * (${i}) + 3u])`,
    res: { buffer: storage },
  },
};

console.log(`one vec4 load per ${LANES}-lane group on ${rt.adapterName}:`);
for (const shared of [false, true]) {
  for (const [name, s] of Object.entries(sources)) {
    const lines = [
      s.decl,
      "@group(0) @binding(1) var<storage, read_write> O: array<vec4<f32>>;",
      `@compute @workgroup_size(${WG})`,
      "fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(workgroup_id) w: vec3<u32>) {",
      ...(s.fill ?? []),
      `  let base = ${shared ? "w.x * 13u" : "g.x * 5u"};`,
      "  var t0 = vec4<f32>(0.0);",
      "  var t1 = vec4<f32>(0.0);",
      `  for (var k = 0u; k < ${LOADS / 8}u; k++) {`,
    ];
    // Eight loads per iteration into two sums: the loop's own cost is spread thin.
    for (let u = 0; u < 8; u++) lines.push(`    t${u % 2} += ${s.load(`(base + k * 8u + ${u}u) % ${N4}u`)};`);
    lines.push("  }", "  O[g.x % 262144u] = t0 + t1;", "}");
    const module = dev.createShaderModule({ code: lines.join("\n") });
    const pipeline = dev.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
    const bindGroup = dev.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: s.res }, { binding: 1, resource: { buffer: out } }],
    });
    const run = async () => {
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(INVOCATIONS / WG);
      pass.end();
      dev.queue.submit([enc.finish()]);
      await dev.queue.onSubmittedWorkDone();
    };
    await run(); // compile
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      await run();
      best = Math.min(best, performance.now() - t);
    }
    const groupLoads = (INVOCATIONS / LANES) * LOADS;
    console.log(
      `  ${(shared ? "shared address " : "lane address   ") + name.padEnd(20)} ${
        ((best * 1e6) / groupLoads).toFixed(1).padStart(5)
      } ns of wall time`,
    );
  }
}
