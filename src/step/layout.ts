/**
 * Layout helpers for optimizer state: buffers shaped like a parameter list, and the walk that
 * lets one fused kernel cover several lists at once.
 *
 * When a list is a set of views into one flat buffer (a model's parameters), its state is laid
 * out the same way (same relative offsets, zeroed padding), so a kernel over parameters,
 * gradients and state is a single dispatch over the whole span. A model split into several
 * flat buffers (parameter groups) gets one dispatch per group; lists of separate tensors fall
 * back to one dispatch per tensor.
 *
 * @module
 */
import type { BufferRange } from "../gpu/runtime.ts";
import { fill_ } from "../ops/elementwise.ts";
import { spanOf } from "../ops/multi_tensor.ts";
import { Storage, Tensor } from "../tensor/tensor.ts";
import type { ParamSet } from "./types.ts";
import { perRun } from "./grouped.ts";

/** A one-dimensional tensor over a whole flat span (a temporary handle for fills and kernels). */
function spanTensor(list: readonly Tensor[]): Tensor | null {
  const s = spanOf(list);
  if (!s) return null;
  list[0].storage.retain();
  return new Tensor([s.floats], list[0].storage, s.offset);
}

/** Sets every element of every tensor in `list` (and the padding between views) to zero. */
export function zeroList(list: readonly Tensor[]): void {
  perRun([list], ([run]) => {
    const whole = spanTensor(run);
    if (!whole) {
      for (const t of run) fill_(t, 0);
      return;
    }
    fill_(whole, 0);
    whole.dispose();
  });
}

/**
 * Zeroed, kept tensors with the shapes and layout of `list`: for each run of views sharing one
 * buffer (a parameter group), views into one new flat buffer at the same relative offsets; one
 * tensor each otherwise. Dispose them when done.
 */
export function stateLike(list: readonly Tensor[]): Tensor[] {
  const out: Tensor[] = [];
  perRun([list], ([run]) => {
    const s = spanOf(run);
    if (!s || run.length === 1) {
      for (const t of run) out.push(fill_(Tensor.empty(t.shape).keep(), 0));
      return;
    }
    const st = Storage.alloc(s.floats * 4);
    const views = run.map((t) => {
      st.retain();
      return new Tensor(t.shape, st, t.offset - s.offset).keep();
    });
    st.release(); // the views hold the references
    zeroList(views);
    out.push(...views);
  });
  return out;
}

/**
 * Calls `fn` with aligned byte ranges of every list: once per parameter group (run of views that
 * share one buffer in every list, at the same relative offsets), else once per tensor index.
 * `n` is the number of floats covered.
 */
export function forEachChunk(
  lists: readonly (readonly Tensor[])[],
  fn: (ranges: BufferRange[], n: number) => void,
): void {
  perRun(lists, (run) => {
    const spans = run.map(spanOf);
    const first = spans[0];
    const aligned = first && spans.every((s, k) =>
      s && s.floats === first.floats &&
      run[k].every((t, i) =>
        t.size === run[0][i].size && t.offset - s.offset === run[0][i].offset - first.offset
      )
    );
    if (aligned) {
      fn(
        spans.map((s) => ({ buffer: s!.buffer, offset: s!.offset, size: Math.max(4, s!.floats * 4) })),
        first.floats,
      );
      return;
    }
    for (let i = 0; i < run[0].length; i++) {
      const size = run[0][i].size;
      if (run.some((l) => l[i].size !== size)) {
        throw new Error(`optimizer: tensor sizes differ between lists`);
      }
      fn(run.map((l) => l[i].range), size);
    }
  });
}

let dummy: Tensor | null = null;

/** A kept 4-byte tensor to bind where a kernel declares a buffer that this launch never touches. */
export function unusedBinding(): Tensor {
  if (!dummy || dummy.isDisposed) {
    // Never read, so never written: no upload (which would split the current batch).
    dummy = new Tensor([1], Storage.alloc(4)).keep();
  }
  return dummy;
}

/**
 * A ParamSet over plain tensors: each parameter gets a zeroed gradient of its layout (set as
 * `param.grad` so `backward()` accumulates into it) unless it already has one.
 */
export function paramSet(params: readonly Tensor[]): ParamSet {
  const missing = params.filter((p) => !p.grad);
  // All missing (the usual case): one layout-preserving allocation, flat if the parameters are.
  const fresh = missing.length === params.length ? stateLike(params) : missing.map((p) => stateLike([p])[0]);
  missing.forEach((p, i) => p.grad = fresh[i]);
  for (const p of params) p.requiresGrad = true;
  return { params, grads: params.map((p) => p.grad!) };
}
