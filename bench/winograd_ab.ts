// Interleaved A/B of the Winograd F(4x4) layout choices, forward + both gradients of one 3x3
// stride-1 convolution (whole steps cannot resolve a few percent on this machine), on ResNet-18's
// layers at batch 32 and the default run's (wideresnet16x1, 28x28, batch 64):
// "current"; "planar filter" (winogradSettings.interleavedFilter "off": the 36 transformed
// elements of a filter written to 36 planes, the GEMM reading A's slices planar); "interleaved
// filter" ("on": fewer store streams, the GEMM reading each slice's texels 36 apart or, from
// storage, in blocks of 4); "filter in one block" ("on" with all 36 side by side, as where the GEMM
// reads it through a texture, also from storage); "float taps"
// (filterQuads off: 36 float loads / stores of taps, not 9 vec4s); "planar products"
// (interleavedProducts "off": the GEMM writes 36 planes, the output transform reads 36 streams);
// "planar tiles" (interleavedTiles "off": the input transform writes 36 planes); "interleaved
// tiles" ("on": below 64 channels too).
// The order of the variants rotates every round. Medians of wall and process CPU time.
// Run: deno run -A bench/winograd_ab.ts [rounds=10] [layers=all|resnet18|default|512]
// ("512": ResNet-18's 512x512 layer at batch 32 and 128, its filter too large for a texture).
import * as sw from "../mod.ts";
import { resetWinogradSettings as reset, winogradSettings } from "../src/ops/winograd.ts";
import { cpuMs } from "./fixtures.ts";

await sw.init();
const rt = sw.runtime();
const rounds = Number(Deno.args[0] ?? 10), which = Deno.args[1] ?? "all";
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const variants: Record<string, () => void> = {
  current: () => {},
  "planar filter": () => winogradSettings.interleavedFilter = "off",
  "interleaved filter": () => winogradSettings.interleavedFilter = "on",
  "filter in one block": () => {
    winogradSettings.interleavedFilter = "on";
    winogradSettings.interleavedFilterBlock = 36;
  },
  "float taps": () => winogradSettings.filterQuads = false,
  "planar products": () => winogradSettings.interleavedProducts = "off",
  "planar tiles": () => winogradSettings.interleavedTiles = "off",
  "interleaved tiles": () => winogradSettings.interleavedTiles = "on",
};
const fill = (n: number, shape: number[]) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), shape).keep();
// [channels, side, batch]
const layers = [
  ...(which === "default" || which === "512"
    ? []
    : [[64, 32, 32], [128, 16, 32], [256, 8, 32], [512, 4, 32]]),
  ...(which === "512" ? [[512, 4, 32], [512, 4, 128]] : []),
  ...(which === "resnet18" || which === "512" ? [] : [[16, 28, 64], [32, 14, 64], [64, 7, 64]]),
];
for (const [c, side, batch] of layers) {
  const x = fill(batch * c * side * side, [batch, c, side, side]), w = fill(c * c * 9, [c, c, 3, 3]);
  const run = async () => {
    x.requiresGrad = w.requiresGrad = true;
    sw.tidy(() => sw.backward(sw.conv2d(x, w, null, { padding: 1 }), sw.ones([batch, c, side, side])));
    x.grad?.dispose();
    w.grad?.dispose();
    x.grad = w.grad = null;
    await rt.sync();
  };
  const names = Object.keys(variants);
  const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
  for (const n of names) {
    reset();
    variants[n]();
    await run(); // compile outside the timing
    wall[n] = [];
    cpu[n] = [];
  }
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < names.length; v++) {
      const n = names[(v + r) % names.length];
      reset();
      variants[n]();
      const c0 = cpuMs(), t0 = performance.now();
      await run();
      wall[n].push(performance.now() - t0);
      cpu[n].push(cpuMs() - c0);
    }
  }
  reset();
  const base = median(wall.current);
  console.log(
    `conv ${c}->${c} ${side}x${side} b${batch} fwd+bwd: ` +
      names.map((n) =>
        `${n} ${median(wall[n]).toFixed(1)} ms (${(median(wall[n]) / base).toFixed(2)}x, CPU ${
          median(cpu[n])
        } ms)`
      ).join(", "),
  );
  x.dispose();
  w.dispose();
}
