/**
 * A dataset split resident on the GPU: uint8 pixels packed four per u32, uploaded once.
 *
 * Uploading the whole split once makes a batch cost one dispatch and no per-batch
 * transfer. Pixels stay uint8 (4x smaller than f32): CIFAR-10's training set is 150 MB
 * this way. That still exceeds the 128 MiB a storage binding may have on many adapters
 * (lavapipe included), so the images are cut into up to four "shards" of whole images,
 * each its own buffer and binding.
 *
 * @module
 */
import { type BufferRange, runtime } from "../gpu/runtime.ts";
import { DatasetError } from "./errors.ts";
import { checkImageSet, imageBytes, type ImageSet } from "./image_set.ts";

/** Shard bindings of `shaders/augment.wgsl`. */
export const MAX_SHARDS = 4;

/** Options of {@link GpuImages.upload}. */
export interface UploadOptions {
  /** Cap on one shard's bytes below the adapter's binding limit (tests force several shards). */
  maxShardBytes?: number;
}

/** See the module documentation. Create with {@link GpuImages.upload}; free with `dispose()`. */
export class GpuImages {
  /** Images uploaded. */
  readonly count: number;
  /** Image shape: channels, height, width. */
  readonly channels: number;
  /** Image height in pixels. */
  readonly height: number;
  /** Image width in pixels. */
  readonly width: number;
  /** Classes of the labels. */
  readonly numClasses: number;
  /** Images per shard (the last shard may hold fewer). */
  readonly perShard: number;
  /** One byte range per shard, in order; images `k * perShard ...` live in shard `k`. */
  readonly shards: readonly BufferRange[];
  /** Labels as f32 class indices, one per image. */
  readonly labels: BufferRange;
  #disposed = false;

  private constructor(set: ImageSet, perShard: number, shards: BufferRange[], labels: BufferRange) {
    this.count = set.count;
    this.channels = set.channels;
    this.height = set.height;
    this.width = set.width;
    this.numClasses = set.numClasses;
    this.perShard = perShard;
    this.shards = shards;
    this.labels = labels;
  }

  /** True if {@link upload} can hold `set` (whole images per shard, at most {@link MAX_SHARDS} shards). */
  static fits(set: ImageSet, opts: UploadOptions = {}): boolean {
    const per = imageBytes(set);
    const limit = Math.floor(Math.min(runtime().maxBinding, opts.maxShardBytes ?? Infinity) / 4) * 4;
    const perShard = Math.min(set.count, Math.floor(limit / per));
    return perShard >= 1 && Math.ceil(set.count / perShard) <= MAX_SHARDS;
  }

  /**
   * Uploads `set`'s pixels and labels (one `writeBuffer` per shard, plus one for the
   * labels). Like every upload, this submits any GPU work recorded before it.
   */
  static upload(set: ImageSet, opts: UploadOptions = {}): GpuImages {
    checkImageSet(set, "upload");
    if (set.count === 0) throw new DatasetError("upload: the split has no images");
    const rt = runtime();
    const per = imageBytes(set);
    const limit = Math.floor(Math.min(rt.maxBinding, opts.maxShardBytes ?? Infinity) / 4) * 4;
    const perShard = Math.min(set.count, Math.floor(limit / per));
    if (!GpuImages.fits(set, opts)) {
      throw new DatasetError(
        `upload: ${set.count} images of ${per} bytes do not fit ${MAX_SHARDS} bindings of ${limit} bytes`,
      );
    }
    const shards: BufferRange[] = [];
    for (let first = 0; first < set.count; first += perShard) {
      const n = Math.min(perShard, set.count - first);
      let bytes = set.images.subarray(first * per, (first + n) * per);
      if (bytes.length % 4) {
        // writeBuffer moves whole u32s: pad the shard's tail with zeros.
        const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
        padded.set(bytes);
        bytes = padded;
      }
      const buffer = rt.alloc(bytes.length);
      rt.write(buffer, 0, bytes);
      shards.push({ buffer, offset: 0, size: bytes.length });
    }
    const labelData = Float32Array.from(set.labels);
    const labelBuf = rt.alloc(labelData.byteLength);
    rt.write(labelBuf, 0, labelData);
    return new GpuImages(set, perShard, shards, { buffer: labelBuf, offset: 0, size: labelData.byteLength });
  }

  /** The four shard bindings of the kernel (the last real shard repeated where unused). */
  get shardBindings(): BufferRange[] {
    this.#check();
    const out = [...this.shards];
    while (out.length < MAX_SHARDS) out.push(this.shards[this.shards.length - 1]);
    return out;
  }

  /** True once `dispose()` has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Returns the buffers to the pool. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const rt = runtime();
    for (const s of this.shards) rt.free(s.buffer);
    rt.free(this.labels.buffer);
  }

  #check(): void {
    if (this.#disposed) throw new Error("GpuImages used after dispose");
  }
}
