// One SGD training step of resnet18 on CIFAR-sized inputs (batch 32 and 128), images/s.
// Target on a 2-core machine through lavapipe: >= 4 images/s at batch 32
// (TensorFlow.js on the same machine: WebGPU 0.4, WASM 2.6 images/s).
import * as sw from "../mod.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { cifarBatch } from "./fixtures.ts";
import { gpuBench } from "./util.ts";

const model = createModel("resnet18", { inChannels: 3, numClasses: 10, seed: 1 });
const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });

for (const batch of [32, 128]) {
  const { x, y } = cifarBatch(batch);
  gpuBench(
    `resnet18 SGD step, batch ${batch}`,
    { unit: "images/s", work: batch, n: batch === 32 ? 4 : 2 },
    async () => {
      // Awaited so the optimizer update is recorded before the bench's sync, inside the timing.
      await engine.step(() =>
        sw.tidy(() => {
          const loss = sw.crossEntropy(model.forward(x), y);
          sw.backward(loss);
          return null;
        })
      );
    },
  );
}
