/**
 * The flat layout of tensor lists: when one dispatch can cover a whole list, and buffers laid
 * out like a list.
 *
 * A model's parameters (and gradients, and optimizer state) are views into flat buffers
 * (`src/nn/flat.ts`), 256-byte aligned, with zeroed padding between views. A model too big for
 * one storage binding has several such buffers (parameter groups), so a list is a sequence of
 * *runs* of views, each run sharing one buffer. Every "can one dispatch cover these lists" test
 * lives here: {@link runs} splits lists where any of them changes buffer, and
 * {@link alignedSpans} says whether one run of several lists is laid out alike, so that one
 * kernel over the spans touches matching elements. {@link forEachChunk} combines both: one
 * callback per group when aligned, one per tensor otherwise. The multi-tensor ops
 * (`./multi_tensor.ts`), the optimizers, criteria and Lanczos all go through it.
 *
 * @module
 */
import { type BufferRange, runtime } from "../gpu/runtime.ts";
import { Storage, Tensor } from "../tensor/tensor.ts";
import { fill_ } from "./elementwise.ts";

/** A flat byte range covering a tensor list that shares one buffer. */
export interface Span {
  buffer: GPUBuffer;
  /** Byte offset of the list's first element. */
  offset: number;
  /** Floats from the first to one past the last element, padding included. */
  floats: number;
}

/** The contiguous span of `list` if all tensors share one storage, else null. */
export function spanOf(list: readonly Tensor[]): Span | null {
  if (!list.length) return null;
  const st = list[0].storage;
  let lo = Infinity, hi = 0;
  for (const t of list) {
    if (t.storage !== st) return null;
    lo = Math.min(lo, t.offset);
    hi = Math.max(hi, t.offset + t.size * 4);
  }
  return { buffer: st.buffer, offset: lo, floats: (hi - lo) / 4 };
}

/** The byte range of a span, as a kernel binds it. */
export function spanRange(s: Span): BufferRange {
  return { buffer: s.buffer, offset: s.offset, size: Math.max(4, s.floats * 4) };
}

/**
 * The spans of `lists` (same length each) when one dispatch over them covers matching
 * elements: every list in one buffer, the same extent, and every tensor at the same relative
 * offset with the same size. Null otherwise.
 */
export function alignedSpans(lists: readonly (readonly Tensor[])[]): Span[] | null {
  const spans = lists.map(spanOf);
  const first = spans[0];
  if (!first) return null;
  const aligned = spans.every((s, k) =>
    s !== null && s.floats === first.floats &&
    lists[k].every((t, i) =>
      t.size === lists[0][i].size && t.offset - s.offset === lists[0][i].offset - first.offset
    )
  );
  return aligned ? spans as Span[] : null;
}

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

/**
 * Calls `fn` with aligned byte ranges of every list: once per parameter group (a run whose
 * lists are {@link alignedSpans}), else once per tensor index. `n` is the number of floats
 * covered.
 */
export function forEachChunk(
  lists: readonly (readonly Tensor[])[],
  fn: (ranges: BufferRange[], n: number) => void,
): void {
  perRun(lists, (run) => {
    const spans = alignedSpans(run);
    if (spans) {
      fn(spans.map(spanRange), spans[0].floats);
      return;
    }
    for (let i = 0; i < run[0].length; i++) {
      const size = run[0][i].size;
      if (run.some((l) => l[i].size !== size)) {
        throw new Error(`multi-tensor op: tensor ${i} sizes differ between lists`);
      }
      fn(run.map((l) => l[i].range), size);
    }
  });
}

/** Packs `list` into one fresh flat tensor using buffer copies (no dispatches). */
export function pack(list: readonly Tensor[]): Tensor {
  const total = list.reduce((n, t) => n + t.size, 0);
  const out = Tensor.empty([total]);
  let off = 0;
  for (const t of list) {
    runtime().copy(t.storage.buffer, t.offset, out.storage.buffer, out.offset + off * 4, t.size * 4);
    off += t.size;
  }
  return out;
}

/** Reads every tensor of `list` back with one readback (packed with buffer copies first). */
export async function readAll(list: readonly Tensor[]): Promise<Float32Array[]> {
  if (!list.length) return [];
  const packed = pack(list);
  const all = await packed.data();
  packed.dispose();
  let off = 0;
  return list.map((t) => all.slice(off, off += t.size));
}

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
