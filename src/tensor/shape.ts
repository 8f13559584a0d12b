/**
 * Shape arithmetic: sizes, strides, broadcasting.
 * @module
 */

/** A tensor shape: a list of non-negative integer extents. */
export type Shape = readonly number[];

/** Number of elements of `shape` (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides of `shape`, in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** True when the two shapes are identical. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The NumPy broadcast of two shapes, or an error naming both. */
export function broadcastShapes(a: Shape, b: Shape): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`shapes [${a}] and [${b}] cannot be broadcast together`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides for reading a tensor of shape `from` as if it had the (broadcast) shape `to`. */
export function broadcastStrides(from: Shape, to: Shape): number[] {
  const s = stridesOf(from);
  const off = to.length - from.length;
  return to.map((_, i) => (i < off || from[i - off] === 1 ? 0 : s[i - off]));
}

/** Checks `shape` for integrality and returns it as a fresh array. */
export function checkShape(shape: Shape): number[] {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape}]`);
  }
  return [...shape];
}

/** Normalises possibly negative axes against `rank`, sorted and de-duplicated. */
export function normAxes(axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = new Set<number>();
  for (const a of list) {
    const x = a < 0 ? a + rank : a;
    if (!Number.isInteger(x) || x < 0 || x >= rank) {
      throw new Error(`axis ${a} out of range for rank ${rank}`);
    }
    out.add(x);
  }
  return [...out].sort((p, q) => p - q);
}
