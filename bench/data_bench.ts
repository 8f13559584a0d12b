// Data pipeline throughput: GPU augmentation of one batch (the dispatch a Loader records
// per batch) plus the submit and a sync, on a CIFAR-10-sized uint8 set resident on the GPU;
// and TinyImageNet's JPEG pipeline: decoding in Deno workers (worker start-up included) and
// reading the decoded cache instead. Compare images/s with a training step's.
// Run: deno bench -A bench/data_bench.ts
import { join } from "node:path";
import { runtime } from "../mod.ts";
import {
  augmentBatch,
  decodeJpegFiles,
  defaultWorkers,
  encodeJpegRgb,
  GpuImages,
  type ImageSet,
  normalizeOnly,
  permutation,
  readTinyImageNet,
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

bench("augment 128x3x64x64 flip (TinyImageNet)", syntheticSet(2048, 3, 64, 64), trainRecipe("TinyImageNet"));

// A TinyImageNet-shaped tree of real JPEGs: 8 classes x 128 images, val 8 x 16 (class folders).
const JPEGS = 1024;
const datadir = await Deno.makeTempDir();
{
  const px = new Uint8Array(3 * 64 * 64);
  for (let k = 0; k < 8; k++) {
    for (const [split, n] of [["train", 128], ["val", 16]] as const) {
      const dir = join(
        datadir,
        "tiny-imagenet-200",
        split,
        `n0${k}`,
        ...(split === "train" ? ["images"] : []),
      );
      await Deno.mkdir(dir, { recursive: true });
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < px.length; j++) {
          px[j] = (Math.imul(j + 977 * i + 31 * k, 2654435761) >>> 26) + 3 * (j % 64);
        }
        await Deno.writeFile(join(dir, `n0${k}_${i}.JPEG`), encodeJpegRgb(px, 64, 64));
      }
    }
  }
}
const files = [...Deno.readDirSync(join(datadir, "tiny-imagenet-200", "train"))].flatMap((c) =>
  [...Deno.readDirSync(join(datadir, "tiny-imagenet-200", "train", c.name, "images"))].map((f) =>
    join(datadir, "tiny-imagenet-200", "train", c.name, "images", f.name)
  )
);
for (const workers of [1, defaultWorkers()]) {
  gpuBench(`JPEG decode ${JPEGS} 64x64 (${workers} worker${workers > 1 ? "s" : ""})`, {
    group: "jpeg",
    unit: "images/s",
    work: JPEGS,
    n: 5,
  }, async () => {
    await decodeJpegFiles(files, 64, 64, { workers });
  });
}
const cache = join(datadir, "decoded");
gpuBench(`decoded cache read ${JPEGS + 128} 64x64 (train + val)`, {
  group: "jpeg",
  unit: "images/s",
  work: JPEGS + 128,
  n: 10,
}, async () => {
  await readTinyImageNet(datadir, { decodedCache: cache });
});
globalThis.addEventListener("unload", () => Deno.removeSync(datadir, { recursive: true }));
