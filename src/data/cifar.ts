/**
 * Readers of the CIFAR-10 and CIFAR-100 "binary version" files.
 *
 * Each file is a sequence of fixed-size records: the label byte(s), then 3072 pixel
 * bytes (1024 red, 1024 green, 1024 blue, rows top to bottom), i.e. one 3x32x32 CHW
 * image. CIFAR-10 records have one label byte; CIFAR-100 records have the coarse (20
 * classes) then the fine (100 classes) label, and we train on the fine one, as
 * torchvision's CIFAR100 does.
 *
 * @module
 */
import { join } from "node:path";
import { DatasetError } from "./errors.ts";
import { isFile, readMaybeGzip } from "./files.ts";
import { concatImageSets, type ImageSet } from "./image_set.ts";

/** Layout of one kind of CIFAR record. */
export interface CifarFormat {
  /** Label bytes before the pixels. */
  labelBytes: number;
  /** Which label byte is the class (CIFAR-100: 1, the fine label). */
  labelAt: number;
  /** Classes of the label used; larger bytes are corruption. */
  numClasses: number;
  /** Classes of each label byte, for range checks of the ones not used. */
  labelRanges: readonly number[];
}

/** CIFAR-10: one label byte in 0..9. */
export const CIFAR10_FORMAT: CifarFormat = { labelBytes: 1, labelAt: 0, numClasses: 10, labelRanges: [10] };
/** CIFAR-100: coarse label (0..19), fine label (0..99); the fine one is the class. */
export const CIFAR100_FORMAT: CifarFormat = {
  labelBytes: 2,
  labelAt: 1,
  numClasses: 100,
  labelRanges: [20, 100],
};

const PIXELS = 3 * 32 * 32;

/**
 * Parses the bytes of one CIFAR file. `expect` (records) is checked when given: the
 * standard files have a known count, so a file cut at a record boundary is still caught.
 * Errors name `file` and the byte offset of the bad record.
 */
export function parseCifar(bytes: Uint8Array, format: CifarFormat, file: string, expect?: number): ImageSet {
  const rec = format.labelBytes + PIXELS;
  const count = Math.floor(bytes.length / rec);
  if (bytes.length % rec) {
    throw new DatasetError(
      `${file}: truncated at byte ${bytes.length}: record ${count} (from byte ${
        count * rec
      }) is incomplete, ` +
        `records are ${rec} bytes`,
    );
  }
  if (count === 0) throw new DatasetError(`${file}: empty (0 bytes), expected ${rec}-byte records`);
  if (expect !== undefined && count !== expect) {
    throw new DatasetError(
      `${file}: ${count} records (${bytes.length} bytes), expected ${expect}` +
        (count < expect ? `: truncated at byte ${bytes.length} of ${expect * rec}` : ""),
    );
  }
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const at = i * rec;
    for (let k = 0; k < format.labelBytes; k++) {
      if (bytes[at + k] >= format.labelRanges[k]) {
        throw new DatasetError(
          `${file}: corrupt record ${i}: label byte ${bytes[at + k]} at byte ${at + k} is not below ` +
            `${format.labelRanges[k]}`,
        );
      }
    }
    labels[i] = bytes[at + format.labelAt];
    images.set(bytes.subarray(at + format.labelBytes, at + rec), i * PIXELS);
  }
  return { count, channels: 3, height: 32, width: 32, images, labels, numClasses: format.numClasses };
}

/** Options of the CIFAR readers. */
export interface CifarReadOptions {
  /** Require the standard record counts (default true; tests use small files). */
  checkCounts?: boolean;
}

/** Train and test sets of one dataset. */
export interface TrainTest {
  /** The training split. */
  train: ImageSet;
  /** The test split. */
  test: ImageSet;
  /** Directory the files were read from. */
  source: string;
}

async function requireFiles(dir: string, files: readonly string[], what: string, hint: string) {
  const missing: string[] = [];
  for (const f of files) if (!(await isFile(join(dir, f)))) missing.push(f);
  if (missing.length) {
    throw new DatasetError(`${what}: missing ${missing.join(", ")} in ${dir}/ (${hint})`);
  }
}

/** Directory under `--datadir` of the CIFAR-10 binary version. */
export const CIFAR10_DIR = "cifar-10-batches-bin";
/** Files of the CIFAR-10 binary version: five training batches and the test batch. */
export const CIFAR10_FILES = {
  train: ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
  test: "test_batch.bin",
} as const;
/** Directory under `--datadir` of the CIFAR-100 binary version. */
export const CIFAR100_DIR = "cifar-100-binary";
/** Files of the CIFAR-100 binary version. */
export const CIFAR100_FILES = { train: "train.bin", test: "test.bin" } as const;

/** Reads CIFAR-10 from `datadir/cifar-10-batches-bin/` (50,000 train, 10,000 test images). */
export async function readCifar10(datadir: string, opts: CifarReadOptions = {}): Promise<TrainTest> {
  const dir = join(datadir, CIFAR10_DIR);
  await requireFiles(
    dir,
    [...CIFAR10_FILES.train, CIFAR10_FILES.test],
    "CIFAR-10",
    "expected data_batch_1..5.bin and test_batch.bin: download the binary version, " +
      "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz, and extract it into --datadir",
  );
  const expect = opts.checkCounts === false ? undefined : 10000;
  const read = async (f: string) =>
    parseCifar(await readMaybeGzip(join(dir, f)), CIFAR10_FORMAT, join(dir, f), expect);
  const parts = [];
  for (const f of CIFAR10_FILES.train) parts.push(await read(f));
  return { train: concatImageSets(parts), test: await read(CIFAR10_FILES.test), source: dir };
}

/** Reads CIFAR-100 (fine labels) from `datadir/cifar-100-binary/` (50,000 train, 10,000 test). */
export async function readCifar100(datadir: string, opts: CifarReadOptions = {}): Promise<TrainTest> {
  const dir = join(datadir, CIFAR100_DIR);
  await requireFiles(
    dir,
    [CIFAR100_FILES.train, CIFAR100_FILES.test],
    "CIFAR-100",
    "expected train.bin and test.bin: download the binary version, " +
      "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz, and extract it into --datadir",
  );
  const check = opts.checkCounts !== false;
  const read = async (f: string, n: number) =>
    parseCifar(await readMaybeGzip(join(dir, f)), CIFAR100_FORMAT, join(dir, f), check ? n : undefined);
  return {
    train: await read(CIFAR100_FILES.train, 50000),
    test: await read(CIFAR100_FILES.test, 10000),
    source: dir,
  };
}
