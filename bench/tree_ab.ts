// In-process A/B of two source trees: each tree's modules are imported separately (each has its
// own runtime and device on the same adapter) and their SGD steps alternate, so the machine's
// drift (1.3-1.7x between sittings here) falls on both alike. This is how a round's kernels are
// compared with an older tree, e.g. the one before issue 19:
//   git worktree add /tmp/before 0d69aa8
//   deno run -A bench/tree_ab.ts /tmp/before . [rounds=6] [batch=64] [model=wideresnet16x1] [channels=1] [size=28]
// (defaults: `deno task train`'s default model and batch). Both trees must take the same
// dependencies: run it from this tree, whose deno.json maps them. Reports the median wall time and
// process CPU time per step of each tree, and their ratios (A over B).
import { batchValues, cpuMs } from "./fixtures.ts";

const [treeA, treeB] = [Deno.args[0], Deno.args[1]];
if (!treeA || !treeB) {
  console.error(
    "usage: deno run -A bench/tree_ab.ts TREE_A TREE_B [rounds] [batch] [model] [channels] [size]",
  );
  Deno.exit(2);
}
const rounds = Number(Deno.args[2] ?? 6), batch = Number(Deno.args[3] ?? 64);
const modelName = Deno.args[4] ?? "wideresnet16x1";
const channels = Number(Deno.args[5] ?? 1), size = Number(Deno.args[6] ?? 28);

/** One SGD step (lr 0.01) of a fresh model from `tree` on a fixed batch, synced; warmed up twice. */
async function stepOf(tree: string): Promise<() => Promise<void>> {
  const root = new URL(`${await Deno.realPath(tree)}/`, "file:///");
  const sw = await import(new URL("mod.ts", root).href);
  const { createModel } = await import(new URL("src/models/mod.ts", root).href);
  const { createEngine } = await import(new URL("src/plugins/mod.ts", root).href);
  await sw.init();
  const rt = sw.runtime();
  const model = createModel(modelName, { inChannels: channels, numClasses: 10, seed: 1 });
  const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
  // The same values as bench/fixtures.ts imageBatch, as tensors of that tree's own module.
  const { pixels, labels } = batchValues(batch * channels * size * size, batch);
  const x = sw.tensor(pixels, [batch, channels, size, size]).keep();
  const y = sw.tensor(labels, [batch]).keep();
  const step = async () => {
    await engine.step(() =>
      sw.tidy(() => {
        sw.backward(sw.crossEntropy(model.forward(x), y));
        return null;
      })
    );
    await rt.sync();
  };
  for (let i = 0; i < 2; i++) await step(); // compile and warm
  return step;
}

const steps = { A: await stepOf(treeA), B: await stepOf(treeB) };
const wall = { A: [] as number[], B: [] as number[] }, cpu = { A: [] as number[], B: [] as number[] };
for (let r = 0; r < rounds; r++) {
  // Alternate which tree goes first, so neither always follows the other's leftovers.
  for (const k of r % 2 ? (["B", "A"] as const) : (["A", "B"] as const)) {
    const t0 = performance.now(), c0 = cpuMs();
    await steps[k]();
    wall[k].push(performance.now() - t0);
    cpu[k].push(cpuMs() - c0);
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
const [wa, wb, ca, cb] = [median(wall.A), median(wall.B), median(cpu.A), median(cpu.B)];
console.log(`${modelName} SGD step, batch ${batch} of ${channels}x${size}x${size}, ${rounds} rounds`);
console.log(
  `  A ${treeA}: ${wa.toFixed(0)} ms wall, ${ca} ms CPU (${((batch * 1000) / wa).toFixed(2)} images/s)`,
);
console.log(
  `  B ${treeB}: ${wb.toFixed(0)} ms wall, ${cb} ms CPU (${((batch * 1000) / wb).toFixed(2)} images/s)`,
);
console.log(`  A / B: ${(wa / wb).toFixed(3)}x wall, ${(ca / cb).toFixed(3)}x CPU`);
