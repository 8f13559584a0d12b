/**
 * `BatchNorm2d`: PyTorch's layer with affine `weight` (1) and `bias` (0) and the buffers
 * `running_mean` (0), `running_var` (1) and `num_batches_tracked` (0, an int64 in checkpoints,
 * an f32 on the GPU, exact up to 2^24 batches). Training mode normalises with batch statistics
 * and moves the running ones in place on the GPU unless the forward options say
 * `updateStats: false`; eval mode uses the running statistics.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { batchNorm2d } from "../ops/batch_norm.ts";
import { type ForwardOptions, Module } from "./module.ts";
import type { Parameter, StateBuffer } from "./parameter.ts";
import { ones, zeros } from "./init.ts";

/** See the module documentation. */
export class BatchNorm2d extends Module {
  /** Affine scale [C] (`weight`), initialised to 1. */
  readonly weight: Parameter;
  /** Affine shift [C] (`bias`), initialised to 0. */
  readonly bias: Parameter;
  /** `running_mean` [C], moved in place on the GPU in training. */
  readonly runningMean: StateBuffer;
  /** `running_var` [C] (unbiased), moved in place on the GPU in training. */
  readonly runningVar: StateBuffer;
  /** `num_batches_tracked` [] (int64 in checkpoints). */
  readonly numBatchesTracked: StateBuffer;

  constructor(readonly numFeatures: number, readonly opts: { eps?: number; momentum?: number } = {}) {
    super();
    this.weight = this.addParameter("weight", [numFeatures], ones);
    this.bias = this.addParameter("bias", [numFeatures], zeros);
    this.runningMean = this.addBuffer("running_mean", [numFeatures], zeros);
    this.runningVar = this.addBuffer("running_var", [numFeatures], ones);
    this.numBatchesTracked = this.addBuffer("num_batches_tracked", [], zeros, "I64");
  }

  /** Normalises x [N, C, H, W]. */
  forward(x: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.#normalise(x, opts, false);
  }

  /**
   * relu(this.forward(x)), fused into the batch norm's kernels (see `BatchNormOptions.relu`):
   * the same values and gradients, one pass fewer each way and no stored normalised map.
   */
  forwardRelu(x: Tensor, opts: ForwardOptions = {}): Tensor {
    return this.#normalise(x, opts, true);
  }

  #normalise(x: Tensor, opts: ForwardOptions, relu: boolean): Tensor {
    return batchNorm2d(x, this.weight.value, this.bias.value, {
      relu,
      training: this.training,
      updateStats: opts.updateStats ?? true,
      momentum: this.opts.momentum ?? 0.1,
      eps: this.opts.eps ?? 1e-5,
      runningMean: this.runningMean.value,
      runningVar: this.runningVar.value,
      numBatchesTracked: this.numBatchesTracked.value,
    });
  }
}
