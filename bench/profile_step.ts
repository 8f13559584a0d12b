// Where the time of one SGD training step goes, per kernel, from timestamp queries.
// Run: deno run -A bench/profile_step.ts [batch=32] [model=resnet18] [channels=3] [size=32]
// (`deno task train`'s default run: bench/profile_step.ts 64 wideresnet16x1 1 28)
// Profiling puts every dispatch in its own timestamped pass, so the total is a little above
// an unprofiled step; compare shares, not absolute sums, with bench/step_bench.ts.
import * as sw from "../mod.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { imageBatch } from "./fixtures.ts";

const batch = Number(Deno.args[0] ?? 32);
const modelName = Deno.args[1] ?? "resnet18";
const channels = Number(Deno.args[2] ?? 3), size = Number(Deno.args[3] ?? 32);
await sw.init();
const rt = sw.runtime();
const model = createModel(modelName, { inChannels: channels, numClasses: 10, seed: 1 });
const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
const { x, y } = imageBatch(batch, channels, size);
const step = () =>
  engine.step(() =>
    sw.tidy(() => {
      sw.backward(sw.crossEntropy(model.forward(x), y));
      return null;
    })
  );
await step();
await rt.sync();
const t0 = performance.now();
await step();
await rt.sync();
const wall = performance.now() - t0;
if (!rt.setProfiling(true)) {
  console.log("this adapter has no timestamp queries; unprofiled step:", wall.toFixed(0), "ms");
  Deno.exit(0);
}
rt.resetCounters();
await step();
const times = await rt.profile();
const total = times.reduce((s, k) => s + k.ms, 0);
console.log(`${modelName} SGD step, batch ${batch} of ${channels}x${size}x${size}, on ${rt.adapterName}`);
console.log(`unprofiled step: ${wall.toFixed(0)} ms (${((batch * 1000) / wall).toFixed(2)} images/s)`);
console.log(`profiled kernels: ${total.toFixed(0)} ms in ${rt.stats().dispatches} dispatches`);
for (const k of times) {
  if (k.ms / total < 0.002) continue;
  console.log(
    `  ${k.name.padEnd(28)} ${String(k.calls).padStart(5)} calls ${k.ms.toFixed(1).padStart(9)} ms ${
      ((100 * k.ms) / total).toFixed(1).padStart(5)
    }%`,
  );
}
