// Interleaved A/B of whole SGD training steps in one process: the current kernels against each
// change of this round switched off on its own, so each ratio is measured side by side rather
// than across runs (this machine's speed drifts between sittings). Reports wall time and process
// CPU time (llvmpipe's threads included) per step, medians over the rounds.
// Run: deno run -A bench/step_ab.ts [rounds=4] [batch=32] [model=resnet18] [channels=3] [size=32]
// (STEP_AB_ONLY=wgrad,patch times only the variants whose names contain those words, and current)
// (`deno task train`'s default model: bench/step_ab.ts 4 64 wideresnet16x1 1 28)
import * as sw from "../mod.ts";
import { laneSettings } from "../src/ops/launch.ts";
import { resetWinogradSettings, winogradSettings } from "../src/ops/winograd.ts";
import { convSettings } from "../src/ops/conv.ts";
import { batchNormSettings } from "../src/ops/batch_norm.ts";
import { gemmSettings, HUGE_TILE, resetGemmSettings, TEXTURE_RULE, TILE } from "../src/ops/matmul.ts";
import { cpuMs, sgdStep } from "./fixtures.ts";

const rounds = Number(Deno.args[0] ?? 4);
const batch = Number(Deno.args[1] ?? 32);
const modelName = Deno.args[2] ?? "resnet18";
const channels = Number(Deno.args[3] ?? 3), size = Number(Deno.args[4] ?? 32);

/** A variant: settings applied before its steps (every variant starts from the defaults). */
const variants: Record<string, () => void> = {
  "current": () => {},
  "GEMM FMAs depth by depth (not row by row)": () => {
    gemmSettings.fmaOrder = "depth";
  },
  "GEMM A loads up front (not before each row's first FMAs)": () => {
    gemmSettings.fmaOrder = "upfront";
  },
  "f32 loads (no vec4 elementwise)": () => {
    laneSettings.vec4 = false;
  },
  "channels-major Winograd wgrad": () => {
    winogradSettings.tilesMajorWeightGrad = false;
  },
  "Winograd scalar patch loads": () => {
    winogradSettings.rowLoads = false;
  },
  "im2col wgrad on col^T": () => {
    convSettings.im2colRows = false;
  },
  "all operands in textures": () => {
    gemmSettings.textures = "on";
  },
  "GEMM textures bound as sampled (not read-only storage) textures": () => {
    gemmSettings.textureBinding = "sampled";
  },
  "textures packed by a compute pass (not copyBufferToTexture)": () => {
    gemmSettings.packByCopy = false;
  },
  "8x16 GEMM tile only (no 16x32, no 64x32)": () => {
    gemmSettings.bigTiles = "off";
    gemmSettings.hugeTiles = "off";
  },
  "no 64x32 GEMM tile (16x32 for large products)": () => {
    gemmSettings.hugeTiles = "off";
  },
  "32x32 as the large products' tile": () => {
    HUGE_TILE.TM = 32;
  },
  "no 32x64 tile (64x32 for long untransposed B too)": () => {
    gemmSettings.wideTiles = "off";
  },
  "32x64 as the large products' tile": () => {
    HUGE_TILE.TM = 32;
    HUGE_TILE.TN4 = 16;
  },
  "textures from a reuse of 16 (not 64)": () => {
    TEXTURE_RULE.minReuse = 16;
  },
  "copied textures from a reuse of 8": () => {
    TEXTURE_RULE.minReuseCopy = 8;
  },
  "copied textures from a reuse of 64": () => {
    TEXTURE_RULE.minReuseCopy = 64;
  },
  "textures up to 64 MiB (not 16)": () => {
    TEXTURE_RULE.maxBytes = 64 << 20;
  },
  "Winograd filter not charged to the chunk budget": () => {
    winogradSettings.chargeFilter = false;
  },
  "GEMM workgroups 8 row tiles high (WGY 8)": () => {
    TILE.WGY = 8;
  },
  "Winograd input tiles rebuilt by the weight gradient (not kept)": () => {
    winogradSettings.keepInputTiles = false;
  },
  "folded im2col columns rebuilt by the weight gradient (not kept)": () => {
    convSettings.keepColumns = false;
  },
  "no split K (skinny weight-gradient GEMMs on one lane group)": () => {
    gemmSettings.splitK = "off";
  },
  "Winograd input transform per tile (no runs of tiles)": () => {
    winogradSettings.runsOfTiles = false;
  },
  "Winograd rows of 14x14 maps as floats (no vec2 pairs)": () => {
    winogradSettings.pairs = false;
  },
  "shortcut gradient added by the autograd (not in the batch norm's pass)": () => {
    batchNormSettings.fuseAddend = false;
  },
  "convolutions' input gradients added by the autograd (not in col2im / Winograd output)": () => {
    convSettings.fuseAddend = false;
  },
  "stem (under 4 input channels) through Winograd, not folded im2col": () => {
    convSettings.winogradMinChannels = 1;
  },
  "im2col folded only up to 14x14 maps (foldMaxP 196, not 256)": () => {
    convSettings.foldMaxP = 196;
  },
  "Winograd filter transforms planar (not interleaved for 4+ MiB filters)": () => {
    winogradSettings.interleavedFilter = "off";
  },
  "Winograd filters read from storage in one block (not blocks of 4 slices)": () => {
    winogradSettings.interleavedFilterBlock = 36;
  },
  "Winograd products planar (not interleaved in groups for the output and filter transforms)": () => {
    winogradSettings.interleavedProducts = "off";
  },
  "Winograd input tiles planar (not interleaved from 64 channels)": () => {
    winogradSettings.interleavedTiles = "off";
  },
  "Winograd filter taps as floats (not 9 vec4s)": () => {
    winogradSettings.filterQuads = false;
  },
  "batch norm small planes: flat loop (no groups of 4 planes)": () => {
    batchNormSettings.quads = false;
  },
};
const wgy = TILE.WGY, hugeRows = HUGE_TILE.TM, hugeCols = HUGE_TILE.TN4, minReuse = TEXTURE_RULE.minReuse; // defaults
const minReuseCopy = TEXTURE_RULE.minReuseCopy, maxTextureBytes = TEXTURE_RULE.maxBytes;
const defaults = () => {
  resetGemmSettings();
  laneSettings.vec4 = true;
  resetWinogradSettings();
  batchNormSettings.quads = true;
  batchNormSettings.fuseAddend = true;
  HUGE_TILE.TM = hugeRows;
  HUGE_TILE.TN4 = hugeCols;
  TEXTURE_RULE.minReuse = minReuse;
  TEXTURE_RULE.minReuseCopy = minReuseCopy;
  TEXTURE_RULE.maxBytes = maxTextureBytes;
  TILE.WGY = wgy;
  convSettings.im2colRows = true;
  convSettings.keepColumns = true;
  convSettings.fuseAddend = true;
  convSettings.winogradMinChannels = 4;
  convSettings.foldMaxP = 256;
};

await sw.init();
const rt = sw.runtime();
const step = sgdStep(modelName, batch, channels, size);
const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
const only = (Deno.env.get("STEP_AB_ONLY") ?? "").split(",").filter(Boolean);
const chosen = (name: string) => !only.length || name === "current" || only.some((o) => name.includes(o));
for (const [name, apply] of Object.entries(variants)) {
  wall[name] = [];
  cpu[name] = [];
  if (!chosen(name)) continue;
  defaults();
  apply();
  await step(); // compile this variant's pipelines outside the timing
  await rt.sync();
}
// Each round starts one variant later, so whatever a step leaves to the next (pooled textures,
// garbage to collect) is not always charged to the same neighbour: with a fixed order, the
// variant after "all operands in textures" (then "current") measured 8% more CPU per step than
// in rotation, which made two of this round's changes look like losses on wideresnet16x1.
const entries = Object.entries(variants);
for (let r = 0; r < rounds; r++) {
  for (let v = 0; v < entries.length; v++) {
    const [name, apply] = entries[(v + r) % entries.length];
    if (!chosen(name)) continue;
    defaults();
    apply();
    const c0 = cpuMs(), t0 = performance.now();
    await step();
    await rt.sync();
    wall[name].push(performance.now() - t0);
    cpu[name].push(cpuMs() - c0);
  }
}
defaults();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
const base = median(wall.current), baseCpu = median(cpu.current);
console.log(
  `${modelName} SGD step, batch ${batch} of ${channels}x${size}x${size}, ${rounds} rounds, on ${rt.adapterName}`,
);
for (const name of Object.keys(variants)) {
  if (!wall[name].length) continue;
  const w = median(wall[name]), c = median(cpu[name]);
  console.log(
    `${name.padEnd(34)} ${w.toFixed(0).padStart(7)} ms wall (${(w / base).toFixed(2)}x current) ` +
      `${c.toFixed(0).padStart(7)} ms CPU (${(c / baseCpu).toFixed(2)}x)  ${
        ((batch * 1000) / w).toFixed(2)
      } images/s; fastest ${Math.min(...wall[name]).toFixed(0)} ms wall (${
        (Math.min(...wall[name]) / Math.min(...wall.current)).toFixed(2)
      }x)`,
  );
}
