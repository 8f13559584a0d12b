/**
 * SGD with PyTorch semantics: momentum with dampening 0, optional Nesterov, weight decay added
 * to the gradient. One fused pass per step over a flat model (see `shaders/optim_sgd.wgsl`): a
 * vec4 dispatch, and a float one for the last n % 4 elements of a chunk.
 *
 * Memory: one momentum buffer shaped like the parameters when momentum != 0, none otherwise.
 *
 * @module
 */
import sgdText from "../../shaders/optim_sgd.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { grid, laneRuns, laneSources, launch } from "../ops/launch.ts";
import { copy_ } from "../ops/multi_tensor.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { forEachChunk, stateLike } from "../ops/flat_layout.ts";
import { unusedBinding } from "./layout.ts";
import type { BaseOptimizer, ParamSet, PluginState } from "./types.ts";

const sgdSrc = laneSources(sgdText);

/** Hyperparameters of {@link Sgd}. */
export interface SgdConfig {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** See the module documentation. */
export class Sgd implements BaseOptimizer {
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  #set: ParamSet;
  #buf: Tensor[] | null;
  /** Whether the momentum buffer holds a value yet (PyTorch copies the first gradient in). */
  #started = false;

  constructor(set: ParamSet, cfg: SgdConfig) {
    this.#set = set;
    this.lr = cfg.lr;
    this.momentum = cfg.momentum ?? 0;
    this.weightDecay = cfg.weightDecay ?? 0;
    this.nesterov = cfg.nesterov ?? false;
    if (this.nesterov && this.momentum <= 0) {
      throw new Error("SGD: Nesterov momentum requires a momentum > 0");
    }
    this.#buf = this.momentum !== 0 ? stateLike(set.params) : null;
  }

  /** Records one update of every parameter. */
  step(): void {
    const lists = this.#buf
      ? [this.#set.grads, this.#set.params, this.#buf]
      : [this.#set.grads, this.#set.params];
    forEachChunk(lists, (ranges, n) => {
      const bufRange = ranges[2] ?? unusedBinding().range;
      // The first n - n % 4 elements as vec4s (~2.5x faster per element under llvmpipe), the
      // rest as floats from there (p.base).
      for (const { lanes, count, base } of laneRuns(n)) {
        const bytes = new Params().u32(count).f32(this.lr, this.weightDecay, this.momentum)
          .u32(this.nesterov ? 1 : 0, this.#started ? 0 : 1, base).bytes();
        const name = `optim.sgd${lanes === 4 ? "4" : ""}`;
        launch(name, sgdSrc[lanes], {}, [ranges[0], ranges[1], bufRange], bytes, grid(count));
      }
    });
    this.#started = true;
  }

  /** The momentum buffer (if any) and whether it has been started. */
  saveState(): PluginState {
    return { tensors: this.#buf ? { momentum_buffer: this.#buf } : {}, json: { started: this.#started } };
  }

  /** Restores {@link saveState}'s output. */
  loadState(state: PluginState): void {
    const buf = state.tensors.momentum_buffer;
    if (this.#buf && buf) copy_(buf, this.#buf);
    this.#started = Boolean(state.json.started);
  }

  /** Frees the momentum buffer. */
  dispose(): void {
    this.#buf?.forEach((t) => t.dispose());
    this.#buf = null;
  }
}
