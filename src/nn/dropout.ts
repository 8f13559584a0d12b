/**
 * `Dropout`: zeroes elements with probability p in training (scaling the rest by 1/(1-p)), the
 * identity in eval mode. Each layer gets its own seed when the model is materialised (derived
 * from the model seed and the layer's position) and a call counter as the salt, so every forward
 * pass draws a fresh mask while a run stays reproducible; backward reuses the forward's mask.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { dropout } from "../ops/dropout.ts";
import { Module } from "./module.ts";

/** See the module documentation. */
export class Dropout extends Module {
  /** Seed of this layer's masks (set by materialize()). */
  seed = 0;
  /** Forward passes in training mode so far: the salt of the next mask. */
  calls = 0;

  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability ${p} is not in [0, 1]`);
  }

  protected override onMaterialize(seed: number): void {
    this.seed = seed;
    this.calls = 0;
  }

  /** Applies a fresh mask in training mode; returns x in eval mode. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return dropout(x, this.p, { training: true, seed: this.seed, salt: this.calls++ });
  }
}
