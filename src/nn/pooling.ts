/**
 * Pooling layers: `MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d` (output size 1 only: the mean of
 * each plane, [N, C, 1, 1]) and `GlobalAvgPool` (the same, flattened to [N, C]). Stateless.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { adaptiveAvgPool2d1, avgPool2d, globalAvgPool, maxPool2d, type Pool2dOptions } from "../ops/pool.ts";
import { Module } from "./module.ts";

/** Pooling options besides the kernel size; the stride defaults to the kernel size. */
export type PoolLayerOptions = Omit<Pool2dOptions, "kernel">;

/** PyTorch's `nn.MaxPool2d` (dilation 1). */
export class MaxPool2d extends Module {
  constructor(readonly kernelSize: number, readonly opts: PoolLayerOptions = {}) {
    super();
  }

  /** Max over each window. */
  forward(x: Tensor): Tensor {
    return maxPool2d(x, { ...this.opts, kernel: this.kernelSize });
  }
}

/** PyTorch's `nn.AvgPool2d`. */
export class AvgPool2d extends Module {
  constructor(readonly kernelSize: number, readonly opts: PoolLayerOptions = {}) {
    super();
  }

  /** Mean over each window. */
  forward(x: Tensor): Tensor {
    return avgPool2d(x, { ...this.opts, kernel: this.kernelSize });
  }
}

/** PyTorch's `nn.AdaptiveAvgPool2d(1)`: [N, C, H, W] to [N, C, 1, 1]. Other output sizes are not supported. */
export class AdaptiveAvgPool2d extends Module {
  constructor(outputSize: number | [number, number] = 1) {
    super();
    const ok = outputSize === 1 || (Array.isArray(outputSize) && outputSize[0] === 1 && outputSize[1] === 1);
    if (!ok) throw new Error(`AdaptiveAvgPool2d: only output size 1 is supported, got ${outputSize}`);
  }

  /** Mean of each plane. */
  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d1(x);
  }
}

/** Global average pooling: [N, C, H, W] to [N, C], whatever H and W (28x28 and 32x32 inputs alike). */
export class GlobalAvgPool extends Module {
  /** Mean of each plane, flattened. */
  forward(x: Tensor): Tensor {
    return globalAvgPool(x);
  }
}
