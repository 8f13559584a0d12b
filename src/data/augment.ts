/**
 * Records the augmentation of one batch on the GPU: one dispatch of
 * `shaders/augment.wgsl` that writes both the images and the labels.
 * @module
 */
import augmentSrc from "../../shaders/augment.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import type { BufferRange } from "../gpu/runtime.ts";
import { grid, launch } from "../ops/launch.ts";
import { Tensor } from "../tensor/tensor.ts";
import { DatasetError } from "./errors.ts";
import type { GpuImages } from "./gpu_images.ts";

/**
 * Where a batch's pixels come from: a split resident on the GPU, or (`gathered`) one buffer
 * holding only this batch's images in batch order, for splits streamed batch by batch.
 */
export type AugmentSource =
  & Pick<GpuImages, "channels" | "height" | "width" | "perShard" | "shardBindings" | "labels">
  & { gathered?: boolean };
import { seedU32 } from "../random/rng.ts";
import { type AugmentSpec, checkSpec } from "./spec.ts";

/** What {@link augmentBatch} augments. */
export interface AugmentArgs {
  /** The split, resident on the GPU, or this batch's images gathered (see {@link AugmentSource}). */
  images: AugmentSource;
  /** u32 dataset indices (e.g. the epoch's shuffled order); the batch is `order[start .. start + count)`. */
  order: BufferRange;
  /** First position in `order` of this batch. */
  start: number;
  /** Images in this batch. */
  count: number;
  /** Crop, flip, cutout and normalisation settings. */
  spec: AugmentSpec;
  /** Run seed; with `epoch` and each image's dataset index it keys every random draw. */
  seed: number;
  /** The epoch (0-based); part of the key of every random draw. */
  epoch: number;
}

/** One batch: NCHW images and f32 class indices. */
export interface AugmentedBatch {
  /** `[count, C, H, W]` normalised (and, for a random spec, augmented) images. */
  x: Tensor;
  /** `[count]` class indices as f32. */
  y: Tensor;
}

/**
 * Records (does not submit) one dispatch producing a batch. The image with dataset index
 * `i` gets the same crop, flip and cutout whenever it is augmented with the same
 * (seed, epoch), whatever its batch or position: see `augmentCpu` for the exact maths.
 */
export function augmentBatch(a: AugmentArgs): AugmentedBatch {
  const { images, spec } = a;
  checkSpec(spec, images.channels);
  const orderLen = Math.floor(a.order.size / 4);
  if (!Number.isInteger(a.start) || !Number.isInteger(a.count) || a.start < 0 || a.count < 1) {
    throw new DatasetError(`augment: bad batch range start=${a.start} count=${a.count}`);
  }
  if (a.start + a.count > orderLen) {
    throw new DatasetError(
      `augment: batch [${a.start}, ${a.start + a.count}) overruns the ${orderLen}-entry order`,
    );
  }
  if (!Number.isInteger(a.epoch) || a.epoch < 0) throw new DatasetError(`augment: bad epoch ${a.epoch}`);
  const { channels: C, height: H, width: W } = images;
  const x = Tensor.empty([a.count, C, H, W]);
  const y = Tensor.empty([a.count]);
  const vec4 = (v: readonly number[]) => [0, 1, 2, 3].map((i) => v[i] ?? 0);
  const params = new Params()
    .u32(a.count, a.start, images.perShard, C, H, W, spec.pad, spec.cutout, seedU32(a.seed), a.epoch >>> 0)
    .f32(spec.flip, spec.cutoutP) // byte 48 follows: mean is a 16-byte-aligned vec4
    .f32(...vec4(spec.mean))
    .f32(...vec4(spec.std.map((s, i) => i < C ? s : 1)))
    .u32(images.gathered ? 1 : 0)
    .bytes();
  launch(
    "data.augment",
    augmentSrc,
    {},
    [...images.shardBindings, images.labels, a.order, x, y],
    params,
    grid(a.count * H * W),
  );
  return { x, y };
}
