/**
 * `loadDataset(name)`: a named dataset's train and test splits in memory, with their
 * augmentation recipes.
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetError } from "./errors.ts";
import { CIFAR10_DIR, CIFAR10_FILES, readCifar10, readCifar100, type TrainTest } from "./cifar.ts";
import { FASHION_DEFAULT_DIR, readFashionMnist } from "./fashion.ts";
import { readTinyImageNet } from "./tiny_imagenet.ts";
import { isFile } from "./files.ts";
import { checkImageSet, type ImageSet } from "./image_set.ts";
import { DATASET_NAMES, datasetInfo, type DatasetName, isDatasetName, trainRecipe } from "./names.ts";
import { type AugmentSpec, normalizeOnly } from "./spec.ts";

/** One split of a dataset: the images plus the augmentation a loader applies by default. */
export interface Split extends ImageSet {
  /** The seed's recipe for this split: random crop/flip/cutout for train, normalise for test. */
  readonly augment: AugmentSpec;
}

/** A loaded dataset. Pixels are uint8 on the CPU until a Loader uploads them. */
export interface Dataset {
  /** The dataset's name (`--dataset`). */
  readonly name: DatasetName;
  /** Number of classes. */
  readonly numClasses: number;
  /** Channels per image. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Per-channel normalisation mean, in pixel / 255. */
  readonly mean: readonly number[];
  /** Per-channel normalisation standard deviation, in pixel / 255. */
  readonly std: readonly number[];
  /** The training split. */
  readonly train: Split;
  /** The test split. */
  readonly test: Split;
  /** Directory the files were read from. */
  readonly source: string;
}

/** Options of {@link loadDataset}. */
export interface LoadOptions {
  /**
   * Directory with the standard layouts: `cifar-10-batches-bin/`, `cifar-100-binary/`,
   * `tiny-imagenet-200/`, and Fashion-MNIST's idx files (directly, or in `fashion-mnist/`). Default: `data`
   * for CIFAR; Fashion-MNIST is also looked for in {@link FASHION_DEFAULT_DIR}.
   */
  datadir?: string;
  /** Horizontal flips in training (p = 0.5). Default: on for CIFAR (the seed), off for Fashion-MNIST. */
  flip?: boolean;
  /** Require the standard image counts (default true; tests turn it off for tiny files). */
  checkCounts?: boolean;
  /** TinyImageNet: directory of the decoded-image cache (none by default). */
  decodedCache?: string;
  /** TinyImageNet: JPEG decoding workers (default: the cores, at most 8). */
  workers?: number;
  /** Notes about the files found (e.g. TinyImageNet's flat val/); default: printed to stderr. */
  onNote?: (note: string) => void;
}

/** The default `--datadir`. */
export const DEFAULT_DATADIR = "data";

/**
 * Directory of the embedded Fashion-MNIST subset: 600 train and 100 test images per class,
 * shipped in the repository so that training works with no download.
 */
export const SUBSET_DIR: string = fileURLToPath(new URL("../../data/fashion-mnist-subset", import.meta.url));

/** Image counts of the embedded subset. */
export const SUBSET_COUNTS = { train: 6000, test: 1000 } as const;

async function readFamily(name: DatasetName, opts: LoadOptions): Promise<TrainTest> {
  const datadir = opts.datadir ?? DEFAULT_DATADIR;
  const checkCounts = opts.checkCounts !== false;
  switch (datasetInfo(name).family) {
    case "cifar10":
      return await readCifar10(datadir, { checkCounts });
    case "cifar100":
      return await readCifar100(datadir, { checkCounts });
    case "fashion": {
      const dirs = opts.datadir === undefined ? [FASHION_DEFAULT_DIR] : [
        datadir,
        join(datadir, "fashion-mnist"),
        join(datadir, "FashionMNIST", "raw"),
        FASHION_DEFAULT_DIR,
      ];
      return await readFashionMnist(dirs, {
        expect: checkCounts ? { train: 60000, test: 10000 } : undefined,
      });
    }
    case "tiny_imagenet":
      // Any ImageFolder tree in the layout is accepted, as the seed's ImageFolder does.
      return await readTinyImageNet(datadir, {
        decodedCache: opts.decodedCache,
        workers: opts.workers,
        onNote: opts.onNote,
      });
    case "fashion_subset":
      return await readFashionMnist([SUBSET_DIR], {
        expect: SUBSET_COUNTS,
        what: "embedded Fashion-MNIST subset",
      });
  }
}

/**
 * Reads the dataset called `name` (one of {@link DATASET_NAMES}). Throws a one-line
 * {@link DatasetError} for an unknown name, missing files (naming them and where to get
 * them) and truncated or corrupt files (naming the file and byte offset).
 */
export async function loadDataset(name: string, opts: LoadOptions = {}): Promise<Dataset> {
  if (!isDatasetName(name)) {
    throw new DatasetError(`unknown dataset "${name}"; choose one of ${DATASET_NAMES.join(", ")}`);
  }
  const { train, test, source } = await readFamily(name, opts);
  checkImageSet(train, `${name} train`);
  checkImageSet(test, `${name} test`);
  const recipe = trainRecipe(name, opts.flip);
  return {
    name,
    numClasses: train.numClasses,
    channels: train.channels,
    height: train.height,
    width: train.width,
    mean: recipe.mean,
    std: recipe.std,
    train: { ...train, augment: recipe },
    test: { ...test, augment: normalizeOnly(recipe.mean, recipe.std) },
    source,
  };
}

/**
 * The dataset a run uses when none is named: the seed's default, `CIFAR10_base`, if its
 * files are in `datadir`, and otherwise the embedded `FashionMNIST_subset`, so that a
 * fresh machine trains with no download. A `cifar-10-batches-bin/` that lacks some of its files
 * throws a {@link DatasetError} naming the first missing one instead of falling back silently.
 */
export async function defaultDatasetName(opts: { datadir?: string } = {}): Promise<DatasetName> {
  const dir = join(opts.datadir ?? DEFAULT_DATADIR, CIFAR10_DIR);
  const files = [...CIFAR10_FILES.train, CIFAR10_FILES.test];
  const present: boolean[] = [];
  for (const f of files) present.push(await isFile(join(dir, f)));
  if (present.every(Boolean)) return "CIFAR10_base";
  // Part of a CIFAR-10 layout is a broken download, not a request for the embedded subset.
  if (present.some(Boolean) || (await Deno.stat(dir).catch(() => null))?.isDirectory) {
    const missing = files.filter((_, i) => !present[i]);
    throw new DatasetError(
      `${join(dir, missing[0])}: file not found (${missing.length} of the ${files.length} CIFAR-10 files ` +
        `are missing from ${dir}; get cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html)`,
    );
  }
  return "FashionMNIST_subset";
}
