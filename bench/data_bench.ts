// Data pipeline throughput: GPU augmentation of one batch (the dispatch a Loader records
// per batch) plus the submit and a sync, on a CIFAR-10-sized uint8 set resident on the GPU.
// Compare images/s with a training step's. Run: deno bench -A bench/data_bench.ts
import { runtime } from "../mod.ts";
import {
  augmentBatch,
  GpuImages,
  type ImageSet,
  normalizeOnly,
  permutation,
  trainRecipe,
} from "../src/data/mod.ts";
import { gpuBench } from "./util.ts";

/** `count` pseudo-random uint8 images (a multiplicative hash: fast, and no GPU-side cache luck). */
function syntheticSet(count: number, C: number, H: number, W: number): ImageSet {
  const images = new Uint8Array(count * C * H * W);
  for (let i = 0; i < images.length; i++) images[i] = Math.imul(i, 2654435761) >>> 24;
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { count, channels: C, height: H, width: W, images, labels, numClasses: 10 };
}

const rt = runtime();
const BATCH = 128;

function bench(name: string, set: ImageSet, spec: ReturnType<typeof trainRecipe>) {
  const images = GpuImages.upload(set);
  const order = permutation(set.count, 0, 0);
  const buffer = rt.alloc(order.byteLength);
  rt.write(buffer, 0, order);
  const range = { buffer, offset: 0, size: order.byteLength };
  let step = 0;
  const batches = Math.floor(set.count / BATCH);
  gpuBench(`${name} (${images.shards.length} shard${images.shards.length > 1 ? "s" : ""})`, {
    group: "data",
    unit: "images/s",
    work: BATCH,
  }, () => {
    const start = (step++ % batches) * BATCH;
    const { x, y } = augmentBatch({ images, order: range, start, count: BATCH, spec, seed: 1, epoch: 0 });
    x.dispose();
    y.dispose();
  });
}

const cifar = syntheticSet(50000, 3, 32, 32);
bench("augment 128x3x32x32 crop+flip+cutout", cifar, trainRecipe("CIFAR10_cutout"));
bench(
  "normalise 128x3x32x32 (eval)",
  cifar,
  normalizeOnly(trainRecipe("CIFAR10_base").mean, trainRecipe("CIFAR10_base").std),
);
bench(
  "augment 128x1x28x28 crop+cutout (Fashion-MNIST)",
  syntheticSet(60000, 1, 28, 28),
  trainRecipe("FashionMNIST_cutout"),
);
