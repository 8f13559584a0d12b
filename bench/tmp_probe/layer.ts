import process from "node:process";
import * as sw from "../../mod.ts";
await sw.init();
import { convSettings } from "../../src/ops/conv.ts";
if (Deno.env.get("NOWINO")) convSettings.winograd = false;
import { SPLIT_K } from "../../src/ops/matmul.ts";
if (Deno.env.get("SPLITL")) SPLIT_K.lanes = Number(Deno.env.get("SPLITL"));
import { winogradSettings } from "../../src/ops/winograd.ts";
if (Deno.env.get("ILF")) winogradSettings.interleavedFilter = Deno.env.get("ILF") as any;
if (Deno.env.get("IP")) winogradSettings.interleavedProducts = Deno.env.get("IP") as any;
if (Deno.env.get("IT")) winogradSettings.interleavedTiles = Deno.env.get("IT") as any;
if (Deno.env.get("FB")) winogradSettings.interleavedFilterBlock = Number(Deno.env.get("FB"));
import { TEXTURE_RULE } from "../../src/ops/matmul.ts";
if (Deno.env.get("TEXMB")) TEXTURE_RULE.maxBytes = Number(Deno.env.get("TEXMB")) << 20;
const rt = sw.runtime();
const fill = (n: number, shape: number[]) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), shape).keep();
const [ci, co, side, stride, k] = (Deno.args[0] ?? "64,64,32,1,3").split(",").map(Number);
const batch = Number(Deno.env.get("B") ?? 32), os = side / stride;
const x = fill(batch * ci * side * side, [batch, ci, side, side]), w = fill(co * ci * k * k, [co, ci, k, k]);
const run = () => {
  x.requiresGrad = w.requiresGrad = true;
  sw.tidy(() =>
    sw.backward(sw.conv2d(x, w, null, { padding: (k - 1) / 2, stride }), sw.ones([batch, co, os, os]))
  );
  x.grad?.dispose();
  w.grad?.dispose();
  x.grad = w.grad = null;
};
await run();
await rt.sync();
rt.startCapture();
await run();
const cpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const times = await rt.replayTimes(7, cpuClock);
const total = times.reduce((s, t) => s + t.ms, 0);
console.log(`${ci}->${co}@${side}: ${total.toFixed(1)} ms`);
for (const t of times) console.log(`  ${t.name.padEnd(44)} ${t.calls} ${t.ms.toFixed(2).padStart(8)} ms`);
