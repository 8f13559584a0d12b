/**
 * Tiny ImageNet (200 classes of 64x64 RGB JPEGs) in the seed's layout, read as torchvision's
 * `ImageFolder` reads it, decoded by jpeg-js in Deno workers, with an optional decoded cache.
 *
 * Layout under `--datadir`:
 * - `tiny-imagenet-200/train/<wnid>/…/*.JPEG`: one folder per class; the download's
 *   `train/<wnid>/images/*.JPEG` is that layout too (ImageFolder searches each class folder
 *   recursively, and ignores `<wnid>_boxes.txt`).
 * - `tiny-imagenet-200/val/<wnid>/…/*.JPEG`: class folders, as the seed expects. The download's
 *   own `val/` is flat (`val/images/*.JPEG` plus `val/val_annotations.txt`), which ImageFolder
 *   would read as a single class "images"; that layout is recognised and its labels are read
 *   from `val_annotations.txt` instead, and a note says so.
 *
 * Order and labels are ImageFolder's: classes sorted by name (index = position), images by
 * sorted folder path, then sorted file name. The flat validation set is ordered as if arranged
 * into class folders (class, then file name). Images must be 64x64 (the seed does not resize);
 * grayscale JPEGs become RGB as PIL's `convert("RGB")` makes them.
 *
 * The decoded cache (`decodedCache`: a directory) stores each split's decoded pixels and labels
 * under a key of its files' paths, sizes and modification times, so a later run (or epoch of a
 * resumed one) reads 12 KiB per image instead of decoding; a stale or damaged entry is rebuilt.
 *
 * @module
 */
import { join, relative } from "node:path";
import { writeFileAtomic } from "../io/atomic.ts";
import { DatasetError } from "./errors.ts";
import type { ImageSet } from "./image_set.ts";
import { decodeJpegFiles, type DecodeOptions } from "./jpeg_pool.ts";

/** Directory under `--datadir`. */
export const TINY_IMAGENET_DIR = "tiny-imagenet-200";
/** Image side of Tiny ImageNet. */
export const TINY_IMAGENET_SIZE = 64;

/** The expected layout, as error messages state it. */
export const TINY_IMAGENET_LAYOUT: string = `${TINY_IMAGENET_DIR}/train/<wnid>/[images/]*.JPEG and ` +
  `${TINY_IMAGENET_DIR}/val/<wnid>/*.JPEG class folders (or the download's val/images/*.JPEG ` +
  `with val/val_annotations.txt)`;

/** torchvision's IMG_EXTENSIONS: files ImageFolder takes as images (others are skipped). */
const IMAGE_EXTENSIONS = [".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp"];
const JPEG_EXTENSIONS = [".jpg", ".jpeg"];

/** One split as a file list. */
export interface FileSplit {
  /** Paths of the JPEG files. */
  files: string[];
  /** The class index of each file. */
  labels: number[];
}

/** What {@link listTinyImageNet} finds. */
export interface TinyImageNetFiles {
  /** Class folder names (wnids), sorted: index = label. */
  classes: string[];
  /** The training images. */
  train: FileSplit;
  /** The validation images (samwise's test split). */
  val: FileSplit;
  /** The dataset's root directory. */
  root: string;
  /** Remarks about the layout (e.g. that val labels came from val_annotations.txt). */
  notes: string[];
}

const layoutError = (what: string) =>
  new DatasetError(`TinyImageNet: ${what}; expected ${TINY_IMAGENET_LAYOUT} under --datadir`);

async function entries(dir: string): Promise<Deno.DirEntry[]> {
  const out: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e);
  return out;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await entries(dir)) {
    if (e.isDirectory || (e.isSymlink && await isDirectory(join(dir, e.name)))) out.push(e.name);
  }
  return out.sort();
}

const hasExt = (name: string, exts: readonly string[]) => exts.some((x) => name.toLowerCase().endsWith(x));

/** Image files under `dir` in ImageFolder's order: sorted folder paths, then sorted names. */
async function imageFiles(dir: string): Promise<string[]> {
  const folders: [string, string[]][] = [];
  const walk = async (d: string) => {
    const names: string[] = [];
    for (const e of await entries(d)) {
      const p = join(d, e.name);
      if (e.isDirectory || (e.isSymlink && await isDirectory(p))) await walk(p);
      else if (hasExt(e.name, IMAGE_EXTENSIONS)) names.push(e.name);
    }
    folders.push([d, names.sort()]);
  };
  await walk(dir);
  folders.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const files = folders.flatMap(([d, names]) => names.map((n) => join(d, n)));
  const other = files.find((f) => !hasExt(f, JPEG_EXTENSIONS));
  if (other) throw new DatasetError(`TinyImageNet: ${other}: only JPEG images are read`);
  return files;
}

async function classFolders(dir: string, classes: readonly string[]): Promise<FileSplit> {
  const split: FileSplit = { files: [], labels: [] };
  for (let k = 0; k < classes.length; k++) {
    const files = await imageFiles(join(dir, classes[k]));
    if (files.length === 0) throw layoutError(`no JPEG in class folder ${join(dir, classes[k])}/`);
    split.files.push(...files);
    split.labels.push(...files.map(() => k));
  }
  return split;
}

/** The download's flat validation folder, labelled from val_annotations.txt. */
async function flatVal(valDir: string, classes: readonly string[]): Promise<FileSplit> {
  const annotations = join(valDir, "val_annotations.txt");
  let text: string;
  try {
    text = await Deno.readTextFile(annotations);
  } catch {
    throw layoutError(`${valDir}/ is the download's flat folder (images/) but has no val_annotations.txt`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const rows: [number, string][] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const [file, wnid] = line.split("\t");
    const label = index.get(wnid ?? "");
    if (!file || label === undefined) {
      throw new DatasetError(
        `TinyImageNet: ${annotations}: line ${i + 1} ('${line.slice(0, 60)}') does not name an image and ` +
          `one of train/'s ${classes.length} classes`,
      );
    }
    rows.push([label, file]);
  });
  if (rows.length === 0) throw new DatasetError(`TinyImageNet: ${annotations}: no annotations`);
  rows.sort(([la, fa], [lb, fb]) => la - lb || (fa < fb ? -1 : fa > fb ? 1 : 0));
  const files = rows.map(([, f]) => join(valDir, "images", f));
  for (const f of files) {
    try {
      await Deno.stat(f);
    } catch {
      throw new DatasetError(`TinyImageNet: ${f}: listed in ${annotations} but missing`);
    }
  }
  return { files, labels: rows.map(([l]) => l) };
}

/** Finds Tiny ImageNet under `datadir` (see the module documentation); throws one-line errors. */
export async function listTinyImageNet(datadir: string): Promise<TinyImageNetFiles> {
  const root = join(datadir, TINY_IMAGENET_DIR);
  const trainDir = join(root, "train"), valDir = join(root, "val");
  if (!(await isDirectory(root))) throw layoutError(`${root}/ not found`);
  if (!(await isDirectory(trainDir))) throw layoutError(`${trainDir}/ not found`);
  if (!(await isDirectory(valDir))) throw layoutError(`${valDir}/ not found`);
  const classes = await subdirs(trainDir);
  if (classes.length === 0) throw layoutError(`no class folders in ${trainDir}/`);
  if (classes.length > 256) throw new DatasetError(`TinyImageNet: ${classes.length} classes, at most 256`);
  const train = await classFolders(trainDir, classes);
  const valSub = await subdirs(valDir);
  const notes: string[] = [];
  let val: FileSplit;
  if (valSub.includes("images") && !classes.includes("images")) {
    val = await flatVal(valDir, classes);
    notes.push(
      `TinyImageNet: ${valDir}/ is the download's flat folder; its labels are read from val_annotations.txt`,
    );
  } else {
    const missing = classes.find((c) => !valSub.includes(c));
    const extra = valSub.find((c) => !classes.includes(c));
    if (missing || extra) {
      throw layoutError(
        missing
          ? `class folder ${missing} of train/ is missing from ${valDir}/`
          : `${valDir}/${extra} is not a class of train/`,
      );
    }
    val = await classFolders(valDir, classes);
  }
  return { classes, train, val, root, notes };
}

const MAGIC = "samwise-decoded-images-v1\n";

/** The cache key of a split: its files' paths (relative to the root), sizes, times and labels. */
async function cacheKey(root: string, split: FileSplit): Promise<string> {
  const parts: string[] = [];
  for (let i = 0; i < split.files.length; i++) {
    const s = await Deno.stat(split.files[i]);
    parts.push(
      `${relative(root, split.files[i])}\t${s.size}\t${s.mtime?.getTime() ?? 0}\t${split.labels[i]}`,
    );
  }
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\n")));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads a cache entry; null when absent, stale or damaged (it is then rebuilt). */
async function readCache(path: string, key: string, count: number, per: number): Promise<Uint8Array | null> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return null;
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 200));
  const end = head.indexOf("\n", MAGIC.length);
  if (!head.startsWith(MAGIC) || end < 0) return null;
  const meta = (() => {
    try {
      return JSON.parse(head.slice(MAGIC.length, end));
    } catch {
      return null;
    }
  })();
  const start = new TextEncoder().encode(head.slice(0, end + 1)).length;
  if (!meta || meta.key !== key || meta.count !== count || bytes.length !== start + count * per) return null;
  return bytes.subarray(start);
}

/**
 * A cache file's header: magic, then the key and count as one JSON line, padded with spaces
 * to a multiple of 16 bytes so the pixels behind it stay aligned for uploads.
 */
function cacheHeader(key: string, count: number): Uint8Array {
  const line = `${MAGIC}${JSON.stringify({ key, count, channels: 3 })}`;
  return new TextEncoder().encode(line.padEnd(Math.ceil((line.length + 1) / 16) * 16 - 1) + "\n");
}
/** Options of {@link readTinyImageNet}. */
export interface TinyImageNetOptions extends DecodeOptions {
  /** Directory of the decoded cache (created if missing); none when absent. */
  decodedCache?: string;
  /** Called with each note about the layout (default: printed to stderr). */
  onNote?: (note: string) => void;
}

/** How a split was obtained, for benches and tests. */
export interface SplitOrigin {
  /** True when the pixels came from the decoded cache. */
  cached: boolean;
}

async function decodeSplit(
  name: "train" | "val",
  root: string,
  split: FileSplit,
  numClasses: number,
  opts: TinyImageNetOptions,
): Promise<ImageSet & SplitOrigin> {
  const S = TINY_IMAGENET_SIZE, per = 3 * S * S, count = split.files.length;
  const set = (images: Uint8Array, cached: boolean) => ({
    count,
    channels: 3,
    height: S,
    width: S,
    images,
    labels: Uint8Array.from(split.labels),
    numClasses,
    cached,
  });
  let path: string | null = null, key = "";
  if (opts.decodedCache) {
    try {
      await Deno.mkdir(opts.decodedCache, { recursive: true });
    } catch (e) {
      throw new DatasetError(`--decoded_cache ${opts.decodedCache}: cannot create (${(e as Error).message})`);
    }
    key = await cacheKey(root, split);
    path = join(opts.decodedCache, `tiny-imagenet-${name}-${key.slice(0, 16)}.bin`);
    const hit = await readCache(path, key, count, per);
    if (hit) return set(hit, true);
  }
  if (!path) return set(await decodeJpegFiles(split.files, S, S, opts), false);
  // Decode straight behind the header, so writing the cache needs no second copy of the pixels.
  const head = cacheHeader(key, count);
  const file = new Uint8Array(head.length + count * per);
  file.set(head);
  const images = file.subarray(head.length);
  await decodeJpegFiles(split.files, S, S, { ...opts, out: images });
  try {
    await writeFileAtomic(path, file);
  } catch (e) {
    throw new DatasetError(`--decoded_cache ${path}: cannot write (${(e as Error).message})`);
  }
  return set(images, false);
}

/** Train and validation splits of Tiny ImageNet, decoded (or read from the decoded cache). */
export async function readTinyImageNet(
  datadir: string,
  opts: TinyImageNetOptions = {},
): Promise<
  { train: ImageSet & SplitOrigin; test: ImageSet & SplitOrigin; source: string; classes: string[] }
> {
  const found = await listTinyImageNet(datadir);
  for (const n of found.notes) (opts.onNote ?? ((m: string) => console.error(`samwise: ${m}`)))(n);
  const k = found.classes.length;
  const train = await decodeSplit("train", found.root, found.train, k, opts);
  const test = await decodeSplit("val", found.root, found.val, k, opts);
  return { train, test, source: found.root, classes: found.classes };
}
