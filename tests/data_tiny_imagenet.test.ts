// TinyImageNet: tiny ImageFolder trees of real JPEG files (written with the same npm codec) in
// the download's layout and the seed's, ImageFolder order and labels, decoding in workers, the
// decoded cache, one-line layout errors, and a GPU batch with the seed's recipe.
import { join } from "node:path";
import {
  augmentCpu,
  DatasetError,
  decodeJpegFiles,
  decodeJpegRgb,
  encodeJpegRgb,
  listTinyImageNet,
  loadDataset,
  Loader,
  readTinyImageNet,
  trainRecipe,
} from "../src/data/mod.ts";
import { StreamedImages } from "../src/data/streamed_images.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest } from "./harness.ts";

const S = 64;

/** A smooth test pattern (JPEG keeps it to within a few levels), different per (class, image). */
function pattern(k: number, i: number): Uint8Array {
  const px = new Uint8Array(3 * S * S);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        px[(c * S + y) * S + x] = (40 * k + 25 * i + 2 * x + y * (c + 1) + 60 * c) % 200 + 20;
      }
    }
  }
  return px;
}

const CLASSES = ["n09", "n01", "n04"]; // written unsorted: labels follow the sorted names
const SORTED = [...CLASSES].sort();

interface TreeOptions {
  /** "download": train/<wnid>/images/ and a flat val/ with val_annotations.txt; "folders": val/<wnid>/. */
  layout: "download" | "folders";
  perClass?: number;
}

/** Writes a tiny tree; returns the datadir. */
async function makeTree(opts: TreeOptions): Promise<string> {
  const datadir = await Deno.makeTempDir();
  const root = join(datadir, "tiny-imagenet-200");
  const n = opts.perClass ?? 2;
  const annotations: string[] = [];
  for (const wnid of CLASSES) {
    const k = SORTED.indexOf(wnid);
    const dir = opts.layout === "download" ? join(root, "train", wnid, "images") : join(root, "train", wnid);
    await Deno.mkdir(dir, { recursive: true });
    // Names written in reverse: the order must come from sorting, not from the directory.
    for (let i = n - 1; i >= 0; i--) {
      await Deno.writeFile(join(dir, `${wnid}_${i}.JPEG`), encodeJpegRgb(pattern(k, i), S, S));
    }
    if (opts.layout === "download") {
      await Deno.writeTextFile(join(root, "train", wnid, `${wnid}_boxes.txt`), "x\t0\n");
    }
    // One validation image per class, at (k, 7).
    if (opts.layout === "download") {
      await Deno.mkdir(join(root, "val", "images"), { recursive: true });
      const file = `val_${2 - k}.JPEG`; // file names sort opposite to the classes
      await Deno.writeFile(join(root, "val", "images", file), encodeJpegRgb(pattern(k, 7), S, S));
      annotations.push(`${file}\t${wnid}\t0\t0\t63\t63`);
    } else {
      await Deno.mkdir(join(root, "val", wnid), { recursive: true });
      await Deno.writeFile(join(root, "val", wnid, `val_${k}.JPEG`), encodeJpegRgb(pattern(k, 7), S, S));
    }
  }
  if (opts.layout === "download") {
    await Deno.writeTextFile(join(root, "val", "val_annotations.txt"), annotations.join("\n") + "\n");
  }
  return datadir;
}

const meanAbsDiff = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

Deno.test("TinyImageNet download layout: ImageFolder order, val labels from val_annotations.txt", async () => {
  const datadir = await makeTree({ layout: "download", perClass: 3 });
  try {
    const found = await listTinyImageNet(datadir);
    assertEquals(found.classes, ["n01", "n04", "n09"]);
    assertEquals(found.train.labels, [0, 0, 0, 1, 1, 1, 2, 2, 2]);
    assertEquals(
      found.train.files.slice(0, 3).map((f) => f.slice(found.root.length + 1)),
      ["train/n01/images/n01_0.JPEG", "train/n01/images/n01_1.JPEG", "train/n01/images/n01_2.JPEG"],
    );
    assertEquals(found.val.labels, [0, 1, 2], "val in class order, as arranged folders give it");
    assertEquals(found.val.files.map((f) => f.slice(found.root.length + 1)), [
      "val/images/val_2.JPEG",
      "val/images/val_1.JPEG",
      "val/images/val_0.JPEG",
    ]);
    const notes: string[] = [];
    const t = await readTinyImageNet(datadir, { workers: 2, chunk: 2, onNote: (n) => notes.push(n) });
    assertEquals(notes.length, 1);
    assert(/flat folder; its labels are read from val_annotations\.txt/.test(notes[0]), notes[0]);
    assertEquals([t.train.count, t.train.channels, t.train.height, t.train.width, t.train.numClasses], [
      9,
      3,
      64,
      64,
      3,
    ]);
    assertEquals([...t.test.labels], [0, 1, 2]);
    const per = 3 * S * S;
    for (let j = 0; j < 9; j++) {
      const img = t.train.images.subarray(j * per, (j + 1) * per);
      // Workers decode exactly what the codec decodes on the main thread, in the listed order.
      const direct = new Uint8Array(per);
      decodeJpegRgb(await Deno.readFile(found.train.files[j]), "f", S, S, direct);
      assertEquals(meanAbsDiff(img, direct), 0, `image ${j}: worker and direct decodes differ`);
      const d = meanAbsDiff(img, pattern(Math.floor(j / 3), j % 3));
      assert(d < 4, `image ${j}: mean |decoded - source| = ${d}`);
    }
    assert(meanAbsDiff(t.test.images.subarray(2 * per), pattern(2, 7)) < 4, "val image of class 2");
  } finally {
    await Deno.remove(datadir, { recursive: true });
  }
});

Deno.test("TinyImageNet seed layout: val/<wnid>/ class folders", async () => {
  const datadir = await makeTree({ layout: "folders" });
  try {
    const notes: string[] = [];
    const ds = await loadDataset("TinyImageNet", { datadir, onNote: (n) => notes.push(n) });
    assertEquals(notes, []);
    assertEquals([ds.numClasses, ds.channels, ds.height, ds.width], [3, 3, 64, 64]);
    assertEquals([...ds.train.labels], [0, 0, 1, 1, 2, 2]);
    assertEquals([...ds.test.labels], [0, 1, 2]);
    // The seed's recipe: RandomCrop(64) without padding (the identity), flip 0.5, ImageNet mean/std.
    assertEquals(ds.train.augment, {
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      pad: 0,
      flip: 0.5,
      cutout: 0,
      cutoutP: 0,
    });
    assertEquals([ds.test.augment.pad, ds.test.augment.flip], [0, 0]);
  } finally {
    await Deno.remove(datadir, { recursive: true });
  }
});

Deno.test("TinyImageNet decoded cache: a second read decodes nothing; a changed file is decoded again", async () => {
  const datadir = await makeTree({ layout: "folders" });
  const cache = join(datadir, "cache");
  try {
    const first = await readTinyImageNet(datadir, { decodedCache: cache });
    assertEquals([first.train.cached, first.test.cached], [false, false]);
    assertEquals([...Deno.readDirSync(cache)].length, 2, "one cache file per split");
    // Break a JPEG but keep its size and time: a decode would now fail, the cache must not decode.
    const victim = join(datadir, "tiny-imagenet-200", "train", "n04", "n04_1.JPEG");
    const st = await Deno.stat(victim);
    await Deno.writeFile(victim, new Uint8Array(st.size).fill(7));
    await Deno.utime(victim, st.atime!, st.mtime!);
    const second = await readTinyImageNet(datadir, { decodedCache: cache });
    assertEquals([second.train.cached, second.test.cached], [true, true]);
    assertEquals(second.train.images.byteOffset % 16, 0, "cached pixels aligned behind the header");
    assertEquals(meanAbsDiff(second.train.images, first.train.images), 0, "cached pixels");
    assertEquals([...second.train.labels], [...first.train.labels]);
    // A new modification time invalidates the train entry: decoding runs and finds the bad file.
    await Deno.utime(victim, st.atime!, new Date(st.mtime!.getTime() + 5000));
    await assertRejects(
      () => readTinyImageNet(datadir, { decodedCache: cache }),
      /n04_1\.JPEG: not a readable JPEG/,
    );
  } finally {
    await Deno.remove(datadir, { recursive: true });
  }
});

Deno.test("TinyImageNet layout errors are one line naming the expected layout", async () => {
  const expectError = async (datadir: string, re: RegExp) => {
    let e: unknown = null;
    try {
      await loadDataset("TinyImageNet", { datadir });
    } catch (err) {
      e = err;
    }
    assert(e instanceof DatasetError, `a DatasetError for ${re}, got ${e}`);
    assert(re.test(e.message), e.message);
    assert(!e.message.includes("\n"), "one line");
  };
  const layout = /expected tiny-imagenet-200\/train\/<wnid>\/\[images\/\]\*\.JPEG and .*val_annotations\.txt/;
  const empty = await Deno.makeTempDir();
  await expectError(empty, /tiny-imagenet-200\/ not found; /);
  await expectError(empty, layout);
  const flat = await makeTree({ layout: "download" });
  const folders = await makeTree({ layout: "folders" });
  const root = (d: string) => join(d, "tiny-imagenet-200");
  try {
    const ann = join(root(flat), "val", "val_annotations.txt");
    const text = await Deno.readTextFile(ann);
    await Deno.writeTextFile(ann, text + "val_9.JPEG\tn77\t0\t0\t1\t1\n");
    await expectError(flat, /val_annotations\.txt: line 4 .* one of train\/'s 3 classes/);
    await Deno.remove(ann);
    await expectError(flat, /is the download's flat folder \(images\/\) but has no val_annotations\.txt/);
    await expectError(flat, layout);

    await Deno.remove(join(root(folders), "val", "n04"), { recursive: true });
    await expectError(folders, /class folder n04 of train\/ is missing from .*val\//);
    await Deno.mkdir(join(root(folders), "val", "n04"));
    await expectError(folders, /no JPEG in class folder .*val\/n04\//);
    await Deno.writeFile(
      join(root(folders), "val", "n04", "a.JPEG"),
      encodeJpegRgb(new Uint8Array(3 * 32 * 32), 32, 32),
    );
    await expectError(folders, /val\/n04\/a\.JPEG: 32x32 pixels, expected 64x64/);
    await Deno.writeFile(join(root(folders), "val", "n04", "a.JPEG"), new TextEncoder().encode("not a jpeg"));
    await expectError(folders, /val\/n04\/a\.JPEG: not a readable JPEG/);
    await Deno.remove(join(root(folders), "val", "n04", "a.JPEG"));
    await Deno.writeFile(join(root(folders), "val", "n04", "b.png"), new Uint8Array(8));
    await expectError(folders, /val\/n04\/b\.png: only JPEG images are read/);
  } finally {
    for (const d of [empty, flat, folders]) await Deno.remove(d, { recursive: true });
  }
});

Deno.test("decodeJpegFiles keeps the order with many chunks in flight", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files: string[] = [];
    for (let i = 0; i < 11; i++) {
      files.push(join(dir, `${i}.jpg`));
      await Deno.writeFile(files[i], encodeJpegRgb(pattern(i % 5, i), S, S));
    }
    const px = await decodeJpegFiles(files, S, S, { workers: 3, chunk: 1 });
    const per = 3 * S * S;
    for (let i = 0; i < 11; i++) {
      assert(meanAbsDiff(px.subarray(i * per, (i + 1) * per), pattern(i % 5, i)) < 4, `image ${i} in place`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

gpuTest("TinyImageNet batches on the GPU: the seed's recipe, as the CPU reference computes it", async () => {
  const datadir = await makeTree({ layout: "folders" });
  try {
    const ds = await loadDataset("TinyImageNet", { datadir });
    const loader = new Loader(ds.train, { batchSize: 4, train: true, seed: 3 });
    try {
      for await (const b of loader.epoch(1)) {
        assertEquals([...b.x.shape], [4, 3, 64, 64]);
        const order = loader.order(1).subarray(0, 4);
        const want = augmentCpu(ds.train, order, ds.train.augment, 3, 1);
        const got = await b.x.data();
        const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want.x[i])), 0);
        assert(worst < 1e-4, `GPU batch differs from the reference by ${worst}`);
        assertEquals([...await b.y.data()], [...want.y]);
        break;
      }
    } finally {
      loader.dispose();
    }
  } finally {
    await Deno.remove(datadir, { recursive: true });
  }
});

gpuTest("deno task train --dataset TinyImageNet --decoded_cache: trains; a bad layout exits 2", async () => {
  const { main } = await import("../src/cli/train.ts");
  const datadir = await makeTree({ layout: "download" });
  const out = await Deno.makeTempDir();
  try {
    const args = ["--dataset", "TinyImageNet", "--datadir", datadir, "--model", "wideresnet10x1"];
    const run = [
      "--batch_size",
      "2",
      "--epochs",
      "1",
      "--output_dir",
      out,
      "--decoded_cache",
      join(out, "cache"),
    ];
    assertEquals(await main([...args, ...run, "--output_name", "run"]), 0);
    assertEquals([...Deno.readDirSync(join(out, "cache"))].length, 2, "decoded cache written");
    const config = JSON.parse(await Deno.readTextFile(join(out, "run", "config.json")));
    assertEquals(config.dataset, "TinyImageNet");
    // The seed's VGG classifier needs 1x1 features: 64x64 images are refused before training.
    assertEquals(await main([...args.slice(0, 4), "--model", "vgg11bn", ...run, "--output_name", "vgg"]), 2);
    assert(
      !(await Deno.stat(join(out, "vgg")).then(() => true, () => false)),
      "nothing created for the refused run",
    );
    const empty = await Deno.makeTempDir();
    try {
      assertEquals(await main(["--dataset", "TinyImageNet", "--datadir", empty, "--output_dir", out]), 2);
    } finally {
      await Deno.remove(empty, { recursive: true });
    }
  } finally {
    await Deno.remove(datadir, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

gpuTest("a split past the resident cap is streamed batch by batch, with the same batches", async () => {
  const count = 37, C = 3, H = 9, W = 7;
  const images = Uint8Array.from({ length: count * C * H * W }, (_, i) => Math.imul(i, 2654435761) >>> 24);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 5);
  const set = { count, channels: C, height: H, width: W, images, labels, numClasses: 5 };
  const spec = { ...trainRecipe("CIFAR10_cutout"), cutout: 4 };
  const resident = new Loader(set, { batchSize: 8, train: true, seed: 11, augment: spec });
  const streamed = new Loader(set, {
    batchSize: 8,
    train: true,
    seed: 11,
    augment: spec,
    maxResidentBytes: 1000,
  });
  try {
    assert(
      streamed.images instanceof StreamedImages && !(resident.images instanceof StreamedImages),
      "modes",
    );
    for (const epoch of [0, 2]) {
      const a: Float32Array[] = [], b: Float32Array[] = [], ya: number[] = [], yb: number[] = [];
      for await (const batch of resident.epoch(epoch)) {
        a.push(await batch.x.data());
        ya.push(...await batch.y.data());
      }
      for await (const batch of streamed.epoch(epoch)) {
        b.push(await batch.x.data());
        yb.push(...await batch.y.data());
      }
      assertEquals(b.length, 4, "4 full batches of 8");
      assertEquals(yb, ya, `epoch ${epoch} labels`);
      b.forEach((x, k) => assert(x.every((v, i) => v === a[k][i]), `epoch ${epoch} batch ${k} differs`));
      const want = augmentCpu(set, streamed.order(epoch).subarray(0, 32), spec, 11, epoch).x;
      const got = b.flatMap((x) => [...x]);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - want[i])), 0);
      assert(worst < 1e-4, `epoch ${epoch}: streamed batches differ from the CPU reference by ${worst}`);
    }
  } finally {
    resident.dispose();
    streamed.dispose();
  }
});
