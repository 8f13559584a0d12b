/**
 * `LayerNorm` over the last axis, PyTorch's `nn.LayerNorm(D, eps)` with its affine `weight` (1)
 * and `bias` (0). PyTorch's default eps is 1e-5; timm's ViT passes 1e-6.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { LAYER_NORM_EPS, layerNorm } from "../ops/layer_norm.ts";
import { Module } from "./module.ts";
import type { Parameter } from "./parameter.ts";
import { ones, zeros } from "./init.ts";

/** See the module documentation. */
export class LayerNorm extends Module {
  /** Scale [D], initialised to 1. */
  readonly weight: Parameter;
  /** Shift [D], initialised to 0. */
  readonly bias: Parameter;

  constructor(readonly normalizedShape: number, readonly eps = LAYER_NORM_EPS) {
    super();
    this.weight = this.addParameter("weight", [normalizedShape], ones);
    this.bias = this.addParameter("bias", [normalizedShape], zeros);
  }

  /** Normalises each row of the last axis of x [..., D]. */
  forward(x: Tensor): Tensor {
    return layerNorm(x, this.weight.value, this.bias.value, this.eps);
  }
}
