/**
 * AdamW with PyTorch semantics: decoupled weight decay (w *= 1 - lr * wd), bias-corrected first
 * and second moments, no amsgrad. One fused dispatch per step over a flat model (see
 * `shaders/optim_adamw.wgsl`); the bias corrections are computed in float64 on the CPU.
 *
 * Memory: two buffers shaped like the parameters (first and second moments).
 *
 * @module
 */
import adamwSrc from "../../shaders/optim_adamw.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { grid, launch } from "../ops/launch.ts";
import { copy_ } from "../ops/multi_tensor.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { forEachChunk, stateLike } from "../ops/flat_layout.ts";
import type { BaseOptimizer, ParamSet, PluginState } from "./types.ts";

/** Hyperparameters of {@link AdamW}. */
export interface AdamWConfig {
  lr: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

/** See the module documentation. */
export class AdamW implements BaseOptimizer {
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  #set: ParamSet;
  #m: Tensor[];
  #v: Tensor[];
  /** Steps taken, for the bias corrections. */
  #t = 0;

  constructor(set: ParamSet, cfg: AdamWConfig) {
    this.#set = set;
    this.lr = cfg.lr;
    this.betas = cfg.betas ?? [0.9, 0.999];
    this.eps = cfg.eps ?? 1e-8;
    this.weightDecay = cfg.weightDecay ?? 1e-2;
    this.#m = stateLike(set.params);
    this.#v = stateLike(set.params);
  }

  /** Records one update of every parameter. */
  step(): void {
    const t = ++this.#t;
    const [b1, b2] = this.betas;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    const decay = 1 - this.lr * this.weightDecay;
    forEachChunk([this.#set.grads, this.#set.params, this.#m, this.#v], (ranges, n) => {
      const bytes = new Params().u32(n).f32(decay, this.lr / bc1, b1, b2, Math.sqrt(bc2), this.eps).bytes();
      launch("optim.adamw", adamwSrc, {}, ranges, bytes, grid(n));
    });
  }

  /** The moments and the step count. */
  saveState(): PluginState {
    return { tensors: { exp_avg: this.#m, exp_avg_sq: this.#v }, json: { step: this.#t } };
  }

  /** Restores {@link saveState}'s output. */
  loadState(state: PluginState): void {
    if (state.tensors.exp_avg) copy_(state.tensors.exp_avg, this.#m);
    if (state.tensors.exp_avg_sq) copy_(state.tensors.exp_avg_sq, this.#v);
    this.#t = Number(state.json.step ?? 0);
  }

  /** Frees the moment buffers. */
  dispose(): void {
    [...this.#m, ...this.#v].forEach((x) => x.dispose());
    this.#m = [];
    this.#v = [];
  }
}
