/**
 * A pool of GPU buffers keyed by usage and size bucket.
 *
 * Creating a GPUBuffer costs a driver call and, under llvmpipe, a page-faulting
 * allocation; a training step creates hundreds of temporaries of the same few sizes.
 * Disposed tensors hand their buffer back here, and the next request of the same
 * bucket gets it again, so after the first step no buffer is created at all and
 * memory stays flat. The pool also does the accounting that the training loop
 * reports as "allocated" (in use) and "reserved" (in use + cached) memory.
 *
 * @module
 */

/** Byte counts kept by the pool; peaks are since creation or the last `resetPeaks()`. */
export interface PoolStats {
  /** Bytes in buffers currently handed out. */
  allocatedBytes: number;
  /** Bytes in all buffers the pool owns: handed out plus cached. */
  reservedBytes: number;
  /** Most bytes handed out at once since the last peak reset. */
  peakAllocatedBytes: number;
  /** Most bytes held (handed out or cached) since the last peak reset. */
  peakReservedBytes: number;
  /** Buffers currently handed out. */
  liveBuffers: number;
  /** Buffers cached for reuse. */
  pooledBuffers: number;
  /** GPUBuffers ever created by the pool. */
  buffersCreated: number;
}

/**
 * Rounds a byte size up to its bucket: 256 bytes minimum, then four steps per power of two
 * (1, 1.25, 1.5, 1.75 x 2^k), so at most 25% of a buffer is slack.
 */
export function bucketSize(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    const s = Math.ceil((p * f) / 256) * 256;
    if (s >= bytes) return s;
  }
  return p * 2;
}

/** Buffer pool; see the module documentation. */
export class BufferPool {
  #free = new Map<string, GPUBuffer[]>();
  #stats: PoolStats = {
    allocatedBytes: 0,
    reservedBytes: 0,
    peakAllocatedBytes: 0,
    peakReservedBytes: 0,
    liveBuffers: 0,
    pooledBuffers: 0,
    buffersCreated: 0,
  };

  /**
   * An empty pool.
   * @param device the device buffers are allocated on
   */
  constructor(private readonly device: GPUDevice) {}

  /** A buffer of at least `bytes` bytes with exactly `usage`; its contents are undefined. */
  acquire(bytes: number, usage: GPUBufferUsageFlags): GPUBuffer {
    const size = bucketSize(bytes);
    const key = `${usage}:${size}`;
    const s = this.#stats;
    let buf = this.#free.get(key)?.pop();
    if (buf) {
      s.pooledBuffers--;
    } else {
      buf = this.device.createBuffer({ size, usage });
      s.buffersCreated++;
      s.reservedBytes += size;
      s.peakReservedBytes = Math.max(s.peakReservedBytes, s.reservedBytes);
    }
    s.liveBuffers++;
    s.allocatedBytes += size;
    s.peakAllocatedBytes = Math.max(s.peakAllocatedBytes, s.allocatedBytes);
    return buf;
  }

  /** Returns a buffer obtained from `acquire`; the GPU may still be using it, which is fine
   * because later work that reuses it is ordered after earlier work on the same queue. */
  release(buf: GPUBuffer): void {
    const key = `${buf.usage}:${buf.size}`;
    let list = this.#free.get(key);
    if (!list) this.#free.set(key, list = []);
    list.push(buf);
    this.#stats.liveBuffers--;
    this.#stats.pooledBuffers++;
    this.#stats.allocatedBytes -= buf.size;
  }

  /** Destroys every cached buffer (not the ones handed out) and returns the bytes freed. */
  trim(): number {
    let freed = 0;
    for (const list of this.#free.values()) {
      for (const b of list) {
        freed += b.size;
        b.destroy();
      }
    }
    this.#free.clear();
    this.#stats.reservedBytes -= freed;
    this.#stats.pooledBuffers = 0;
    return freed;
  }

  /** Starts peak tracking afresh from the current levels. */
  resetPeaks(): void {
    this.#stats.peakAllocatedBytes = this.#stats.allocatedBytes;
    this.#stats.peakReservedBytes = this.#stats.reservedBytes;
  }

  /** A copy of the current accounting. */
  stats(): PoolStats {
    return { ...this.#stats };
  }
}
