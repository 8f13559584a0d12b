/**
 * The types the step engine and its optimizers share: the parameter set a model hands over,
 * the closure that computes gradients, and the pass context that closure receives.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";

/**
 * What an optimizer updates: parameters and their gradients, index by index of the same shapes.
 * A model lays both out as views into one flat buffer each (then every fused op is one dispatch
 * over the whole model); plain lists of separate tensors work too, one dispatch per tensor.
 */
export interface ParamSet {
  /** The parameters, updated in place. */
  readonly params: readonly Tensor[];
  /** `grads[i]` is the gradient of `params[i]`; `backward()` accumulates into it in place. */
  readonly grads: readonly Tensor[];
  /** Zeroes every gradient; the engine calls it before each gradient computation. Default: a fused fill. */
  zeroGrad?(): void;
}

/** Which gradient a pass computes: the inner one at w (ascent direction) or the outer one at w + e. */
export type Pass = "inner" | "outer";

/** What the engine tells the model-forward closure about one forward/backward pass. */
export interface PassContext {
  /** Which gradient this pass computes. */
  readonly pass: Pass;
  /**
   * Whether BatchNorm layers should update their running statistics in this forward pass.
   * With `bn_update once` (the default) only the first forward pass of a step does: the inner
   * pass when it runs, else the outer one. With `both` (the seed's behaviour) every pass does.
   */
  readonly updateBnStats: boolean;
  /** 1-based iteration (every step, SAM or plain). */
  readonly iteration: number;
  /** The epoch set by the last `startEpoch` (0-based, as in the seed). */
  readonly epoch: number;
}

/**
 * The closure a training loop passes to `StepEngine.step`: zeroed gradients are given; it runs
 * the forward pass, `backward()` into the gradients and returns whatever the loop wants back.
 * Return the loss tensor, or an object with a `loss` tensor, and the hooks see it as
 * `ctx.loss` (on the GPU, no readback). The engine never disposes what it returns.
 */
export type ComputeGrad<T> = (pass: PassContext) => T | Promise<T>;

/**
 * A base optimizer: the update rule applied to the parameters with their current gradients
 * (SGD, AdamW). It is bound to its ParamSet at creation, records fused dispatches, and only
 * reads the gradients (the engine's hooks still see the outer gradient after the step).
 */
export interface BaseOptimizer {
  /** Learning rate of the next step; a scheduler sets it. */
  lr: number;
  /** Records one update of every parameter. */
  step(): void;
  /** Named state lists (momentum buffers, moments) and JSON fields, for checkpoints. */
  saveState(): PluginState;
  /** Restores what {@link saveState} returned (tensor contents are copied in). */
  loadState(state: PluginState): void;
  /** Frees the state buffers. */
  dispose(): void;
}

/**
 * A plugin's or optimizer's state for checkpoints. `tensors` are the live state lists (read
 * them back to save; they are not copies); `json` holds CPU values (flags, counters, RNG).
 */
export interface PluginState {
  /** Named live state lists. */
  tensors: Record<string, readonly Tensor[]>;
  /** CPU values (flags, counters). */
  json: Record<string, unknown>;
}

/** Step counters as in the seed. */
export interface Counters {
  /** Every step taken (SAM-family and plain base-optimizer steps). */
  iterations: number;
  /** SAM-family steps (the seed's iteration_step_counter, minus its initial 1). */
  samSteps: number;
  /** Inner forward passes (at w). */
  innerForward: number;
  /** Inner backward passes (at w). */
  innerBackward: number;
}

/** Forward/backward passes per iteration relative to plain SGD: 1 + inner / iterations (1 before any step). */
export function overheads(c: Counters): { fwp: number; bwp: number } {
  const it = Math.max(1, c.iterations);
  return { fwp: 1 + c.innerForward / it, bwp: 1 + c.innerBackward / it };
}
