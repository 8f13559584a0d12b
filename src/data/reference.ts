/**
 * The augmentation on the CPU in float64: the specification that `shaders/augment.wgsl`
 * must reproduce (tests compare every pixel), and a readable statement of the maths.
 * @module
 */
import type { ImageSet } from "./image_set.ts";
import { f32, pcg4d, seedU32, STREAM, unit } from "../random/rng.ts";
import type { AugmentSpec } from "./spec.ts";

/** The random choices made for one image in one epoch. */
export interface ImageDraws {
  /** Crop window origin in the padded image, each in [0, 2 * pad]. */
  oy: number;
  /** Crop window origin, column (see `oy`). */
  ox: number;
  /** Whether the image is flipped horizontally. */
  flip: boolean;
  /** Whether the cutout is applied, and its centre (anywhere in the image). */
  cut: boolean;
  /** Cutout centre row. */
  cy: number;
  /** Cutout centre column. */
  cx: number;
}

/** The draws of the image with dataset index `index`, exactly as the kernel makes them. */
export function imageDraws(
  index: number,
  epoch: number,
  seed: number,
  spec: AugmentSpec,
  height: number,
  width: number,
): ImageDraws {
  const s = seedU32(seed);
  const a = pcg4d(index, epoch, s, STREAM.augmentA);
  const b = pcg4d(index, epoch, s, STREAM.augmentB);
  const span = 2 * spec.pad + 1;
  return {
    oy: a[0] % span,
    ox: a[1] % span,
    flip: unit(a[2]) < f32(spec.flip),
    cut: spec.cutout > 0 && unit(a[3]) < f32(spec.cutoutP),
    cy: b[0] % height,
    cx: b[1] % width,
  };
}

/**
 * Augments the images `indices` of `set` (in that order) in float64: returns NCHW pixels
 * and the labels, the same layout as the GPU batch.
 */
export function augmentCpu(
  set: ImageSet,
  indices: ArrayLike<number>,
  spec: AugmentSpec,
  seed: number,
  epoch: number,
): { x: Float64Array; y: Float64Array } {
  const { channels: C, height: H, width: W } = set;
  const n = indices.length;
  const x = new Float64Array(n * C * H * W);
  const y = new Float64Array(n);
  const half = Math.floor(spec.cutout / 2);
  for (let b = 0; b < n; b++) {
    const img = indices[b];
    y[b] = set.labels[img];
    const d = imageDraws(img, epoch, seed, spec, H, W);
    for (let c = 0; c < C; c++) {
      for (let oyy = 0; oyy < H; oyy++) {
        for (let oxx = 0; oxx < W; oxx++) {
          // RandomCrop(pad) on the zero-padded uint8 image, then the flip of the crop.
          const sy = oyy + d.oy - spec.pad;
          const sx = (d.flip ? W - 1 - oxx : oxx) + d.ox - spec.pad;
          const inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          const byte = inside ? set.images[((img * C + c) * H + sy) * W + sx] : 0;
          let v = (byte / 255 - spec.mean[c]) / spec.std[c];
          // Cutout after normalisation, as the seed's: [c - s/2, c + s/2) clipped.
          if (
            d.cut && oyy >= d.cy - half && oyy < d.cy + half && oxx >= d.cx - half && oxx < d.cx + half
          ) v = 0;
          x[((b * C + c) * H + oyy) * W + oxx] = v;
        }
      }
    }
  }
  return { x, y };
}
