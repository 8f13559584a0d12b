/**
 * The multi-tensor ops of `src/ops/multi_tensor.ts`, made aware of parameter groups.
 *
 * A model whose parameters exceed one storage binding is laid out as several flat buffers
 * (`src/nn/flat.ts`): its parameter list is a sequence of runs of views, each run sharing one
 * buffer. Over such a list the plain multi-tensor ops would fall back to one dispatch per tensor,
 * or pack the whole model into one buffer for a norm, which may itself exceed the binding limit.
 * These versions split every list at the boundaries where any of them changes buffer, run the
 * fused op once per run (one dispatch per group), and combine reductions on the GPU. With a single
 * group they are exactly the multi-tensor ops.
 *
 * Plugins should use these (they are what `src/plugins/mod.ts` exports).
 *
 * @module
 */
import * as mt from "../ops/multi_tensor.ts";
import { add, sqrt } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** [start, end) index ranges over which every list keeps one storage (or a single tensor). */
export function runs(lists: readonly (readonly Tensor[])[]): [number, number][] {
  const n = lists[0].length;
  for (const l of lists) {
    if (l.length !== n) throw new Error(`multi-tensor op: lists of ${n} and ${l.length} tensors`);
  }
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= n; i++) {
    if (i === n || lists.some((l) => l[i].storage !== l[i - 1].storage)) {
      out.push([start, i]);
      start = i;
    }
  }
  return out;
}

/** Calls `fn` with the slices of `lists` for each run of {@link runs}. */
export function perRun(lists: readonly (readonly Tensor[])[], fn: (slices: Tensor[][]) => void): void {
  for (const [a, b] of runs(lists)) fn(lists.map((l) => l.slice(a, b)));
}

/** Sums one-element tensors on the GPU, disposing the parts. */
function total(parts: Tensor[]): Tensor {
  let acc = parts[0];
  for (const p of parts.slice(1)) {
    const next = add(acc, p);
    acc.dispose();
    p.dispose();
    acc = next;
  }
  return acc;
}

/** Sum of squares over every tensor of `xs`, as a [] tensor on the GPU. */
export function sumOfSquares(xs: readonly Tensor[]): Tensor {
  const parts: Tensor[] = [];
  perRun([xs], ([x]) => parts.push(mt.sumOfSquares(x)));
  return total(parts);
}

/** Global L2 norm over a tensor list, as a [] tensor on the GPU. */
export function globalNorm(xs: readonly Tensor[]): Tensor {
  const ss = sumOfSquares(xs);
  const n = sqrt(ss);
  ss.dispose();
  return n;
}

/** <xs, ys> over the lists, as a [] tensor on the GPU. */
export function dot(xs: readonly Tensor[], ys: readonly Tensor[]): Tensor {
  const parts: Tensor[] = [];
  perRun([xs, ys], ([x, y]) => parts.push(mt.dot(x, y)));
  return total(parts);
}

/** ys += a * xs, in place. */
export function axpy_(a: mt.Coef, xs: readonly Tensor[], ys: readonly Tensor[]): void {
  perRun([xs, ys], ([x, y]) => mt.axpy_(a, x, y));
}

/** ys = beta * ys + a * xs, in place. */
export function axpby_(a: mt.Coef, xs: readonly Tensor[], beta: number, ys: readonly Tensor[]): void {
  perRun([xs, ys], ([x, y]) => mt.axpby_(a, x, beta, y));
}

/** ys *= a, in place. */
export function scale_(a: mt.Coef, ys: readonly Tensor[]): void {
  perRun([ys], ([y]) => mt.scale_(a, y));
}

/** ys = xs, in place (buffer copies, no dispatches). */
export function copy_(xs: readonly Tensor[], ys: readonly Tensor[]): void {
  perRun([xs, ys], ([x, y]) => mt.copy_(x, y));
}
