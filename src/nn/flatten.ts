/**
 * `Flatten`: merges the dimensions from `startDim` on (PyTorch's `nn.Flatten`, default 1). A view.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { flatten } from "../ops/shape_ops.ts";
import { Module } from "./module.ts";

/** See the module documentation. */
export class Flatten extends Module {
  constructor(readonly startDim = 1) {
    super();
  }

  /** x reshaped to [...x.shape[:startDim], -1]. */
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim);
  }
}
