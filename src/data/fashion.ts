/**
 * Reader of Fashion-MNIST's four idx files, gzipped or not.
 * @module
 */
import { join } from "node:path";
import { DatasetError } from "./errors.ts";
import { firstFile, readMaybeGzip } from "./files.ts";
import { parseIdx } from "./idx.ts";
import type { ImageSet } from "./image_set.ts";
import type { TrainTest } from "./cifar.ts";

/** Where Debian's `dataset-fashion-mnist` package installs the files: the default location. */
export const FASHION_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

/** Base names of the four idx files; each may also end in `.gz`. */
export const FASHION_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

const HINT = "install Debian's dataset-fashion-mnist package (files in " + FASHION_DEFAULT_DIR +
  "), or put the four idx files from https://github.com/zalandoresearch/fashion-mnist in --datadir";

/** Options of {@link readFashionMnist}. */
export interface FashionReadOptions {
  /** Required image counts; a header that says otherwise is an error (default: any). */
  expect?: { train: number; test: number };
  /** Name used in errors (default "Fashion-MNIST"). */
  what?: string;
}

async function locate(dir: string, base: string): Promise<string | null> {
  return await firstFile([join(dir, base + ".gz"), join(dir, base)]);
}

/** Reads one images file and its labels file into an ImageSet with 10 classes. */
export async function readIdxPair(
  imagesPath: string,
  labelsPath: string,
  expect?: number,
): Promise<ImageSet> {
  const img = parseIdx(await readMaybeGzip(imagesPath), 3, imagesPath);
  const lab = parseIdx(await readMaybeGzip(labelsPath), 1, labelsPath);
  const [count, height, width] = img.dims;
  if (lab.dims[0] !== count) {
    throw new DatasetError(`${labelsPath}: ${lab.dims[0]} labels for the ${count} images of ${imagesPath}`);
  }
  if (expect !== undefined && count !== expect) {
    throw new DatasetError(`${imagesPath}: ${count} images, expected ${expect}`);
  }
  for (let i = 0; i < count; i++) {
    if (lab.data[i] >= 10) {
      throw new DatasetError(
        `${labelsPath}: corrupt label ${lab.data[i]} at byte ${8 + i} (classes are 0..9)`,
      );
    }
  }
  return { count, channels: 1, height, width, images: img.data, labels: lab.data, numClasses: 10 };
}

/**
 * Reads Fashion-MNIST from the first of `dirs` that holds all four files. If none does,
 * the error names the files missing from the first directory that has any of them (or
 * from all of `dirs`) and says where to get them.
 */
export async function readFashionMnist(
  dirs: readonly string[],
  opts: FashionReadOptions = {},
): Promise<TrainTest> {
  const what = opts.what ?? "Fashion-MNIST";
  const bases = Object.values(FASHION_FILES);
  let partial: { dir: string; missing: string[] } | null = null;
  for (const dir of dirs) {
    const found = await Promise.all(bases.map((b) => locate(dir, b)));
    const missing = bases.filter((_, i) => !found[i]);
    if (!missing.length) {
      const [ti, tl, vi, vl] = found as string[];
      return {
        train: await readIdxPair(ti, tl, opts.expect?.train),
        test: await readIdxPair(vi, vl, opts.expect?.test),
        source: dir,
      };
    }
    if (missing.length < bases.length && !partial) partial = { dir, missing };
  }
  if (partial) {
    throw new DatasetError(
      `${what}: missing ${partial.missing.map((m) => m + "[.gz]").join(", ")} in ${partial.dir}/ (${HINT})`,
    );
  }
  throw new DatasetError(
    `${what}: no ${bases.map((b) => b + "[.gz]").join(", ")} in ${dirs.join(" or ")} (${HINT})`,
  );
}
