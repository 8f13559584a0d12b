/**
 * `GELU`: x * Phi(x) in its exact erf form (PyTorch's `nn.GELU()` default, as timm's MLPs use).
 * Stateless; a module so that models mirror their PyTorch definitions.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { gelu } from "../ops/gelu.ts";
import { Module } from "./module.ts";

/** See the module documentation. */
export class GELU extends Module {
  /** 0.5 x (1 + erf(x / sqrt 2)). */
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}
