/**
 * Reverse-mode differentiation over the tape.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { keep, tidy } from "../tensor/scope.ts";
import { sameShape } from "../tensor/shape.ts";
import { noGrad } from "../tape/tape.ts";
import { ruleOf } from "./rules.ts";
import { add, addScalar, ones } from "../ops/elementwise.ts";
import { axpy_ } from "../ops/multi_tensor.ts";

/** Tensors reachable from `root` through nodes, in topological order (inputs first). */
function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS: ResNet graphs are deep enough to make recursion a risk.
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const i of t.node?.inputs ?? []) if (i.requiresGrad && !seen.has(i)) stack.push([i, false]);
  }
  return order;
}

/**
 * Computes gradients of the scalar `loss` with respect to every leaf tensor that requires
 * a gradient, accumulating into `leaf.grad`: created (and kept) on first use, or added to
 * in place when already set, e.g. to a view of a model's flat gradient buffer.
 * Intermediate gradients are freed as soon as they have been propagated; the tape is
 * cleared afterwards, so a graph is walked once. `seed` replaces the implicit gradient
 * of 1 (it must have the loss's shape and is not consumed).
 */
export function backward(loss: Tensor, seed?: Tensor): void {
  if (!loss.requiresGrad) throw new Error("backward(): the tensor does not require a gradient");
  if (seed ? !sameShape(seed.shape, loss.shape) : loss.size !== 1) {
    throw new Error(`backward(): needs a scalar loss or a seed of its shape, got [${loss.shape}]`);
  }
  const order = topoSort(loss);
  noGrad(() =>
    tidy(() => {
      const grads = new Map<Tensor, Tensor>();
      // Gradients that are not ours to free: the caller's seed.
      const release = (t: Tensor) => t !== seed && t.dispose();
      grads.set(loss, seed ?? ones(loss.shape));
      // Rules may pass a gradient on unchanged (add, sumTo of a same-shape tensor), so one
      // tensor can stand for several entries: free it only once no entry refers to it.
      const live = (x: Tensor) => {
        for (const v of grads.values()) if (v === x) return true;
        return false;
      };
      for (let k = order.length - 1; k >= 0; k--) {
        const t = order[k];
        const g = grads.get(t);
        if (!g) continue;
        grads.delete(t);
        const node = t.node;
        if (!node) {
          accumulateLeaf(t, g);
          if (!live(g)) release(g);
          continue;
        }
        const rule = ruleOf(node.op);
        if (!rule) throw new Error(`no backward rule for op '${node.op}'`);
        // The node was recorded by `record(op, ..., attrs)`, whose type ties attrs to op.
        const thunks = rule(g, node.inputs, t, node.attrs as never);
        // A rule may pass `g` itself on (add, reshape views aside): free a gradient only once
        // no entry of the frontier refers to it any more.
        node.inputs.forEach((inp, i) => {
          const thunk = thunks[i];
          if (!inp.requiresGrad || !thunk) return;
          const prev = grads.get(inp);
          // A rule that can add the accumulated gradient in its own last pass does (withAddend).
          const fused = prev && thunk.withAddend && sameShape(prev.shape, inp.shape);
          const gi = fused ? thunk.withAddend!(prev) : thunk();
          if (!sameShape(gi.shape, inp.shape)) {
            throw new Error(
              `backward rule of '${node.op}' gave shape [${gi.shape}] for input [${inp.shape}]`,
            );
          }
          if (!prev || fused) {
            grads.set(inp, gi);
            if (prev && !live(prev) && prev !== g) release(prev);
            return;
          }
          grads.set(inp, add(prev, gi));
          if (!live(prev) && prev !== g) release(prev);
          if (gi !== prev && !live(gi) && gi !== g) release(gi);
        });
        if (!live(g)) release(g);
      }
    })
  );
  for (const t of order) t.node = null;
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (leaf.grad) {
    axpy_(1, [g], [leaf.grad]);
  } else {
    // A copy, so the gradient owns its buffer even when g is shared (x + x, reshape views).
    leaf.grad = keep(addScalar(g, 0));
  }
}
