// Interleaved A/B of GEMM kernel variants on matmul and ResNet-18 conv GEMM shapes, in one process.
// The machine is shared, so besides wall time it reports process CPU time (utime + stime from
// /proc/self/stat, which includes llvmpipe's worker threads): CPU-seconds per GFLOP do not grow
// when other processes take the cores. Run: deno run -A bench/gemm_ab.ts [rounds=3] [filter]
import * as sw from "../mod.ts";
import { gemm, type GemmArgs, gemmSettings, SPLIT_K, TEXTURE_RULE, TILE } from "../src/ops/matmul.ts";
import { cpuMs } from "./fixtures.ts";

await sw.init();
const rt = sw.runtime();
const rounds = Number(Deno.args[0] ?? 3);
const filter = Deno.args[1] ?? "";
const NB = 8; // images per conv GEMM (a chunk); per-image shapes are ResNet-18 CIFAR's

interface Shape {
  name: string;
  args: Omit<GemmArgs, "a" | "b" | "c">;
  sizes: [number, number, number];
}
const shapes: Shape[] = [{
  name: "matmul 1024^3",
  args: { M: 1024, N: 1024, K: 1024 },
  sizes: [1 << 20, 1 << 20, 1 << 20],
}];
// [Co, Ci, spatial side]: the four ResNet-18 stages (3x3 convs).
for (const [co, ci, s] of [[64, 64, 32], [128, 128, 16], [256, 256, 8], [512, 512, 4]]) {
  const K = ci * 9, P = s * s;
  shapes.push({
    name: `conv fwd ${co}x${K}x${P} x${NB}`,
    args: { M: co, N: P, K, batch: NB, strideB: K * P },
    sizes: [co * K, NB * K * P, NB * co * P],
  });
  shapes.push({
    name: `conv dx ${K}x${P}x${co} x${NB}`,
    args: { M: K, N: P, K: co, transA: true, batch: NB, strideB: co * P },
    sizes: [co * K, NB * co * P, NB * K * P],
  });
  shapes.push({
    name: `conv dW ${co}x${K}x${P} z${NB}`,
    args: { M: co, N: K, K: P, transB: true, zsum: NB, strideA: co * P, strideB: K * P },
    sizes: [NB * co * P, NB * K * P, co * K],
  });
}

// Winograd GEMMs of the same layers at batch 32 (src/ops/winograd.ts): E = (m + 2)^2 products
// [Co x Ci] x [Ci x tiles] forward (and input gradient), and the weight gradient over the tiles:
// channels-major (B transposed) as F(2x2, 3x3) runs it, tiles-major (A transposed) as F(4x4, 3x3)
// does (winogradSettings.tilesMajorWeightGrad).
for (const m of [2, 4]) {
  const E = (m + 2) ** 2, prefix = m === 2 ? "wino" : "wino4";
  for (const [c, s] of [[64, 32], [128, 16], [256, 8], [512, 4]]) {
    const T = 32 * (s / m) ** 2;
    shapes.push({
      name: `${prefix} fwd ${c}x${T}x${c} x${E}`,
      args: { M: c, N: T, K: c, batch: E, strideA: c * c, strideB: c * T },
      sizes: [E * c * c, E * c * T, E * c * T],
    });
    shapes.push({
      name: `${prefix} dW ${c}x${c}x${T} x${E}`,
      args: { M: c, N: c, K: T, transA: m === 4, transB: m === 2, batch: E, strideA: c * T, strideB: c * T },
      sizes: [E * c * T, E * c * T, E * c * c],
    });
  }
}

// AB_SHAPES="M,N,K,batch[,tA][,tB];...": extra batched shapes (e.g. another model's layers).
for (const spec of (Deno.env.get("AB_SHAPES") ?? "").split(";").filter(Boolean)) {
  const [M, N, K, batch] = spec.split(",").slice(0, 4).map(Number);
  const transA = spec.includes("tA"), transB = spec.includes("tB");
  shapes.push({
    name: `shape ${M}x${N}x${K} x${batch}${transA ? " tA" : ""}${transB ? " tB" : ""}`,
    args: { M, N, K, transA, transB, batch, strideA: M * K, strideB: K * N },
    sizes: [batch * M * K, batch * K * N, batch * M * N],
  });
}

type Variant = { name: string; set: () => void };
const defaultWgy = TILE.WGY, defaultSplitLanes = SPLIT_K.lanes, defaultMinReuse = TEXTURE_RULE.minReuse;
const defaultMinReuseCopy = TEXTURE_RULE.minReuseCopy;
const variants: Variant[] = [];
// AB_TILES: TMxTN4[xWGY] list for the small tile; AB_BIG: off,on (BIG_TILE and HUGE_TILE for
// shapes that fit them); AB_TEX: off,on,auto,autoN,copyN list (autoN: auto with TEXTURE_RULE.minReuse
// N, copyN: auto with TEXTURE_RULE.minReuseCopy N; "-kernel" after on or auto packs every texture
// with the compute pass, not copyBufferToTexture); AB_SPLIT: auto,off list (split K, SPLIT_K.lanes
// given as a number: e.g. AB_SPLIT=off,16,32,64); AB_ORDER: rows,upfront,depth list (gemmSettings.fmaOrder).
for (
  const [tm, tn4, wgy] of (Deno.env.get("AB_TILES") ?? "8x4").split(",").map((t) => t.split("x").map(Number))
) {
  for (const big of (Deno.env.get("AB_BIG") ?? "off,on").split(",")) {
    for (const texSpec of (Deno.env.get("AB_TEX") ?? "auto").split(",")) {
      const spec = texSpec.replace("-kernel", "");
      const tex = (/^(auto|copy)/.test(spec) ? "auto" : spec) as "off" | "on" | "auto";
      const n = Number(spec.slice(4));
      const minReuse = spec.startsWith("auto") && n ? n : defaultMinReuse;
      const minReuseCopy = spec.startsWith("copy") && n ? n : defaultMinReuseCopy;
      for (const split of (Deno.env.get("AB_SPLIT") ?? "auto").split(",")) {
        for (
          const order of (Deno.env.get("AB_ORDER") ?? gemmSettings.fmaOrder).split(
            ",",
          ) as (typeof gemmSettings.fmaOrder)[]
        ) {
          variants.push({
            name: `cpu ${tm}x${tn4 * 4}/${wgy ?? defaultWgy}${big === "on" ? "+big" : ""} tex ${texSpec}${
              split === "auto" ? "" : ` split ${split}`
            } ${order}`,
            set: () => {
              gemmSettings.fmaOrder = order;
              gemmSettings.family = "cpu";
              gemmSettings.textures = tex;
              gemmSettings.packByCopy = !texSpec.endsWith("-kernel");
              TEXTURE_RULE.minReuse = minReuse;
              TEXTURE_RULE.minReuseCopy = minReuseCopy;
              gemmSettings.bigTiles = big === "on" ? "auto" : "off";
              gemmSettings.hugeTiles = big === "on" ? "auto" : "off"; // "+big": 16x32 and 64x32
              gemmSettings.splitK = split === "off" ? "off" : "auto";
              SPLIT_K.lanes = split === "off" || split === "auto" ? defaultSplitLanes : Number(split);
              TILE.TM = tm;
              TILE.TN4 = tn4;
              TILE.WGY = wgy ?? defaultWgy;
            },
          });
        }
      }
    }
  }
}
if (Deno.env.get("AB_GPU")) variants.push({ name: "gpu tiled", set: () => (gemmSettings.family = "gpu") });

const fill = (n: number) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), [n]).keep();
for (const sh of shapes.filter((s) => s.name.includes(filter))) {
  const [na, nb, nc] = sh.sizes;
  const a = fill(na), b = fill(nb), c = fill(nc);
  const { M, N, K } = sh.args;
  const flop = 2 * M * N * K * (sh.args.batch ?? 1) * (sh.args.zsum ?? 1);
  const reps = Math.max(1, Math.round(2e9 / flop));
  const run = async () => {
    for (let r = 0; r < reps; r++) gemm({ ...sh.args, a: a.range, b: b.range, c: c.range });
    await rt.sync();
  };
  const res = variants.map(() => ({ wall: Infinity, cpu: Infinity }));
  for (const v of variants) (v.set(), await run()); // compile + warm
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      v.set();
      const c0 = cpuMs(), t0 = performance.now();
      await run();
      res[i].wall = Math.min(res[i].wall, (performance.now() - t0) / reps);
      res[i].cpu = Math.min(res[i].cpu, (cpuMs() - c0) / reps);
    }
  }
  for (const [i, v] of variants.entries()) {
    const { wall, cpu } = res[i];
    console.log(
      `${sh.name.padEnd(28)} ${v.name.padEnd(18)} wall ${wall.toFixed(1).padStart(7)} ms ${
        (flop / wall / 1e6).toFixed(1).padStart(6)
      } GFLOP/s  cpu ${cpu.toFixed(0).padStart(5)} ms ${
        (flop / cpu / 1e6).toFixed(1).padStart(6)
      } GFLOP/cpu-s  x${(res[0].cpu / cpu).toFixed(2)}`,
    );
  }
  for (const t of [a, b, c]) t.dispose();
}
