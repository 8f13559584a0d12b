// One SGD training step of resnet18 on CIFAR-sized inputs (batch 32 and 128), images/s, and of
// `deno task train`'s default model (wideresnet16x1 on 1x28x28 Fashion-MNIST images, batch 64).
// Issue 19's target: resnet18 at batch 32 >= 0.33 of PyTorch CPU's images/s on the same machine
// (../shared/anchors/side_by_side.sh greps the "resnet18 SGD step, batch 32" line).
// Its 3x3 stride-1 convolutions run through Winograd F(4x4, 3x3) (src/ops/winograd.ts): 2.4x less
// CPU per batch-32 step than im2col, 1.5x on the train default (interleaved, bench/conv_ab.ts).
import * as sw from "../mod.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { imageBatch } from "./fixtures.ts";
import { gpuBench } from "./util.ts";

/** Registers the step bench of one model at the given batches and input shape. */
function stepBench(modelName: string, channels: number, size: number, batches: number[], label = "") {
  const model = createModel(modelName, { inChannels: channels, numClasses: 10, seed: 1 });
  const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
  for (const batch of batches) {
    const { x, y } = imageBatch(batch, channels, size);
    gpuBench(
      `${modelName} SGD step, batch ${batch}${label}`,
      { unit: "images/s", work: batch, n: batch >= 128 ? 2 : 4 },
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
}

stepBench("resnet18", 3, 32, [32, 128]);
stepBench("wideresnet16x1", 1, 28, [64], " (train default, 1x28x28)");
