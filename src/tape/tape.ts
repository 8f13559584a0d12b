/**
 * The tape: which op made which tensor, recorded as ops run.
 *
 * Each op that produces a tensor from inputs that require gradients attaches a {@link Node}
 * to its output; `backward()` (src/autograd) walks these nodes in reverse. Nothing is
 * recorded inside {@link noGrad} (optimizer updates, evaluation) or when no input requires a
 * gradient. The tape knows no op: ops record themselves through the typed `record` of
 * `src/ops/record.ts`, which names each op and its attribute type.
 *
 * @module
 */
import type { Node, Tensor } from "../tensor/tensor.ts";

export type { Node };

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

/**
 * Attaches `node` to `out` when gradients are recorded and any of its inputs requires one;
 * returns `out`. Untyped on purpose: the op names and attribute types live with the ops.
 */
export function attach(out: Tensor, node: Node): Tensor {
  if (disabled === 0 && node.inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = node;
  }
  return out;
}
