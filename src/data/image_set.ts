/**
 * The in-memory form of one split of a dataset, as every reader returns it.
 * @module
 */
import { DatasetError } from "./errors.ts";

/**
 * `count` uint8 images of `channels` x `height` x `width`, with a class label each.
 * Pixels are image-major, then channel planes (CHW), then rows: the byte of image `i`,
 * channel `c`, row `y`, column `x` is `images[((i * C + c) * H + y) * W + x]`. This is
 * CIFAR's on-disk order and the NCHW order of the tensors the loader produces.
 */
export interface ImageSet {
  /** Number of images. */
  readonly count: number;
  /** Channels per image. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** `count * channels * height * width` bytes. */
  readonly images: Uint8Array;
  /** `count` class indices in [0, numClasses). */
  readonly labels: Uint8Array;
  /** Number of classes labels are drawn from. */
  readonly numClasses: number;
}

/** Bytes of one image of `set`. */
export function imageBytes(set: Pick<ImageSet, "channels" | "height" | "width">): number {
  return set.channels * set.height * set.width;
}

/** Images per class of `set` (index = class). */
export function classCounts(set: ImageSet): number[] {
  const counts = new Array<number>(set.numClasses).fill(0);
  for (const l of set.labels) counts[l]++;
  return counts;
}

/** Throws unless `set`'s arrays match its declared sizes (a guard for hand-made sets). */
export function checkImageSet(set: ImageSet, what: string): void {
  const want = set.count * imageBytes(set);
  if (set.images.length !== want || set.labels.length !== set.count) {
    throw new DatasetError(
      `${what}: ${set.images.length} pixel bytes and ${set.labels.length} labels for ${set.count} images ` +
        `of ${set.channels}x${set.height}x${set.width} (expected ${want} and ${set.count})`,
    );
  }
  for (let i = 0; i < set.count; i++) {
    if (set.labels[i] >= set.numClasses) {
      throw new DatasetError(`${what}: label ${set.labels[i]} of image ${i} is not below ${set.numClasses}`);
    }
  }
}

/** Concatenates sets of the same image shape (CIFAR-10's five training batches). */
export function concatImageSets(sets: readonly ImageSet[]): ImageSet {
  const first = sets[0];
  const count = sets.reduce((n, s) => n + s.count, 0);
  const images = new Uint8Array(count * imageBytes(first));
  const labels = new Uint8Array(count);
  let at = 0;
  for (const s of sets) {
    images.set(s.images, at * imageBytes(first));
    labels.set(s.labels, at);
    at += s.count;
  }
  return { ...first, count, images, labels };
}
