/**
 * `Linear`: y = x W^T + b with PyTorch's layout (`weight` [out, in], `bias` [out]) and default
 * initialisation.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { linear } from "../ops/matmul.ts";
import { Module } from "./module.ts";
import type { Parameter } from "./parameter.ts";
import { defaultBias, kaimingUniform } from "./init.ts";

/** See the module documentation. */
export class Linear extends Module {
  /** [out, in], kaiming_uniform(a = sqrt(5)) by default. */
  readonly weight: Parameter;
  /** [out], or null without bias. */
  readonly bias: Parameter | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean } = {}) {
    super();
    this.weight = this.addParameter("weight", [outFeatures, inFeatures], kaimingUniform(inFeatures));
    this.bias = opts.bias ?? true ? this.addParameter("bias", [outFeatures], defaultBias(inFeatures)) : null;
  }

  /** Maps x [batch, in] to [batch, out]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight.value, this.bias?.value);
  }
}
