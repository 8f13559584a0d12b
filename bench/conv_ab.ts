// Interleaved A/B of the convolution paths in one process: Winograd F(2x2, 3x3) against im2col
// (convSettings.winograd on/off) on ResNet-18's 3x3 stride-1 layers (forward + both gradients)
// and on whole ResNet-18 SGD steps; plus the peak pool memory (bytes handed out) of each path.
// rounds = 0 only measures the peaks (e.g. `deno run -A bench/conv_ab.ts 0 128 resnet18`).
// The machine is shared, so besides wall time it reports process CPU time (as bench/gemm_ab.ts).
// Run: deno run -A bench/conv_ab.ts [rounds=3] [batch=32] [filter] (filter `wideresnet`: the
// `deno task train` default model's step instead)
// (AB_CONV picks variants, e.g. AB_CONV=im2col,"wino F4").
import * as sw from "../mod.ts";
import { convSettings } from "../src/ops/conv.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { cpuMs, imageBatch } from "./fixtures.ts";

await sw.init();
const rt = sw.runtime();
const rounds = Number(Deno.args[0] ?? 3);
const batch = Number(Deno.args[1] ?? 32);
const filter = Deno.args[2] ?? "";

interface Case {
  name: string;
  run: () => Promise<void>;
}
const cases: Case[] = [];
const fill = (n: number, shape: number[]) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), shape).keep();
for (const [c, s] of [[64, 32], [128, 16], [256, 8], [512, 4]]) {
  const x = fill(batch * c * s * s, [batch, c, s, s]), w = fill(c * c * 9, [c, c, 3, 3]);
  cases.push({
    name: `conv ${c}->${c} ${s}x${s} fwd+bwd b${batch}`,
    run: async () => {
      x.requiresGrad = w.requiresGrad = true;
      sw.tidy(() => {
        const y = sw.conv2d(x, w, null, { padding: 1 });
        sw.backward(y, sw.ones(y.shape));
      });
      x.grad?.dispose();
      w.grad?.dispose();
      x.grad = w.grad = null;
      await rt.sync();
    },
  });
}
/** A whole SGD step of a model (created once) as a case. */
function stepCase(name: string, modelName: string, channels: number, size: number, b: number): Case {
  const model = createModel(modelName, { inChannels: channels, numClasses: 10, seed: 1 });
  const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
  const data = imageBatch(b, channels, size);
  return {
    name,
    run: async () => {
      await engine.step(() =>
        sw.tidy(() => {
          sw.backward(sw.crossEntropy(model.forward(data.x), data.y));
          return null;
        })
      );
      await rt.sync();
    },
  };
}
if ("resnet18".includes(filter) || filter.startsWith("resnet18")) {
  cases.push(stepCase(`resnet18 SGD step b${batch}`, "resnet18", 3, 32, batch));
}
// `deno task train`'s default run: wideresnet16x1 on 1x28x28 images, batch 64.
if (filter.startsWith("wideresnet")) {
  cases.push(stepCase("wideresnet16x1 SGD step b64 1x28x28", "wideresnet16x1", 1, 28, 64));
}

const variants = [
  { name: "im2col", winograd: false, tile: 2 as const },
  { name: "wino F2", winograd: true, tile: 2 as const },
  { name: "wino F4", winograd: true, tile: 4 as const },
].filter((v) => (Deno.env.get("AB_CONV") ?? "im2col,wino F2,wino F4").split(",").includes(v.name));
for (const cs of cases.filter((c) => c.name.includes(filter))) {
  const res = variants.map(() => ({ wall: Infinity, cpu: Infinity, peak: 0, textures: 0 }));
  for (const [i, v] of variants.entries()) {
    Object.assign(convSettings, { winograd: v.winograd, winogradTile: v.tile });
    rt.pool.resetPeaks();
    await cs.run(); // compile + warm; the peak of tensors handed out does not depend on warmth
    res[i].peak = rt.stats().peakAllocatedBytes;
    res[i].textures = rt.textures.bytes; // GEMM operand textures, held besides the buffer pool
  }
  for (let r = 0; r < rounds; r++) {
    for (const [i, v] of variants.entries()) {
      Object.assign(convSettings, { winograd: v.winograd, winogradTile: v.tile });
      const c0 = cpuMs(), t0 = performance.now();
      await cs.run();
      res[i].wall = Math.min(res[i].wall, performance.now() - t0);
      res[i].cpu = Math.min(res[i].cpu, cpuMs() - c0);
    }
  }
  for (const [i, v] of variants.entries()) {
    const { wall, cpu, peak, textures } = res[i];
    console.log(
      `${cs.name.padEnd(32)} ${v.name.padEnd(9)} wall ${wall.toFixed(0).padStart(6)} ms  cpu ${
        cpu.toFixed(0).padStart(6)
      } ms  x${(res[0].cpu / cpu).toFixed(2)} cpu, x${(res[0].wall / wall).toFixed(2)} wall  peak ${
        (peak / 2 ** 20).toFixed(0)
      } MiB, textures held ${(textures / 2 ** 20).toFixed(1)} MiB`,
    );
  }
}
