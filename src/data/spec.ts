/**
 * What the augmentation kernel does to each image, as plain data.
 * @module
 */
import { DatasetError } from "./errors.ts";

/**
 * One augmentation recipe, applied in the seed's (torchvision's) order:
 * 1. random crop back to the image size from the image zero-padded by `pad` pixels per
 *    side (the padding is uint8 0, so after step 3 padded pixels read (0 - mean) / std);
 * 2. horizontal flip with probability `flip`;
 * 3. normalise: (pixel / 255 - mean[c]) / std[c];
 * 4. with probability `cutoutP`, a `cutout` x `cutout` square around a centre drawn
 *    uniformly over the whole image, clipped at the borders, is set to 0 (after
 *    normalisation, as the seed's `Cutout` multiplies the normalised tensor by a mask).
 * The test-time recipe is `pad = 0, flip = 0, cutout = 0`: normalise only.
 */
export interface AugmentSpec {
  /** Per-channel mean, in units of pixel / 255. */
  readonly mean: readonly number[];
  /** Per-channel standard deviation, in units of pixel / 255. */
  readonly std: readonly number[];
  /** Zero padding of the random crop, in pixels per side; 0: no crop. */
  readonly pad: number;
  /** Probability of a horizontal flip; 0: never. */
  readonly flip: number;
  /** Side of the cutout square in pixels; 0: no cutout. */
  readonly cutout: number;
  /** Probability that an image gets the cutout. */
  readonly cutoutP: number;
}

/** The test-time recipe: normalisation only. */
export function normalizeOnly(mean: readonly number[], std: readonly number[]): AugmentSpec {
  return { mean, std, pad: 0, flip: 0, cutout: 0, cutoutP: 0 };
}

/** True if `spec` draws random numbers at all (crop, flip or cutout). */
export function isRandom(spec: AugmentSpec): boolean {
  return spec.pad > 0 || spec.flip > 0 || (spec.cutout > 0 && spec.cutoutP > 0);
}

/** Throws a DatasetError if `spec` cannot apply to `channels`-channel images. */
export function checkSpec(spec: AugmentSpec, channels: number): void {
  const bad = (why: string) => new DatasetError(`augmentation: ${why}`);
  if (channels < 1 || channels > 4) throw bad(`${channels} channels, the kernel handles 1 to 4`);
  if (spec.mean.length !== channels || spec.std.length !== channels) {
    throw bad(`mean/std have ${spec.mean.length}/${spec.std.length} entries for ${channels} channels`);
  }
  if (spec.std.some((s) => !(s > 0))) throw bad(`std must be positive, got [${spec.std}]`);
  if (!Number.isInteger(spec.pad) || spec.pad < 0) {
    throw bad(`pad must be a non-negative integer, got ${spec.pad}`);
  }
  if (!Number.isInteger(spec.cutout) || spec.cutout < 0) {
    throw bad(`cutout must be a non-negative integer, got ${spec.cutout}`);
  }
  for (const [k, p] of [["flip", spec.flip], ["cutoutP", spec.cutoutP]] as const) {
    if (!(p >= 0 && p <= 1)) throw bad(`${k} is a probability, got ${p}`);
  }
}
