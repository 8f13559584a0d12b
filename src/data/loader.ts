/**
 * The batch loader: per-epoch seeded shuffle, GPU augmentation, one batch prepared ahead.
 *
 * "Prepared ahead" here means recorded ahead. GPU work in samwise is recorded and
 * submitted in one command buffer when the CPU next needs data (see `src/gpu/runtime.ts`),
 * so there is no second queue to overlap with. What the loader can do, and does, is
 * keep the data pipeline off the step's critical path: the epoch's order is uploaded once
 * when the epoch starts (the only transfer; `write` submits what was recorded before it),
 * and the augment dispatch of batch i + 1 is recorded *before* batch i is yielded. The
 * trainer's step on batch i is recorded after it, so both go out in the same submit, and
 * when the trainer reads its loss the next batch is already in GPU memory: the loop never
 * waits on the data pipeline and never pays a submit for it.
 *
 * @module
 */
import { type BufferRange, runtime } from "../gpu/runtime.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { augmentBatch } from "./augment.ts";
import { DatasetError } from "./errors.ts";
import { GpuImages } from "./gpu_images.ts";
import { imageBytes } from "./image_set.ts";
import { StreamedImages } from "./streamed_images.ts";
import type { ImageSet } from "./image_set.ts";
import { permutation } from "../random/rng.ts";
import { type AugmentSpec, checkSpec, normalizeOnly } from "./spec.ts";

/** Options of a {@link Loader}. */
export interface LoaderOptions {
  /** Images per batch. */
  batchSize: number;
  /**
   * Training mode: shuffles every epoch, drops the last partial batch, and applies the
   * split's augmentation recipe. Otherwise: dataset order, every image (the last batch
   * may be partial), normalisation only.
   */
  train: boolean;
  /** Run seed (any integer, folded to u32); keys the shuffle and all augmentation draws. Default 0. */
  seed?: number;
  /**
   * Augmentation to apply. Default: the split's `augment` recipe in training and its
   * normalisation only in evaluation. Required when the split carries no recipe.
   */
  augment?: AugmentSpec;
  /** Drop the last partial batch (default: `train`, as the seed's `drop_last=True`). */
  dropLast?: boolean;
  /** Shuffle every epoch (default: `train`). */
  shuffle?: boolean;
  /**
   * Most pixel bytes kept resident on the GPU (default: no cap besides what the augmentation
   * kernel's four shard bindings hold). A split past either is streamed: each batch's images are
   * uploaded when the batch is recorded (`streamed_images.ts`), the batches the same as resident.
   */
  maxResidentBytes?: number;
}

/** One batch of a {@link Loader} epoch. */
export interface Batch {
  /** `[size, C, H, W]` f32 images. */
  x: Tensor;
  /** `[size]` class indices as f32. */
  y: Tensor;
  /** Images in this batch (`batchSize`, or fewer for a last partial batch). */
  size: number;
  /** Position of this batch in the epoch, from 0. */
  index: number;
}

/**
 * What a loader can be built from: a split in memory (uploaded or streamed by the loader), or
 * one already on the GPU or streamed (which stays the caller's).
 */
export type LoaderSource = (ImageSet & { augment?: AugmentSpec }) | GpuImages | StreamedImages;

/**
 * Iterates a split in batches; see the module documentation.
 *
 * Tensor ownership: the loader owns the tensors it yields. A batch's `x` and `y` stay
 * valid until the consumer asks for the next batch (or leaves the loop), when the loader
 * disposes them; so a training loop needs no disposal of its own. Copy a batch to keep it
 * longer. (The tensors are `keep`-ed, so a `tidy` scope around the step leaves them alone.)
 */
export class Loader {
  /** The split on the GPU, or streamed to it batch by batch when it is too large. */
  readonly images: GpuImages | StreamedImages;
  /** Images per batch. */
  readonly batchSize: number;
  /** Training mode (see {@link LoaderOptions.train}). */
  readonly train: boolean;
  /** The run seed. */
  readonly seed: number;
  /** The augmentation every batch gets. */
  readonly augment: AugmentSpec;
  /** Whether the last partial batch is dropped. */
  readonly dropLast: boolean;
  /** Whether each epoch is shuffled. */
  readonly shuffle: boolean;
  #owned: boolean;

  /** Uploads `split` once, or streams it when too large; a given GpuImages / StreamedImages stays the caller's. */
  constructor(split: LoaderSource, opts: LoaderOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new DatasetError(`loader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    const recipe = opts.augment ?? ("augment" in split && split.augment ? split.augment : null);
    if (!recipe) throw new DatasetError("loader: no augmentation given and the split carries no recipe");
    this.augment = opts.augment ?? (opts.train ? recipe : normalizeOnly(recipe.mean, recipe.std));
    checkSpec(this.augment, split.channels);
    this.batchSize = opts.batchSize;
    this.train = opts.train;
    this.seed = opts.seed ?? 0;
    this.dropLast = opts.dropLast ?? opts.train;
    this.shuffle = opts.shuffle ?? opts.train;
    this.#owned = !(split instanceof GpuImages || split instanceof StreamedImages);
    if (split instanceof GpuImages || split instanceof StreamedImages) this.images = split;
    else {
      const resident = GpuImages.fits(split) &&
        split.count * imageBytes(split) <= (opts.maxResidentBytes ?? Infinity);
      this.images = resident ? GpuImages.upload(split) : new StreamedImages(split);
    }
  }

  /** Images in the split. */
  get count(): number {
    return this.images.count;
  }

  /** Batches one epoch yields. */
  get batchesPerEpoch(): number {
    const n = this.images.count / this.batchSize;
    return this.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The dataset indices in the order epoch `epoch` visits them (all of them, before drop_last). */
  order(epoch: number): Uint32Array {
    if (!this.shuffle) return Uint32Array.from({ length: this.images.count }, (_, i) => i);
    return permutation(this.images.count, this.seed, epoch);
  }

  /**
   * The batches of epoch `epoch` (0-based; it keys the shuffle and the augmentation).
   * Run one epoch at a time per loader or several: each has its own order buffer.
   * `startBatch` skips the first batches (resuming mid-epoch): the order and every
   * augmentation draw depend only on (seed, epoch, image), so the rest is as it would have been.
   */
  async *epoch(epoch: number, startBatch = 0): AsyncGenerator<Batch, void, undefined> {
    if (!Number.isInteger(epoch) || epoch < 0) throw new DatasetError(`loader: bad epoch ${epoch}`);
    if (!Number.isInteger(startBatch) || startBatch < 0) {
      throw new DatasetError(`loader: bad start batch ${startBatch}`);
    }
    const rt = runtime();
    const order = this.order(epoch);
    const buffer = rt.alloc(order.byteLength);
    rt.write(buffer, 0, order);
    const range: BufferRange = { buffer, offset: 0, size: order.byteLength };
    const nb = this.batchesPerEpoch;
    let current: Batch | null = null;
    let next: Batch | null = startBatch < nb ? this.#record(range, order, startBatch, epoch) : null;
    try {
      for (let i = startBatch; i < nb; i++) {
        current = next;
        // Record batch i + 1 before handing out batch i: it joins the step's submit.
        next = i + 1 < nb ? this.#record(range, order, i + 1, epoch) : null;
        yield current!;
        release(current);
        current = null;
      }
    } finally {
      release(current);
      release(next);
      // Safe while recorded dispatches still read it: whoever reuses the buffer next either
      // writes it (which submits pending work first) or records work ordered after ours.
      rt.free(buffer);
    }
  }

  /** Frees the uploaded split, if this loader uploaded it. */
  dispose(): void {
    if (this.#owned) this.images.dispose();
  }

  #record(order: BufferRange, cpuOrder: Uint32Array, index: number, epoch: number): Batch {
    const start = index * this.batchSize;
    const size = Math.min(this.batchSize, this.images.count - start);
    const streamed = this.images instanceof StreamedImages ? this.images : null;
    const source = streamed
      ? streamed.gather(cpuOrder.subarray(start, start + size))
      : this.images as GpuImages;
    const { x, y } = augmentBatch({
      images: source,
      order,
      start,
      count: size,
      spec: this.augment,
      seed: this.seed,
      epoch,
    });
    streamed?.release(source);
    return { x: x.keep(), y: y.keep(), size, index };
  }
}

function release(b: Batch | null): void {
  b?.x.dispose();
  b?.y.dispose();
}
