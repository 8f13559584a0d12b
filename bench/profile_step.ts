// Where the time of one SGD training step goes, per kernel: the step's dispatches are captured,
// then each kernel's are replayed on their own and timed by wall clock (Runtime.replayTimes).
// Timestamp queries are not used: under llvmpipe they reported 15 ms for a 657 ms step.
// Run: deno run -A bench/profile_step.ts [batch=32] [model=resnet18] [channels=3] [size=32]
// (`deno task train`'s default run: bench/profile_step.ts 64 wideresnet16x1 1 28)
// Replaying one kernel at a time loses the overlap between neighbours, so the sum is close
// to, not equal to, an unprofiled step; compare shares. The cores column is process CPU time
// over wall time while the kernel replayed: under llvmpipe, how many cores it kept busy
// (llvmpipe's threads share out a dispatch's workgroups; see llvmpipeThreads in
// src/gpu/device.ts).
import process from "node:process";
import * as sw from "../mod.ts";
import { sgdStep } from "./fixtures.ts";

const batch = Number(Deno.args[0] ?? 32);
const modelName = Deno.args[1] ?? "resnet18";
const channels = Number(Deno.args[2] ?? 3), size = Number(Deno.args[3] ?? 32);
await sw.init();
const rt = sw.runtime();
const step = sgdStep(modelName, batch, channels, size);
await step();
await rt.sync();
const t0 = performance.now();
await step();
await rt.sync();
const wall = performance.now() - t0;
rt.resetCounters();
rt.startCapture();
await step();
// getrusage's microseconds: /proc's 10 ms ticks are too coarse for one kernel's replay.
const cpuClock = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const times = await rt.replayTimes(5, cpuClock);
const total = times.reduce((s, k) => s + k.ms, 0);
console.log(`${modelName} SGD step, batch ${batch} of ${channels}x${size}x${size}, on ${rt.adapterName}`);
console.log(`unprofiled step: ${wall.toFixed(0)} ms (${((batch * 1000) / wall).toFixed(2)} images/s)`);
console.log(`replayed kernels: ${total.toFixed(0)} ms in ${rt.stats().dispatches} dispatches`);
for (const k of times) {
  if (k.ms / total < 0.002) continue;
  console.log(
    `  ${k.name.padEnd(28)} ${String(k.calls).padStart(5)} calls ${k.ms.toFixed(1).padStart(9)} ms ${
      ((100 * k.ms) / total).toFixed(1).padStart(5)
    }%  ${(k.cpuMs! / k.ms).toFixed(2)} cores`,
  );
}
