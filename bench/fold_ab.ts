// Interleaved A/B of im2col convolutions folded (the chunk's images as GEMM columns) against one
// GEMM slice per image, forward + both gradients, on the strided layers of ResNet-18 (CIFAR,
// 32x32) and of the default run's wideresnet16x1 (28x28). Whole steps cannot resolve a change of
// a few percent on this machine (two identical configurations measured 0.95-1.01x of each other
// over 14 interleaved rounds of bench/step_ab.ts); one layer at a time can. The order of the two
// alternates every round. Reports medians of wall and process CPU time (bench/fixtures.ts).
// convSettings.foldMaxP (256) folds all four by default; the 14x14 and 8x8 ones were folded
// before it rose from 196.
// Run: deno run -A bench/fold_ab.ts [batch=32] [rounds=12]
import * as sw from "../mod.ts";
import { convSettings } from "../src/ops/conv.ts";
import { cpuMs } from "./fixtures.ts";

await sw.init();
const rt = sw.runtime();
const batch = Number(Deno.args[0] ?? 32), rounds = Number(Deno.args[1] ?? 12);
const fill = (n: number, shape: number[]) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), shape).keep();
// name, input channels, output channels, input side, kernel side, stride
const layers: [string, number, number, number, number, number][] = [
  ["resnet18 3x3 s2 64->128 from 32x32", 64, 128, 32, 3, 2],
  ["resnet18 1x1 s2 64->128 from 32x32", 64, 128, 32, 1, 2],
  ["wideresnet16x1 3x3 s2 16->32 from 28x28", 16, 32, 28, 3, 2],
  ["resnet18 3x3 s2 128->256 from 16x16", 128, 256, 16, 3, 2],
];
const paths = { "per image": 0, folded: 1 << 30 };
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const keep = convSettings.foldMaxP;
for (const [name, ci, co, side, k, stride] of layers) {
  const x = fill(batch * ci * side * side, [batch, ci, side, side]);
  const w = fill(co * ci * k * k, [co, ci, k, k]);
  const run = async () => {
    x.requiresGrad = w.requiresGrad = true;
    sw.tidy(() => {
      const y = sw.conv2d(x, w, null, { padding: k === 3 ? 1 : 0, stride });
      sw.backward(y, sw.ones(y.shape));
    });
    x.grad?.dispose();
    w.grad?.dispose();
    x.grad = w.grad = null;
    await rt.sync();
  };
  const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
  const order = Object.entries(paths);
  for (const [path, foldMaxP] of order) {
    convSettings.foldMaxP = foldMaxP;
    await run(); // compile outside the timing
    wall[path] = [];
    cpu[path] = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (const [path, foldMaxP] of r % 2 ? [...order].reverse() : order) {
      convSettings.foldMaxP = foldMaxP;
      const c0 = cpuMs(), t0 = performance.now();
      await run();
      wall[path].push(performance.now() - t0);
      cpu[path].push(cpuMs() - c0);
    }
  }
  const a = median(wall["per image"]), b = median(wall.folded);
  console.log(
    `${name}, batch ${batch}: per image ${a.toFixed(1)} ms (CPU ${median(cpu["per image"])} ms), ` +
      `folded ${b.toFixed(1)} ms (CPU ${median(cpu.folded)} ms): folded/per image ${(b / a).toFixed(2)}`,
  );
}
convSettings.foldMaxP = keep;
