/**
 * `ReLU`: max(x, 0). Stateless; a module so that models mirror their PyTorch definitions.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { relu } from "../ops/elementwise.ts";
import { Module } from "./module.ts";

/** See the module documentation. */
export class ReLU extends Module {
  /** max(x, 0). */
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
