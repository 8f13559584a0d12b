/**
 * `Conv2d`: 2-D convolution with square kernels, PyTorch's parameter layout (`weight`
 * [out, in, k, k], optional `bias` [out]) and default initialisation.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { conv2d } from "../ops/conv.ts";
import { Module } from "./module.ts";
import type { Parameter } from "./parameter.ts";
import { defaultBias, kaimingUniform } from "./init.ts";

/** Options of {@link Conv2d}; defaults are PyTorch's. */
export interface Conv2dLayerOptions {
  stride?: number;
  padding?: number;
  /** Whether the layer has a bias (default true). */
  bias?: boolean;
}

/** See the module documentation. */
export class Conv2d extends Module {
  /** [out, in, k, k], kaiming_uniform(a = sqrt(5)) by default. */
  readonly weight: Parameter;
  /** [out], or null without bias. */
  readonly bias: Parameter | null;
  /** Stride along height and width. */
  readonly stride: number;
  /** Zero padding along height and width. */
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    opts: Conv2dLayerOptions = {},
  ) {
    super();
    this.stride = opts.stride ?? 1;
    this.padding = opts.padding ?? 0;
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.addParameter(
      "weight",
      [outChannels, inChannels, kernelSize, kernelSize],
      kaimingUniform(fanIn),
    );
    this.bias = opts.bias ?? true ? this.addParameter("bias", [outChannels], defaultBias(fanIn)) : null;
  }

  /** Fan-out (out * k * k), the fan of kaiming_normal(mode="fan_out"). */
  get fanOut(): number {
    return this.outChannels * this.kernelSize * this.kernelSize;
  }

  /** Convolves x [N, in, H, W]. */
  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight.value, this.bias?.value ?? null, {
      stride: this.stride,
      padding: this.padding,
    });
  }
}
