// The loader: reproducible seeded epochs, drop_last in training, the full test set in
// evaluation, one batch recorded ahead, and batch tensors released by the loader.
import { runtime } from "../src/gpu/runtime.ts";
import {
  augmentCpu,
  type AugmentSpec,
  CIFAR_MEAN,
  CIFAR_STD,
  GpuImages,
  type ImageSet,
  loadDataset,
  Loader,
} from "../src/data/mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest, rng } from "./harness.ts";

const SPEC: AugmentSpec = { mean: CIFAR_MEAN, std: CIFAR_STD, pad: 2, flip: 0.5, cutout: 4, cutoutP: 0.5 };

function randomSet(count: number, seed: number): ImageSet & { augment: AugmentSpec } {
  const r = rng(seed);
  return {
    count,
    channels: 3,
    height: 8,
    width: 6,
    numClasses: 10,
    images: Uint8Array.from({ length: count * 3 * 8 * 6 }, () => Math.floor(r() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10),
    augment: SPEC,
  };
}

/** Reads every batch of one epoch: sizes, and x and y concatenated. */
async function collect(loader: Loader, epoch: number) {
  const sizes: number[] = [];
  const xs: number[] = [];
  const ys: number[] = [];
  for await (const b of loader.epoch(epoch)) {
    assertEquals(b.index, sizes.length);
    sizes.push(b.size);
    assertEquals(b.x.shape, [b.size, 3, 8, 6]);
    xs.push(...await b.x.data());
    ys.push(...await b.y.data());
  }
  return { sizes, xs, ys };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assertEquals(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

gpuTest("same seed, same batches; another seed or epoch, other batches", async () => {
  const set = randomSet(50, 1);
  const images = GpuImages.upload(set);
  const run = async (seed: number, epoch: number) =>
    await collect(new Loader(images, { batchSize: 16, train: true, seed, augment: SPEC }), epoch);
  const a = await run(1, 0), b = await run(1, 0), c = await run(2, 0), d = await run(1, 1);
  assertEquals(a.sizes, [16, 16, 16]);
  assertEquals(maxDiff(a.xs, b.xs), 0);
  assertEquals(a.ys, b.ys);
  assert(
    maxDiff(a.xs, c.xs) > 0.5 && JSON.stringify(a.ys) !== JSON.stringify(c.ys),
    "seed must change batches",
  );
  assert(maxDiff(a.xs, d.xs) > 0.5, "epoch must change batches");
  images.dispose();
});

gpuTest("training: shuffled, drop_last, every batch equal to the CPU reference", async () => {
  const set = randomSet(50, 2);
  const loader = new Loader(set, { batchSize: 16, train: true, seed: 77 });
  assertEquals(loader.batchesPerEpoch, 3);
  const got = await collect(loader, 4);
  const order = loader.order(4);
  assertEquals([...order].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  assert(order.some((v, i) => v !== i), "not shuffled");
  const ref = augmentCpu(set, order.subarray(0, 48), SPEC, 77, 4);
  assert(maxDiff(got.xs, ref.x) <= 1e-5, "pixels");
  assertEquals(got.ys, [...ref.y]);
  const keepAll = new Loader(loader.images, {
    batchSize: 16,
    train: true,
    seed: 77,
    augment: SPEC,
    dropLast: false,
  });
  assertEquals((await collect(keepAll, 4)).sizes, [16, 16, 16, 2]);
  keepAll.dispose();
  assert(!loader.images.isDisposed, "a loader leaves a GpuImages it was given alone");
  loader.dispose();
  assert(loader.images.isDisposed, "a loader frees what it uploaded");
});

gpuTest("evaluation: dataset order, normalise only, last partial batch included", async () => {
  const set = randomSet(50, 3);
  const loader = new Loader(set, { batchSize: 16, train: false, augment: undefined });
  assertEquals([loader.batchesPerEpoch, loader.augment.pad, loader.augment.flip, loader.augment.cutout], [
    4,
    0,
    0,
    0,
  ]);
  const got = await collect(loader, 0);
  assertEquals(got.sizes, [16, 16, 16, 2]);
  assertEquals(got.ys, [...set.labels]);
  const ref = augmentCpu(set, Array.from({ length: 50 }, (_, i) => i), loader.augment, 0, 0);
  assert(maxDiff(got.xs, ref.x) <= 1e-5, "pixels");
  assertEquals(maxDiff(got.xs, (await collect(loader, 7)).xs), 0); // no randomness in eval
  loader.dispose();
});

gpuTest(
  "the next batch is recorded before the current one is yielded; no submit or readback per batch",
  async () => {
    const rt = runtime();
    const loader = new Loader(randomSet(64, 4), { batchSize: 8, train: true, seed: 5 });
    await rt.sync();
    const live = rt.stats().liveBuffers;
    rt.resetCounters();
    let previous: { x: { isDisposed: boolean } } | null = null;
    let n = 0;
    for await (const b of loader.epoch(0)) {
      // This batch's dispatch and the next one's are recorded, not yet submitted.
      assertEquals(rt.pendingCount, Math.min(b.index + 2, 8));
      if (previous) assert(previous.x.isDisposed, "the loader releases the previous batch");
      previous = b;
      n++;
    }
    assertEquals(n, 8);
    assert(previous!.x.isDisposed, "and the last one when the epoch ends");
    const s = rt.stats();
    // Nothing was submitted: the order upload is a queue write, and the 8 augment dispatches
    // wait, recorded, for the consumer's next sync (here: the next epoch's order upload).
    assertEquals([s.submits, s.readbacks, s.dispatches, rt.pendingCount], [0, 0, 0, 8]);
    // Leaving early releases the batch in hand and the one prepared ahead.
    for await (const b of loader.epoch(1)) if (b.index === 2) break;
    assertEquals(rt.stats().liveBuffers, live);
    loader.dispose();
  },
);

gpuTest("the embedded subset through the loader: shapes, batch counts, pixels", async () => {
  const ds = await loadDataset("FashionMNIST_subset_cutout");
  const train = new Loader(ds.train, { batchSize: 128, train: true, seed: 3 });
  const test = new Loader(ds.test, { batchSize: 128, train: false });
  assertEquals([train.batchesPerEpoch, test.batchesPerEpoch], [46, 8]);
  for await (const b of train.epoch(0)) {
    assertEquals(b.x.shape, [128, 1, 28, 28]);
    const ref = augmentCpu(ds.train, train.order(0).subarray(0, 128), ds.train.augment, 3, 0);
    assert(maxDiff(await b.x.data(), ref.x) <= 1e-5, "pixels");
    assertEquals([...await b.y.data()], [...ref.y]);
    break;
  }
  const sizes: number[] = [];
  for await (const b of test.epoch(0)) sizes.push(b.size);
  assertEquals(sizes, [128, 128, 128, 128, 128, 128, 128, 104]);
  train.dispose();
  test.dispose();
});
