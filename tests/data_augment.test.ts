// The GPU augmentation against its float64 CPU reference, pixel by pixel, and the RNG
// both share: the seed's crop / flip / normalise / cutout reproduced exactly.
import { runtime } from "../src/gpu/runtime.ts";
import {
  augmentBatch,
  augmentCpu,
  type AugmentSpec,
  CIFAR_MEAN,
  CIFAR_STD,
  GpuImages,
  imageDraws,
  type ImageSet,
  normalizeOnly,
  pcg4d,
  permutation,
  trainRecipe,
} from "../src/data/mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest, rng } from "./harness.ts";

/** `count` random images of C x H x W with labels i % numClasses. */
function randomSet(
  count: number,
  C: number,
  H: number,
  W: number,
  numClasses: number,
  seed: number,
): ImageSet {
  const r = rng(seed);
  return {
    count,
    channels: C,
    height: H,
    width: W,
    numClasses,
    images: Uint8Array.from({ length: count * C * H * W }, () => Math.floor(r() * 256)),
    labels: Uint8Array.from({ length: count }, (_, i) => i % numClasses),
  };
}

function uploadOrder(order: Uint32Array) {
  const rt = runtime();
  const buffer = rt.alloc(order.byteLength);
  rt.write(buffer, 0, order);
  return { buffer, offset: 0, size: order.byteLength };
}

/** Runs one GPU batch and compares it with augmentCpu: every pixel within 1e-5, labels exact. */
async function compare(
  set: ImageSet,
  spec: AugmentSpec,
  opts: { seed: number; epoch: number; start: number; count: number; maxShardBytes?: number },
): Promise<{ shards: number; ref: Float64Array }> {
  const images = GpuImages.upload(set, { maxShardBytes: opts.maxShardBytes });
  const order = permutation(set.count, opts.seed, opts.epoch);
  const range = uploadOrder(order);
  const { x, y } = augmentBatch({ images, order: range, ...opts, spec });
  assertEquals(x.shape, [opts.count, set.channels, set.height, set.width]);
  const [gx, gy] = [await x.data(), await y.data()];
  const ref = augmentCpu(
    set,
    order.subarray(opts.start, opts.start + opts.count),
    spec,
    opts.seed,
    opts.epoch,
  );
  assertEquals([...gy], [...ref.y]);
  let worst = 0, at = -1;
  for (let i = 0; i < ref.x.length; i++) {
    const e = Math.abs(gx[i] - ref.x[i]);
    if (!(e <= worst)) [worst, at] = [Number.isNaN(e) ? Infinity : e, i];
  }
  assert(worst <= 1e-5, `pixel ${at}: gpu ${gx[at]} vs cpu ${ref.x[at]}`);
  const shards = images.shards.length;
  x.dispose();
  y.dispose();
  images.dispose();
  runtime().free(range.buffer);
  return { shards, ref: ref.x };
}

/** Draws of `count` images, to assert that a test exercises every branch. */
function drawsOf(set: ImageSet, spec: AugmentSpec, seed: number, epoch: number, indices: ArrayLike<number>) {
  return Array.from(indices, (i) => imageDraws(i, epoch, seed, spec, set.height, set.width));
}

Deno.test("pcg4d matches the published hash (pinned values)", () => {
  assertEquals(pcg4d(0, 0, 0, 0), [251852841, 760645481, 850445371, 3542436074]);
  assertEquals(pcg4d(1, 2, 3, 4), [908250390, 4044648920, 3775961919, 45698095]);
  assertEquals(pcg4d(0xffffffff, 7, 123456789, 2), [2939286297, 2906625836, 3780846462, 1394441331]);
});

Deno.test("augmentation draws have the intended distributions", () => {
  const spec = trainRecipe("CIFAR10_cutout");
  const n = 20000;
  const crop = new Array(9).fill(0), cy = new Array(32).fill(0);
  let flips = 0, cuts = 0;
  for (let i = 0; i < n; i++) {
    const d = imageDraws(i, 3, 42, spec, 32, 32);
    crop[d.oy]++;
    crop[d.ox]++;
    cy[d.cy]++;
    flips += +d.flip;
    cuts += +d.cut;
  }
  assert(Math.abs(flips / n - 0.5) < 0.02 && Math.abs(cuts / n - 0.5) < 0.02, `${flips} flips, ${cuts} cuts`);
  for (const c of crop) assert(Math.abs(c / (2 * n) - 1 / 9) < 0.01, `crop offsets ${crop}`);
  for (const c of cy) assert(Math.abs(c / n - 1 / 32) < 0.006, `cutout rows ${cy}`);
  // Epoch and seed change the draws; the same key repeats them.
  assertEquals(imageDraws(5, 1, 9, spec, 32, 32), imageDraws(5, 1, 9, spec, 32, 32));
  const a = drawsOf({ height: 32, width: 32 } as ImageSet, spec, 9, 1, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert(
    JSON.stringify(a) !==
      JSON.stringify(drawsOf({ height: 32, width: 32 } as ImageSet, spec, 9, 2, [0, 1, 2, 3, 4, 5, 6, 7])),
  );
  assert(
    JSON.stringify(a) !==
      JSON.stringify(drawsOf({ height: 32, width: 32 } as ImageSet, spec, 10, 1, [0, 1, 2, 3, 4, 5, 6, 7])),
  );
});

gpuTest("GPU = CPU reference: crop, flip, cutout on 3x12x10 images over four shards", async () => {
  const set = randomSet(37, 3, 12, 10, 7, 1);
  const spec: AugmentSpec = { mean: CIFAR_MEAN, std: CIFAR_STD, pad: 4, flip: 0.5, cutout: 6, cutoutP: 0.5 };
  const opts = { seed: 1234, epoch: 2, start: 5, count: 30, maxShardBytes: 10 * 360 };
  const d = drawsOf(set, spec, opts.seed, opts.epoch, permutation(37, opts.seed, opts.epoch).subarray(5, 35));
  // The draws cover every branch: flipped and not, cut and not, both extreme crop offsets.
  assert(d.some((v) => v.flip) && d.some((v) => !v.flip), "flips");
  assert(d.some((v) => v.cut) && d.some((v) => !v.cut), "cutouts");
  assert(d.some((v) => v.oy === 0 || v.ox === 0) && d.some((v) => v.oy === 8 || v.ox === 8), "crop extremes");
  assert(
    d.some((v) => v.cut && (v.cy < 3 || v.cx < 3 || v.cy > 8 || v.cx > 6)),
    "a cutout clipped at a border",
  );
  const { shards, ref } = await compare(set, spec, opts);
  assertEquals(shards, 4);
  // Padded pixels read (0 - mean) / std (the seed pads uint8 with 0 before normalising);
  // cutout pixels read exactly 0 (after normalising).
  const padValue = (0 - CIFAR_MEAN[0]) / CIFAR_STD[0];
  assert(ref.some((v) => Math.abs(v - padValue) < 1e-12), "no padded pixel");
  assert(ref.some((v) => v === 0), "no cutout pixel");
});

gpuTest("GPU = CPU reference: 1 channel, odd 5x7 images (unaligned bytes), always flip and cut", async () => {
  const set = randomSet(9, 1, 5, 7, 10, 2);
  const spec: AugmentSpec = { mean: [0.3], std: [0.4], pad: 2, flip: 1, cutout: 3, cutoutP: 1 };
  await compare(set, spec, { seed: 7, epoch: 0, start: 0, count: 9 });
  await compare(set, spec, { seed: 7, epoch: 0, start: 0, count: 9, maxShardBytes: 3 * 35 + 3 }); // 3 shards of 105 bytes, padded to 108
});

gpuTest("GPU = CPU reference: the seed's CIFAR-10 cutout recipe on 3x32x32, and normalise-only", async () => {
  const set = randomSet(24, 3, 32, 32, 10, 3);
  await compare(set, trainRecipe("CIFAR10_cutout"), { seed: 99, epoch: 5, start: 4, count: 16 });
  const { ref } = await compare(set, normalizeOnly(CIFAR_MEAN, CIFAR_STD), {
    seed: 0,
    epoch: 0,
    start: 0,
    count: 24,
  });
  // Normalise-only in the epoch's order is (pixel / 255 - mean) / std of that image.
  const order = permutation(24, 0, 0);
  const c = 2, yy = 3, xx = 30;
  const want = (set.images[((order[1] * 3 + c) * 32 + yy) * 32 + xx] / 255 - CIFAR_MEAN[c]) / CIFAR_STD[c];
  assertEquals(ref[((1 * 3 + c) * 32 + yy) * 32 + xx], want);
});

gpuTest("GPU = CPU reference: Fashion-MNIST recipe with flip and cutout (28x28, cutout 14)", async () => {
  const set = randomSet(20, 1, 28, 28, 10, 4);
  const spec = trainRecipe("FashionMNIST_cutout", true);
  assertEquals([spec.pad, spec.flip, spec.cutout, spec.cutoutP], [4, 0.5, 14, 0.5]);
  await compare(set, spec, { seed: 5, epoch: 1, start: 3, count: 17 });
});
