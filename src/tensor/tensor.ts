/**
 * The f32 GPU tensor: a shape over a byte range of a reference-counted GPU buffer.
 *
 * Tensors are contiguous and row-major. Several tensors may share one buffer (a reshape,
 * or the per-parameter views of a model's flat parameter buffer); the buffer goes back
 * to the pool when the last of them is disposed.
 *
 * @module
 */
import { type BufferRange, runtime } from "../gpu/runtime.ts";
import { type Disposable, keep, track } from "./scope.ts";
import { checkShape, type Shape, sizeOf } from "./shape.ts";

/** A GPU buffer shared by the tensors that view it; released to the pool at refcount 0. */
export class Storage {
  /** Tensors sharing the buffer; at 0 it goes back to the pool. */
  refs = 1;
  /**
   * A storage over `buffer`, with one reference.
   * @param buffer the GPU buffer
   * @param pooled true if it came from the pool
   */
  constructor(
    readonly buffer: GPUBuffer,
    /** True if the buffer came from the pool and must be returned to it. */
    readonly pooled: boolean,
  ) {}

  /** Allocates a pooled storage of at least `bytes` bytes. */
  static alloc(bytes: number): Storage {
    return new Storage(runtime().alloc(bytes), true);
  }

  /** Adds a tensor sharing the buffer. */
  retain(): void {
    this.refs++;
  }

  /** Drops one; the last returns a pooled buffer to the pool. */
  release(): void {
    if (--this.refs === 0 && this.pooled) runtime().free(this.buffer);
  }
}

/**
 * How a tensor was produced, as the tape (`src/tape`) records it: the op's name (a key of
 * the backward-rule table in `src/autograd/rules.ts`), its inputs and its attributes. Defined
 * here, below the tape, because a tensor carries its node; the tape knows no op.
 */
export interface Node {
  /** The op's name: a key of the backward-rule table. */
  readonly op: string;
  /** The op's inputs, in call order. */
  readonly inputs: Tensor[];
  /** The op's attributes, as its backward rule reads them (typed by `OpAttrs` in src/ops/record.ts). */
  readonly attrs: unknown;
}

/**
 * A write of a tensor's values that its op put off (see {@link Tensor.defer}): `payload` says
 * what the values are (the op's inputs), for a consumer that can compute from them directly and
 * never needs the values written; `run` records the write; `release` frees what `payload` holds.
 */
export interface DeferredWrite {
  /** What the values are, for the consumers that know this kind of payload. */
  readonly payload: unknown;
  /** Records the dispatch that writes the values (called at most once). */
  run(): void;
  /** Frees what the payload holds (after `run`, or when the tensor is disposed unwritten). */
  release(): void;
}

/** WebGPU requires storage binding offsets to be multiples of this many bytes. */
export const OFFSET_ALIGN = 256;

/** An f32 tensor on the GPU. Create with `tensor()`, `zeros()`, ops; read with `data()`. */
export class Tensor implements Disposable {
  /** Extents, outermost first. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** When true, `backward()` computes a gradient for this tensor. */
  requiresGrad = false;
  /** Accumulated gradient (leaf tensors), or null. */
  grad: Tensor | null = null;
  /** The op that produced this tensor, recorded when gradients are being tracked. */
  node: Node | null = null;
  /** Exempt from `tidy` scopes (set by `keep`). */
  kept = false;
  /** Optional name, used in errors and checkpoints. */
  name?: string;
  #disposed = false;
  #storage: Storage;
  #deferred: DeferredWrite | null = null;

  /**
   * Wraps `storage` at byte `offset`, adopting one reference to it (call `storage.retain()`
   * first to keep your own); registers with the current scope.
   */
  constructor(shape: Shape, storage: Storage, readonly offset = 0) {
    this.#storage = storage;
    if (offset % OFFSET_ALIGN) {
      throw new Error(`tensor offset ${offset} is not a multiple of ${OFFSET_ALIGN}`);
    }
    this.shape = Object.freeze(checkShape(shape));
    this.size = sizeOf(shape);
    if (offset + this.size * 4 > storage.buffer.size) {
      throw new Error(`tensor [${shape}] at byte ${offset} overruns its ${storage.buffer.size}-byte buffer`);
    }
    track(this);
  }

  /** A new tensor of `shape` with uninitialised contents from the pool. */
  static empty(shape: Shape): Tensor {
    const st = Storage.alloc(sizeOf(shape) * 4);
    const t = new Tensor(shape, st);
    return t;
  }

  /** A view of the same storage with another shape of equal size (no copy, no autograd). */
  view(shape: Shape): Tensor {
    this.#check();
    if (sizeOf(shape) !== this.size) throw new Error(`cannot view [${this.shape}] as [${shape}]`);
    this.storage.retain();
    return new Tensor(shape, this.storage, this.offset);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * The storage holding the values. Any use of it (a binding, a view, a read, a write) first
   * records a deferred write, if one is pending ({@link defer}).
   */
  get storage(): Storage {
    this.#flush();
    return this.#storage;
  }

  /**
   * Puts off writing this tensor's values: `write.run()` is recorded at the first use of its
   * storage, unless the tensor is disposed before (then only `write.release()` runs). A consumer
   * that knows `write.payload` may compute from it and never have the values written: batch
   * norm + ReLU feeding a Winograd convolution, whose input transform applies them as it loads
   * (src/ops/batch_norm.ts). Dispatches run in the order recorded, so a write recorded late
   * reads its inputs as they were, provided nothing writes them in place meanwhile.
   */
  defer(write: DeferredWrite): void {
    this.#check();
    this.#flush();
    this.#deferred = write;
  }

  /** The payload of the pending deferred write, or null (see {@link defer}); records nothing. */
  get deferredPayload(): unknown {
    return this.#deferred?.payload ?? null;
  }

  #flush(): void {
    const d = this.#deferred;
    if (!d) return;
    this.#deferred = null;
    d.run();
    d.release();
  }

  /** The byte range to bind in a kernel. */
  get range(): BufferRange {
    this.#check();
    return { buffer: this.storage.buffer, offset: this.offset, size: Math.max(4, this.size * 4) };
  }

  /** True once `dispose()` has run. */
  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** Reads the values back to the CPU (one readback: avoid in hot loops). */
  async data(): Promise<Float32Array> {
    this.#check();
    const bytes = await runtime().read(this.storage.buffer, this.offset, this.size * 4);
    return new Float32Array(bytes);
  }

  /** Reads a one-element tensor back as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a one-element tensor, got shape [${this.shape}]`);
    return (await this.data())[0];
  }

  /** Marks this tensor as exempt from `tidy` scopes; returns it. */
  keep(): this {
    return keep(this);
  }

  /** Releases this tensor's reference to its buffer (and its gradient). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.node = null;
    this.#deferred?.release();
    this.#deferred = null;
    this.#storage.release();
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  #check(): void {
    if (this.#disposed) {
      throw new Error(`tensor${this.name ? ` ${this.name}` : ""} [${this.shape}] used after dispose`);
    }
  }

  /** Its shape and whether it requires grad, for debugging (no GPU read). */
  toString(): string {
    return `Tensor[${this.shape.join(", ")}]${this.requiresGrad ? " (requires grad)" : ""}`;
  }
}
