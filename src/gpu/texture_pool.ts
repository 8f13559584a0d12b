/**
 * Pooled `rgba32float` 2-D array textures for GEMM operands.
 *
 * Under llvmpipe a `textureLoad` of an rgba32float texel is a vectorised gather, where a
 * storage-buffer load with a per-invocation address is a per-lane scalar loop with a bounds check
 * per component; so the cpu-family GEMM can read an operand through a texture after one packing
 * pass. Textures are pooled by exact size: a GEMM acquires one while recording and releases it
 * right after, and WebGPU orders the next pack (a storage write) after the GEMM that read it.
 *
 * @module
 */

/** Usage of every pooled texture: written by the pack pass, read by the GEMM. */
export const TEXTURE_USAGE = GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING;

/** A pooled texture and its 2-D-array view (created once). */
export interface PooledTexture {
  /** The pooled texture. */
  texture: GPUTexture;
  /** A view of it. */
  view: GPUTextureView;
  /** Bytes of texel storage (4 floats per texel). */
  bytes: number;
}

/** See the module documentation. */
export class TexturePool {
  #free = new Map<string, PooledTexture[]>();
  #bytes = 0;

  /**
   * An empty pool.
   * @param device the device textures are created on
   */
  constructor(private readonly device: GPUDevice) {}

  /** Bytes held by every texture the pool has created (in use or free). */
  get bytes(): number {
    return this.#bytes;
  }

  /** A texture of `width` x `height` texels and `layers` layers, reused when one is free. */
  acquire(width: number, height: number, layers: number): PooledTexture {
    const key = `${width}x${height}x${layers}`;
    const hit = this.#free.get(key)?.pop();
    if (hit) return hit;
    const texture = this.device.createTexture({
      size: [width, height, layers],
      format: "rgba32float",
      usage: TEXTURE_USAGE,
    });
    const bytes = width * height * layers * 16;
    this.#bytes += bytes;
    return { texture, view: texture.createView({ dimension: "2d-array" }), bytes };
  }

  /** Returns a texture from {@link acquire}. */
  release(t: PooledTexture): void {
    const s = t.texture;
    const key = `${s.width}x${s.height}x${s.depthOrArrayLayers}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, list = []);
    list.push(t);
  }
}
