/**
 * Per-kernel GPU time from timestamp queries.
 *
 * When profiling is on, the runtime gives every dispatch its own compute pass with
 * timestamps at its start and end, so the time of each kernel can be attributed by name.
 * That changes how work is batched (one pass per dispatch), so profile to learn where time
 * goes, and time end to end without it.
 *
 * @module
 */

/** Accumulated time of one kernel name. */
export interface KernelTime {
  /** The kernel's name. */
  name: string;
  /** Dispatches measured. */
  calls: number;
  /** Total GPU time of those dispatches, in milliseconds. */
  ms: number;
}

/** Collects timestamp pairs per submit and aggregates them by kernel name. */
export class KernelProfiler {
  readonly capacity: number;
  readonly querySet: GPUQuerySet;
  #pending: Promise<void>[] = [];
  #totals = new Map<string, KernelTime>();

  constructor(private readonly device: GPUDevice, capacity = 2048) {
    this.capacity = capacity;
    this.querySet = device.createQuerySet({ type: "timestamp", count: capacity * 2 });
  }

  /** Timestamp writes for the i-th dispatch of a submit. */
  passDescriptor(i: number): GPUComputePassDescriptor {
    return {
      timestampWrites: {
        querySet: this.querySet,
        beginningOfPassWriteIndex: 2 * i,
        endOfPassWriteIndex: 2 * i + 1,
      },
    };
  }

  /** Appends the resolve of `names.length` pairs to `enc`; the readback completes after submit. */
  resolve(enc: GPUCommandEncoder, names: string[]): () => void {
    const n = names.length * 2;
    if (!n) return () => {};
    const resolveBuf = this.device.createBuffer({
      size: n * 8,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const staging = this.device.createBuffer({
      size: n * 8,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    enc.resolveQuerySet(this.querySet, 0, n, resolveBuf, 0);
    enc.copyBufferToBuffer(resolveBuf, 0, staging, 0, n * 8);
    return () => {
      this.#pending.push(
        staging.mapAsync(GPUMapMode.READ).then(() => {
          const t = new BigUint64Array(staging.getMappedRange());
          names.forEach((name, i) => {
            const ns = Number(t[2 * i + 1] - t[2 * i]);
            const row = this.#totals.get(name) ?? { name, calls: 0, ms: 0 };
            row.calls++;
            row.ms += ns / 1e6;
            this.#totals.set(name, row);
          });
          staging.unmap();
          staging.destroy();
          resolveBuf.destroy();
        }),
      );
    };
  }

  /** Waits for outstanding readbacks; returns kernel times, largest first. */
  async report(): Promise<KernelTime[]> {
    await Promise.all(this.#pending);
    this.#pending = [];
    return [...this.#totals.values()].sort((a, b) => b.ms - a.ms);
  }

  /** Forgets accumulated times. */
  reset(): void {
    this.#totals.clear();
  }
}
