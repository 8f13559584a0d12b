// The models added for the seed's registry (pyramidnet110, vgg19bn and the seed's VGG
// classifier) train through `deno task train`'s main on the embedded subset, their checkpoints
// hold PyTorch's state-dict names and shapes, and one forward + backward reaches every
// parameter. One file, so the many per-shape pipelines PyramidNet compiles are compiled once.
import * as sw from "../mod.ts";
import { main } from "../src/cli/train.ts";
import { readResults } from "../src/train/results_csv.ts";
import { readSafetensors } from "../src/nn/safetensors.ts";
import { createModel } from "../src/models/mod.ts";
import type { Module } from "../src/nn/mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";

// One SGD step and one eval batch: PyramidNet's cost here is compiling its per-shape pipelines.
const TINY = ["--batch_size", "4", "--train_images", "4", "--test_images", "4", "--epochs", "1"];

/** Trains `model` for one step through the CLI; returns the run's saved weights. */
async function trainCli(model: string, extra: string[] = []) {
  const out = await Deno.makeTempDir();
  try {
    const code = await main([
      ...TINY,
      "--model",
      model,
      ...extra,
      "--output_dir",
      out,
      "--output_name",
      "run",
    ]);
    assertEquals(code, 0, `${model}: exit code`);
    const rows = await readResults(`${out}/results.csv`);
    assertEquals(rows.length, 1, `${model}: one results row`);
    const manifest = JSON.parse(await Deno.readTextFile(`${out}/run/checkpoint.json`));
    return await readSafetensors(`${out}/run/${manifest.modelFile}`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

gpuTest("deno task train --model pyramidnet110: trains, saves PyTorch's names and shapes", async () => {
  const w = await trainCli("pyramidnet110");
  assertEquals(w.tensors.size, 841, "state-dict entries");
  assertEquals(w.tensors.get("conv1.weight")!.shape, [16, 1, 3, 3], "stem of 1-channel Fashion-MNIST");
  assertEquals(w.tensors.get("layer3.11.conv3.weight")!.shape, [256, 64, 1, 1]);
  assertEquals(w.tensors.get("fc.weight")!.shape, [10, 256]);
  const nbt = w.tensors.get("layer2.0.bn1.num_batches_tracked")!;
  assertEquals(nbt.dtype, "I64");
  assert((nbt.data as BigInt64Array)[0] === 1n, "the step moved the BN statistics (num_batches_tracked 1)");
});

gpuTest("deno task train --model vgg19_bn: trains, saves classifier.0/3/6", async () => {
  const w = await trainCli("vgg19_bn");
  assertEquals(w.tensors.size, 16 * 2 + 16 * 5 + 3 * 2, "state-dict entries");
  assertEquals(w.tensors.get("classifier.0.weight")!.shape, [4096, 512]);
  assertEquals(w.tensors.get("classifier.3.weight")!.shape, [4096, 4096]);
  assertEquals(w.tensors.get("classifier.6.bias")!.shape, [10]);
});

function images(shape: number[], seed = 0): sw.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return sw.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + seed) * 1.5), shape);
}

/** Names of the parameters whose gradient after one step is zero everywhere. */
async function withoutGradient(model: Module, x: sw.Tensor, labels: number[]): Promise<string[]> {
  model.train();
  model.zeroGrad();
  const loss = sw.tidy(() => {
    const l = sw.crossEntropy(model.forward(x), sw.tensor(labels));
    sw.backward(l);
    return l;
  });
  assert(Number.isFinite(await loss.item()), "finite loss");
  loss.dispose();
  const flat = await Promise.all(model.flatGrads.map((g) => g.data()));
  const out: string[] = [];
  model.paramGroups.forEach((group, gi) =>
    group.grads.forEach((g, k) => {
      const o = g.offset / 4;
      if (!flat[gi].subarray(o, o + g.size).some((v) => v !== 0)) out.push(group.params[k].name!);
    })
  );
  return out;
}

gpuTest("pyramidnet110 and vgg19bn: a backward pass reaches every parameter; VGG refuses 64x64", async () => {
  // 1x28x28 as the CLI runs above, so PyramidNet reuses their pipelines.
  const pn = createModel("pyramidnet110", { inChannels: 1, seed: 4 });
  const vgg = createModel("vgg19bn", { inChannels: 1, seed: 5 });
  const x = images([2, 1, 28, 28], 4).keep();
  try {
    assertEquals(await withoutGradient(pn, x, [1, 8]), [], "PyramidNet parameters without gradient");
    assertEquals(await withoutGradient(vgg, x, [0, 3]), [], "VGG-19 parameters without gradient");
    let msg = "";
    try {
      sw.tidy(() => vgg.forward(images([1, 1, 64, 64])));
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(/VGG: the classifier takes 512x1x1 features .* got 512x2x2 from a 64x64 input/.test(msg), msg);
  } finally {
    x.dispose();
    [pn, vgg].forEach((m) => m.dispose());
  }
});
