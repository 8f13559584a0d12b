/**
 * Declarations of a module's state: parameters (trained) and buffers (running statistics).
 *
 * A layer declares its state when it is constructed, with a shape and an initialiser, but no
 * GPU memory: the tensors are created when the root module is materialised, which lays every
 * parameter of the model out in flat buffers (see `flat.ts`) and draws the initial values in a
 * fixed order from one seeded generator. Constructing a model is therefore CPU-only and cheap,
 * which is how parameter counts are computed without a GPU.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import type { Initializer } from "./init.ts";

/** How a state tensor is stored in a checkpoint: f32, or int64 for counters (as PyTorch does). */
export type StateDtype = "F32" | "I64";

/** Shared by parameters and buffers: shape, initialiser, and the tensor once materialised. */
export abstract class Slot {
  /** The GPU tensor, set when the model is materialised. */
  tensor: Tensor | null = null;

  /**
   * A slot not yet materialised.
   * @param shape extents, outermost first
   * @param init draws the initial values
   */
  constructor(
    /** Extents, outermost first. */
    readonly shape: readonly number[],
    /** Draws the initial values; models may replace it before materialisation (custom inits). */
    public init: Initializer,
  ) {}

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The tensor; throws if the model has not been materialised yet. */
  get value(): Tensor {
    if (!this.tensor || this.tensor.isDisposed) {
      throw new Error("module state used before materialize() (or after dispose())");
    }
    return this.tensor;
  }
}

/** A trained tensor; materialised as a view of the model's flat parameter buffer. */
export class Parameter extends Slot {}

/** A non-trained state tensor (e.g. BatchNorm running statistics), kept in its own buffer. */
export class StateBuffer extends Slot {
  /**
   * A buffer not yet materialised.
   * @param shape extents, outermost first
   * @param init draws the initial values
   * @param dtype how it is stored in a checkpoint
   */
  constructor(shape: readonly number[], init: Initializer, readonly dtype: StateDtype = "F32") {
    super(shape, init);
  }
}
