// Dataset readers on small files written here in each binary format: CIFAR-10/100,
// idx plain and gzipped, and the truncated, corrupt and missing cases. No GPU needed.
import { join } from "node:path";
import {
  CIFAR100_DIR,
  CIFAR10_DIR,
  CIFAR_MEAN,
  classCounts,
  DATASET_NAMES,
  DatasetError,
  defaultDatasetName,
  encodeIdx,
  FASHION_DEFAULT_DIR,
  FASHION_MEAN,
  FASHION_STD,
  loadDataset,
  parseCifar,
  parseIdx,
  readCifar10,
  readCifar100,
  readFashionMnist,
  SUBSET_COUNTS,
  trainRecipe,
} from "../src/data/mod.ts";
import { CIFAR10_FORMAT } from "../src/data/cifar.ts";
import { gunzip } from "../src/data/files.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { skipWithout } from "./skip.ts";

/** A CIFAR file of `n` records: labels from `label(i)`, pixel byte k of record i = (i * 7 + k) % 256. */
function cifarBytes(n: number, labelBytes: number, label: (i: number, k: number) => number): Uint8Array {
  const rec = labelBytes + 3072;
  const out = new Uint8Array(n * rec);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < labelBytes; k++) out[i * rec + k] = label(i, k);
    for (let k = 0; k < 3072; k++) out[i * rec + labelBytes + k] = (i * 7 + k) % 256;
  }
  return out;
}

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "samwise_data_" });
}

/** Writes a tiny Fashion-MNIST layout (4x3 images) into `dir`; gzipped or not. */
async function writeFashion(dir: string, gz: boolean, nTrain = 12, nTest = 5): Promise<void> {
  const write = async (name: string, bytes: Uint8Array) =>
    await Deno.writeFile(join(dir, name + (gz ? ".gz" : "")), gz ? await gzip(bytes) : bytes);
  const set = (n: number, off: number) => ({
    images: Uint8Array.from({ length: n * 12 }, (_, i) => (i * 5 + off) % 256),
    labels: Uint8Array.from({ length: n }, (_, i) => (i + off) % 10),
  });
  const tr = set(nTrain, 0), te = set(nTest, 3);
  await write("train-images-idx3-ubyte", encodeIdx([nTrain, 4, 3], tr.images));
  await write("train-labels-idx1-ubyte", encodeIdx([nTrain], tr.labels));
  await write("t10k-images-idx3-ubyte", encodeIdx([nTest, 4, 3], te.images));
  await write("t10k-labels-idx1-ubyte", encodeIdx([nTest], te.labels));
}

function isOneLineDatasetError(e: unknown): boolean {
  return e instanceof DatasetError && !e.message.includes("\n");
}

Deno.test("CIFAR-10: parses records into CHW images and labels", () => {
  const set = parseCifar(cifarBytes(3, 1, (i) => i + 2), CIFAR10_FORMAT, "t.bin");
  assertEquals(set.count, 3);
  assertEquals([set.channels, set.height, set.width, set.numClasses], [3, 32, 32, 10]);
  assertEquals([...set.labels], [2, 3, 4]);
  assertEquals(set.images.length, 3 * 3072);
  // record 1, channel 2 (blue), row 5, column 7 -> pixel byte 2048 + 5 * 32 + 7
  assertEquals(set.images[3072 + 2048 + 5 * 32 + 7], (7 + 2048 + 5 * 32 + 7) % 256);
});

Deno.test("CIFAR-10: the five batches and the test batch from --datadir", async () => {
  const dir = await tempDir();
  await Deno.mkdir(join(dir, CIFAR10_DIR));
  for (let b = 1; b <= 5; b++) {
    await Deno.writeFile(
      join(dir, CIFAR10_DIR, `data_batch_${b}.bin`),
      cifarBytes(2, 1, (i) => (b + i) % 10),
    );
  }
  await Deno.writeFile(join(dir, CIFAR10_DIR, "test_batch.bin"), cifarBytes(3, 1, (i) => i));
  const { train, test } = await readCifar10(dir, { checkCounts: false });
  assertEquals(train.count, 10);
  assertEquals([...train.labels], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  assertEquals(test.count, 3);
  // The standard counts are enforced by default: 2 records is not 10,000.
  await assertRejects(
    () => readCifar10(dir),
    /data_batch_1\.bin: 2 records .* expected 10000: truncated at byte 6146/,
  );
  const ds = await loadDataset("CIFAR10_cutout", { datadir: dir, checkCounts: false });
  assertEquals([ds.numClasses, ds.channels, ds.height, ds.width, ds.train.count, ds.test.count], [
    10,
    3,
    32,
    32,
    10,
    3,
  ]);
  assertEquals(ds.train.augment, trainRecipe("CIFAR10_cutout"));
  assertEquals([ds.train.augment.pad, ds.train.augment.flip, ds.train.augment.cutout], [4, 0.5, 16]);
  assertEquals([ds.test.augment.pad, ds.test.augment.flip, ds.test.augment.cutout], [0, 0, 0]);
  assertEquals(ds.mean, CIFAR_MEAN);
  assertEquals(await defaultDatasetName({ datadir: dir }), "CIFAR10_base");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-10: truncated, corrupt and missing files are one-line errors naming file and offset", async () => {
  const dir = await tempDir();
  const cdir = join(dir, CIFAR10_DIR);
  await Deno.mkdir(cdir);
  await assertRejects(
    () => loadDataset("CIFAR10_base", { datadir: dir }),
    /^CIFAR-10: missing data_batch_1\.bin, .*test_batch\.bin in .*cifar-10-batches-bin\/ \(expected .*cifar-10-binary\.tar\.gz/,
  );
  for (let b = 1; b <= 5; b++) {
    await Deno.writeFile(
      join(cdir, `data_batch_${b}.bin`),
      cifarBytes(2, 1, () => 1),
    );
  }
  await assertRejects(
    () => readCifar10(dir, { checkCounts: false }),
    /^CIFAR-10: missing test_batch\.bin in /,
  );
  // Truncated inside record 1.
  await Deno.writeFile(join(cdir, "test_batch.bin"), cifarBytes(2, 1, () => 1).subarray(0, 3073 + 100));
  await assertRejects(
    () => readCifar10(dir, { checkCounts: false }),
    /test_batch\.bin: truncated at byte 3173: record 1 \(from byte 3073\) is incomplete/,
  );
  // A label byte out of range is corruption, reported at its offset.
  await Deno.writeFile(join(cdir, "test_batch.bin"), cifarBytes(2, 1, (i) => i ? 200 : 0));
  await assertRejects(
    () => readCifar10(dir, { checkCounts: false }),
    /test_batch\.bin: corrupt record 1: label byte 200 at byte 3073 is not below 10/,
  );
  try {
    await loadDataset("CIFAR10_base", { datadir: join(dir, "nowhere") });
    throw new Error("no error");
  } catch (e) {
    assert(isOneLineDatasetError(e), String(e));
  }
  assertEquals(await defaultDatasetName({ datadir: join(dir, "nowhere") }), "FashionMNIST_subset");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("CIFAR-100: fine labels, coarse label range checked, truncation caught", async () => {
  const dir = await tempDir();
  const cdir = join(dir, CIFAR100_DIR);
  await Deno.mkdir(cdir);
  await assertRejects(
    () => readCifar100(dir),
    /^CIFAR-100: missing train\.bin, test\.bin in .*cifar-100-binary/,
  );
  await Deno.writeFile(join(cdir, "train.bin"), cifarBytes(4, 2, (i, k) => k ? 90 + i : i));
  await Deno.writeFile(join(cdir, "test.bin"), cifarBytes(2, 2, (i, k) => k ? 50 + i : 19));
  const ds = await loadDataset("CIFAR100_base", { datadir: dir, checkCounts: false });
  assertEquals(ds.numClasses, 100);
  assertEquals([...ds.train.labels], [90, 91, 92, 93]);
  assertEquals([...ds.test.labels], [50, 51]);
  assertEquals(ds.train.images[3072 + 1], (7 + 1) % 256); // record 1's pixel 1, after 2 label bytes
  assertEquals(ds.train.augment.cutout, 0);
  await Deno.writeFile(join(cdir, "test.bin"), cifarBytes(2, 2, (i, k) => k ? 1 : 20 + i));
  await assertRejects(
    () => readCifar100(dir, { checkCounts: false }),
    /test\.bin: corrupt record 0: label byte 20 at byte 0 is not below 20/,
  );
  await Deno.writeFile(join(cdir, "test.bin"), new Uint8Array(3074 * 2 - 1));
  await assertRejects(() => readCifar100(dir, { checkCounts: false }), /test\.bin: truncated at byte 6147/);
  await Deno.writeFile(join(cdir, "test.bin"), new Uint8Array(0));
  await assertRejects(() => readCifar100(dir, { checkCounts: false }), /test\.bin: empty/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("idx: header and length are checked exactly", () => {
  const bytes = encodeIdx([2, 3, 4], Uint8Array.from({ length: 24 }, (_, i) => i));
  const idx = parseIdx(bytes, 3, "f");
  assertEquals(idx.dims, [2, 3, 4]);
  assertEquals(idx.data[23], 23);
  let err = "";
  try {
    parseIdx(bytes.subarray(0, 30), 3, "f");
  } catch (e) {
    err = (e as Error).message;
  }
  assertEquals(err, "f: truncated at byte 30 of 40 (header says [2, 3, 4])");
  for (
    const [b, re] of [
      [bytes.subarray(0, 10), /inside the 16-byte idx header/],
      [new Uint8Array([...bytes, 0, 0]), /2 unexpected bytes after byte 40/],
      [encodeIdx([24], new Uint8Array(24)), /not a 3-D uint8 idx file \(magic 00 00 08 01 at byte 0/],
    ] as const
  ) {
    try {
      parseIdx(b, 3, "f");
      throw new Error("no error");
    } catch (e) {
      assert(e instanceof DatasetError && re.test(e.message), String(e));
    }
  }
});

for (const gz of [false, true]) {
  Deno.test(`Fashion-MNIST: ${gz ? "gzipped" : "plain"} idx files from --datadir`, async () => {
    const dir = await tempDir();
    await writeFashion(dir, gz);
    const { train, test } = await readFashionMnist([join(dir, "absent"), dir]);
    assertEquals([train.count, train.channels, train.height, train.width], [12, 1, 4, 3]);
    assertEquals([test.count, [...test.labels]], [5, [3, 4, 5, 6, 7]]);
    assertEquals(train.images[12 + 2], (14 * 5) % 256); // image 1, row 0, column 2
    const ds = await loadDataset("FashionMNIST_cutout", { datadir: dir, checkCounts: false });
    assertEquals([ds.channels, ds.numClasses], [1, 10]);
    assertEquals([...ds.mean, ...ds.std], [...FASHION_MEAN, ...FASHION_STD]);
    assertEquals([ds.train.augment.pad, ds.train.augment.flip, ds.train.augment.cutout], [4, 0, 14]);
    const flipped = await loadDataset("FashionMNIST", { datadir: dir, checkCounts: false, flip: true });
    assertEquals([flipped.train.augment.flip, flipped.train.augment.cutout], [0.5, 0]);
    await assertRejects(
      () => loadDataset("FashionMNIST", { datadir: dir }),
      /train-images-idx3-ubyte.*: 12 images, expected 60000/,
    );
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("Fashion-MNIST: truncated, corrupt and missing files", async () => {
  const dir = await tempDir();
  await writeFashion(dir, true);
  const img = join(dir, "t10k-images-idx3-ubyte.gz");
  const good = await Deno.readFile(img);
  // A truncated gzip stream fails its length/CRC check: named with the file's length.
  await Deno.writeFile(img, good.subarray(0, good.length - 6));
  await assertRejects(
    () => readFashionMnist([dir]),
    new RegExp(`t10k-images-idx3-ubyte\\.gz: gzip stream truncated or corrupt at byte ${good.length - 6}`),
  );
  // Garbage in the middle of the deflate data.
  const bad = good.slice();
  for (let i = 12; i < bad.length - 8; i++) bad[i] ^= 0xa5;
  await Deno.writeFile(img, bad);
  await assertRejects(() => readFashionMnist([dir]), /t10k-images-idx3-ubyte\.gz: gzip stream .*corrupt/);
  // A complete gzip of a truncated idx file: the offset is into the decompressed data.
  const raw = await gunzip(good, "x");
  await Deno.writeFile(img, await gzip(raw.subarray(0, 40)));
  await assertRejects(
    () => readFashionMnist([dir]),
    /t10k-images-idx3-ubyte\.gz: truncated at byte 40 of 76/,
  );
  await Deno.writeFile(img, good);
  // Labels out of range and a count mismatch between images and labels.
  await Deno.writeFile(
    join(dir, "t10k-labels-idx1-ubyte.gz"),
    await gzip(encodeIdx([5], new Uint8Array([1, 2, 3, 10, 0]))),
  );
  await assertRejects(
    () => readFashionMnist([dir]),
    /t10k-labels-idx1-ubyte\.gz: corrupt label 10 at byte 11/,
  );
  await Deno.writeFile(join(dir, "t10k-labels-idx1-ubyte.gz"), await gzip(encodeIdx([4], new Uint8Array(4))));
  await assertRejects(() => readFashionMnist([dir]), /4 labels for the 5 images/);
  // Missing: the message names the missing files and where to get them, on one line.
  await Deno.remove(join(dir, "t10k-labels-idx1-ubyte.gz"));
  await assertRejects(
    () => readFashionMnist([dir]),
    /^Fashion-MNIST: missing t10k-labels-idx1-ubyte\[\.gz\] in .* \(install Debian's dataset-fashion-mnist package/,
  );
  await assertRejects(
    () => readFashionMnist([join(dir, "none")]),
    /^Fashion-MNIST: no train-images-idx3-ubyte\[\.gz\], /,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("unknown dataset names list the choices", async () => {
  await assertRejects(() => loadDataset("MNIST"), /unknown dataset "MNIST"; choose one of CIFAR10_base, /);
  assertEquals(DATASET_NAMES.length, 9);
});

Deno.test("embedded subset: 600 per class train, 100 per class test, under 3 MiB", async () => {
  const ds = await loadDataset("FashionMNIST_subset");
  assertEquals([ds.train.count, ds.test.count], [SUBSET_COUNTS.train, SUBSET_COUNTS.test]);
  assertEquals([ds.channels, ds.height, ds.width, ds.numClasses], [1, 28, 28, 10]);
  assertEquals(classCounts(ds.train), new Array(10).fill(600));
  assertEquals(classCounts(ds.test), new Array(10).fill(100));
  let bytes = 0;
  for await (const e of Deno.readDir(ds.source)) {
    if (e.name.endsWith(".gz")) bytes += (await Deno.stat(join(ds.source, e.name))).size;
  }
  assert(bytes <= 3 * 1024 * 1024, `${bytes} bytes`);
  // Its pixels are Fashion-MNIST's: the subset's mean is near the full set's.
  const mean = ds.train.images.reduce((a, b) => a + b, 0) / ds.train.images.length / 255;
  assert(Math.abs(mean - FASHION_MEAN[0]) < 0.02, `subset mean ${mean}`);
});

Deno.test({
  name: "the full Fashion-MNIST, when Debian's package is installed, matches the hard-coded statistics",
  ignore: skipWithout(FASHION_DEFAULT_DIR, "dataset-fashion-mnist"),
  async fn() {
    const ds = await loadDataset("FashionMNIST");
    assertEquals([ds.train.count, ds.test.count], [60000, 10000]);
    let s = 0, s2 = 0;
    for (const b of ds.train.images) {
      s += b / 255;
      s2 += (b / 255) ** 2;
    }
    const n = ds.train.images.length, m = s / n;
    assert(Math.abs(m - FASHION_MEAN[0]) < 1e-9, `mean ${m}`);
    assert(Math.abs(Math.sqrt(s2 / n - m * m) - FASHION_STD[0]) < 1e-9, "std");
  },
});
