/**
 * The tape: which op made which tensor, recorded as ops run.
 *
 * Each op that produces a tensor from inputs that require gradients attaches a {@link Node}
 * to its output; `backward()` walks these nodes in reverse. Nothing is recorded inside
 * {@link noGrad} (optimizer updates, evaluation) or when no input requires a gradient.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";

/** How an output was produced: the op's name (a key of the rule table), inputs and attributes. */
export interface Node {
  /** The op's name (the key of its backward rule). */
  op: string;
  /** The op's inputs, in call order. */
  inputs: Tensor[];
  /** The op's attributes, as its backward rule reads them. */
  attrs: Record<string, any>;
}

let disabled = 0;

/** True unless inside {@link noGrad}. */
export function isGradEnabled(): boolean {
  return disabled === 0;
}

/** Runs `fn` without recording the tape. */
export function noGrad<T>(fn: () => T): T {
  disabled++;
  try {
    return fn();
  } finally {
    disabled--;
  }
}

/** Attaches a node to `out` when any input requires a gradient; returns `out`. */
export function record(op: string, inputs: Tensor[], out: Tensor, attrs: Record<string, any> = {}): Tensor {
  if (disabled === 0 && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, attrs };
  }
  return out;
}
