/**
 * A split too large to keep on the GPU (Tiny ImageNet's 100,000 64x64 training images are
 * 1.2 GB of uint8, over the four 128 MiB bindings lavapipe allows): the pixels stay on the CPU,
 * and each batch's images are gathered into one buffer and uploaded when the batch is recorded
 * (12 KiB per 64x64 image, one `writeBuffer`). Labels are uploaded once. The augmentation kernel
 * reads such a batch in its `gathered` mode, keying every draw on the dataset index, so a
 * streamed batch equals the resident one.
 *
 * @module
 */
import { type BufferRange, runtime } from "../gpu/runtime.ts";
import type { AugmentSource } from "./augment.ts";
import { checkImageSet, imageBytes, type ImageSet } from "./image_set.ts";
import { DatasetError } from "./errors.ts";

/** See the module documentation. */
export class StreamedImages {
  /** Number of images. */
  readonly count: number;
  /** Channels per image. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Number of classes. */
  readonly numClasses: number;
  /** Labels of the whole split as f32, on the GPU. */
  readonly labels: BufferRange;
  readonly #set: ImageSet;
  #disposed = false;

  /**
   * Streams `set` to the GPU batch by batch.
   * @param set the split, kept on the CPU; batches are gathered from it
   */
  constructor(set: ImageSet) {
    checkImageSet(set, "stream");
    if (set.count === 0) throw new DatasetError("stream: the split has no images");
    this.#set = set;
    this.count = set.count;
    this.channels = set.channels;
    this.height = set.height;
    this.width = set.width;
    this.numClasses = set.numClasses;
    const rt = runtime();
    const labelData = Float32Array.from(set.labels);
    const buffer = rt.alloc(labelData.byteLength);
    rt.write(buffer, 0, labelData);
    this.labels = { buffer, offset: 0, size: labelData.byteLength };
  }

  /**
   * Uploads the images `indices` (dataset indices, in batch order) and returns the kernel's
   * source for them. Hand it to {@link release} once the batch's augmentation is recorded.
   */
  gather(indices: ArrayLike<number>): AugmentSource {
    if (this.#disposed) throw new Error("StreamedImages used after dispose");
    const per = imageBytes(this.#set);
    const bytes = new Uint8Array(Math.ceil((indices.length * per) / 4) * 4);
    for (let b = 0; b < indices.length; b++) {
      const i = indices[b];
      bytes.set(this.#set.images.subarray(i * per, (i + 1) * per), b * per);
    }
    const rt = runtime();
    const buffer = rt.alloc(bytes.length);
    rt.write(buffer, 0, bytes);
    const shard: BufferRange = { buffer, offset: 0, size: bytes.length };
    return {
      channels: this.channels,
      height: this.height,
      width: this.width,
      perShard: indices.length,
      shardBindings: [shard, shard, shard, shard],
      labels: this.labels,
      gathered: true,
    };
  }

  /**
   * Returns a gathered batch's buffer to the pool, once its dispatch is recorded (not before:
   * the batch's own output could otherwise be handed that buffer). Safe while the dispatch is
   * pending, as with the loader's order buffer: whoever reuses the buffer next writes it (which
   * submits the recorded work first) or records work ordered after it.
   */
  release(source: AugmentSource): void {
    runtime().free(source.shardBindings[0].buffer);
  }

  /** True once `dispose()` has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Returns the label buffer to the pool. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    runtime().free(this.labels.buffer);
  }
}
