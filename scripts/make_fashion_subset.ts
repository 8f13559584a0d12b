/**
 * Makes the embedded Fashion-MNIST subset in `data/fashion-mnist-subset/`: the first 600
 * images of each class of the training file and the first 100 of each class of the test
 * file, in file order, as gzipped idx files.
 *
 * Deterministic: the selection depends only on the source files (Debian's
 * dataset-fashion-mnist package, /usr/share/datasets/fashion-mnist), and gzip output is
 * made with the web-standard CompressionStream (no timestamp in the header).
 *
 * Usage: deno run -A scripts/make_fashion_subset.ts [SOURCE_DIR] [OUT_DIR]
 *
 * @module
 */
import { join } from "node:path";
import { FASHION_DEFAULT_DIR, FASHION_FILES, readFashionMnist } from "../src/data/fashion.ts";
import { encodeIdx } from "../src/data/idx.ts";
import { imageBytes, type ImageSet } from "../src/data/image_set.ts";
import { SUBSET_DIR } from "../src/data/dataset.ts";

/** The first `perClass` images of each class of `set`, in file order. */
export function firstPerClass(set: ImageSet, perClass: number): ImageSet {
  const taken = new Array<number>(set.numClasses).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < set.count; i++) {
    const c = set.labels[i];
    if (taken[c] < perClass) {
      taken[c]++;
      picked.push(i);
    }
  }
  const short = taken.findIndex((n) => n < perClass);
  if (short >= 0) throw new Error(`class ${short} has only ${taken[short]} images, need ${perClass}`);
  const per = imageBytes(set);
  const images = new Uint8Array(picked.length * per);
  const labels = new Uint8Array(picked.length);
  picked.forEach((src, k) => {
    images.set(set.images.subarray(src * per, (src + 1) * per), k * per);
    labels[k] = set.labels[src];
  });
  return { ...set, count: picked.length, images, labels };
}

async function gzip(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function writeSet(dir: string, set: ImageSet, imagesName: string, labelsName: string): Promise<number> {
  const img = await gzip(
    encodeIdx([set.count, set.height, set.width], set.images) as Uint8Array<ArrayBuffer>,
  );
  const lab = await gzip(encodeIdx([set.count], set.labels) as Uint8Array<ArrayBuffer>);
  await Deno.writeFile(join(dir, imagesName + ".gz"), img);
  await Deno.writeFile(join(dir, labelsName + ".gz"), lab);
  return img.length + lab.length;
}

if (import.meta.main) {
  const source = Deno.args[0] ?? FASHION_DEFAULT_DIR;
  const out = Deno.args[1] ?? SUBSET_DIR;
  const full = await readFashionMnist([source], { expect: { train: 60000, test: 10000 } });
  const train = firstPerClass(full.train, 600);
  const test = firstPerClass(full.test, 100);
  await Deno.mkdir(out, { recursive: true });
  const bytes = await writeSet(out, train, FASHION_FILES.trainImages, FASHION_FILES.trainLabels) +
    await writeSet(out, test, FASHION_FILES.testImages, FASHION_FILES.testLabels);
  console.log(`wrote ${train.count} train + ${test.count} test images to ${out} (${bytes} bytes gzipped)`);
}
