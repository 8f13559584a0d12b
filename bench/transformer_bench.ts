// The ViT and DenseNet ops at ViT-S/16 shapes (batch 8: 197 tokens of 384 features, 6 heads),
// forward and backward, and one SGD step of `vit` at 224x224 (batch 4) and of `densenet` at TinyImageNet's
// 64x64. Figures: elements/s for the ops, images/s for the steps. The ViT batch is 4 so that its
// B * 197 token rows, the inner dimension of the weight-gradient GEMMs, are a multiple of 4.
import * as sw from "../mod.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { gpuBench } from "./util.ts";

const B = 8, N = 197, D = 384, H = 6;

function randomTensor(shape: number[], seed = 1): sw.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  let s = seed >>> 0;
  const v = Float32Array.from(
    { length: n },
    () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1,
  );
  const t = sw.tensor(v, shape).keep();
  t.requiresGrad = true;
  return t;
}

/** Forward and backward of `f` (the loss is the sum of the output). */
function fwdBwd(f: () => sw.Tensor): () => void {
  return () => {
    sw.tidy(() => {
      sw.backward(sw.sum(f()));
      return null;
    });
  };
}

const tokens = randomTensor([B * N, D]);
const w = randomTensor([D], 2), b = randomTensor([D], 3);
gpuBench(
  `layerNorm [${B * N}, ${D}] fwd+bwd`,
  { unit: "Melem/s", work: (B * N * D) / 1e6, n: 10 },
  fwdBwd(() => sw.layerNorm(tokens, w, b, 1e-6)),
);

const hidden = randomTensor([B * N, 4 * D], 4);
gpuBench(
  `gelu [${B * N}, ${4 * D}] fwd+bwd`,
  { unit: "Melem/s", work: (B * N * 4 * D) / 1e6, n: 10 },
  fwdBwd(() => sw.gelu(hidden)),
);

const scores = randomTensor([B * H, N, N], 5);
gpuBench(
  `softmax [${B * H}, ${N}, ${N}] fwd+bwd`,
  { unit: "Melem/s", work: (B * H * N * N) / 1e6, n: 10 },
  fwdBwd(() => sw.softmax(scores, 0.125)),
);

const q = randomTensor([B * H, N, D / H], 6),
  k = randomTensor([B * H, N, D / H], 7),
  v = randomTensor([B * H, N, D / H], 8);
// Two batched GEMMs forward, four backward: 6 * 2 * N * N * d FLOP per head.
gpuBench(`attention ${B * H} heads x ${N} tokens x ${D / H} fwd+bwd`, {
  unit: "GFLOP/s",
  work: (6 * 2 * B * H * N * N * (D / H)) / 1e9,
  n: 3,
}, fwdBwd(() => sw.scaledDotProductAttention(q, k, v)));

const parts = [randomTensor([B, 256, 16, 16], 9), randomTensor([B, 32, 16, 16], 10)];
gpuBench(
  `concat [${B}, 256 + 32, 16, 16] fwd+bwd`,
  { unit: "Melem/s", work: (B * 288 * 256) / 1e6, n: 10 },
  fwdBwd(() => sw.concat(parts, 1)),
);

for (const [name, size, batch] of [["vit", 224, 4], ["densenet", 64, 8]] as const) {
  const model = createModel(name, { inChannels: 3, numClasses: 200, imageSize: size, seed: 1 });
  const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
  const x = randomTensor([batch, 3, size, size], 11);
  x.requiresGrad = false;
  const y = sw.tensor(Float32Array.from({ length: batch }, (_, i) => (i * 37) % 200)).keep();
  gpuBench(
    `${name} SGD step, ${size}x${size}, batch ${batch}`,
    { unit: "images/s", work: batch, n: 2 },
    async () => {
      await engine.step(() =>
        sw.tidy(() => {
          sw.backward(sw.crossEntropy(model.forward(x), y));
          return null;
        })
      );
    },
  );
}
