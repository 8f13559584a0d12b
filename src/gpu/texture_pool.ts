/**
 * Pooled `rgba32float` 2-D array textures for GEMM operands.
 *
 * Under llvmpipe a `textureLoad` of an rgba32float texel from a read-only storage texture is a
 * vectorised gather (a sampled texture's texel fetch is slower), where a storage-buffer load with
 * a per-invocation address is a per-lane scalar loop with a bounds check per component; so the
 * cpu-family GEMM can read an operand through a texture after one packing pass. A GEMM acquires
 * its textures while recording and releases them right after, and WebGPU orders the next pack
 * into a texture (a copy or a storage write) after the GEMM that read it, so a few textures
 * serve a whole step. A texture at least as large as asked in each dimension serves (the GEMM
 * addresses texels itself and never reads past its operand), the smallest free one first. Past `budget` bytes, free textures are retired, and destroyed at the next submit (a
 * released texture may still be named by recorded, unsubmitted commands).
 *
 * @module
 */

/** Usage of every pooled texture: written by the pack pass (a copy or a compute pass), read by the GEMM. */
export const TEXTURE_USAGE = GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING |
  GPUTextureUsage.COPY_DST;

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
  #free: PooledTexture[] = [];
  #retired: PooledTexture[] = [];
  #bytes = 0;
  #created = 0;

  /**
   * An empty pool.
   * @param device the device textures are created on
   * @param budget bytes of textures (in use or free) past which free ones are retired
   */
  constructor(private readonly device: GPUDevice, public budget = 80 << 20) {}

  /** Bytes held by every texture the pool has created and not retired (in use or free). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Textures created so far (a steady workload stops creating them once its pool has settled). */
  get created(): number {
    return this.#created;
  }

  /** A texture of at least width x height texels and `layers` layers. */
  acquire(width: number, height: number, layers: number): PooledTexture {
    let best = -1;
    this.#free.forEach((t, i) => {
      const s = t.texture;
      if (s.width < width || s.height < height || s.depthOrArrayLayers < layers) return;
      if (best < 0 || t.bytes < this.#free[best].bytes) best = i;
    });
    if (best >= 0) return this.#free.splice(best, 1)[0];
    const bytes = width * height * layers * 16;
    // Retire free textures, largest first, until the new one fits the budget (or none is left).
    this.#free.sort((a, b) => a.bytes - b.bytes);
    while (this.#free.length && this.#bytes + bytes > this.budget) {
      const t = this.#free.pop()!;
      this.#bytes -= t.bytes;
      this.#retired.push(t);
    }
    const texture = this.device.createTexture({
      size: [width, height, layers],
      format: "rgba32float",
      usage: TEXTURE_USAGE,
    });
    this.#bytes += bytes;
    this.#created++;
    return { texture, view: texture.createView({ dimension: "2d-array" }), bytes };
  }

  /** Returns a texture from {@link acquire}. */
  release(t: PooledTexture): void {
    this.#free.push(t);
  }

  /** Destroys the retired textures; called after a submit, when no recorded command names them. */
  collect(): void {
    for (const t of this.#retired) t.texture.destroy();
    this.#retired = [];
  }
}
