/**
 * Reductions over axes: sum, mean, max, and sumTo (the adjoint of broadcasting).
 * @module
 */
import reduceSrc from "../../shaders/reduce.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { normAxes, sameShape, type Shape, sizeOf } from "../tensor/shape.ts";
import { grid, launch } from "./launch.ts";
import { mulScalar } from "./elementwise.ts";

const OPS = { sum: 0, max: 1, sumsq: 2 } as const;
type ReduceOp = keyof typeof OPS;

/** Threads below which a reduction is split into parts and finished by a second pass. */
const MIN_THREADS = 4096;

/** Reduces x viewed as [outer, R, inner] over R; returns [outer * inner] values. */
export function reduce3(op: ReduceOp, x: Tensor, outer: number, R: number, inner: number): Tensor {
  const outputs = outer * inner;
  let parts = 1;
  if (outputs < MIN_THREADS && R > 64) parts = Math.min(Math.ceil(R / 64), Math.ceil(MIN_THREADS / outputs));
  const chunk = Math.ceil(R / parts);
  parts = Math.ceil(R / chunk);
  const out = Tensor.empty([outer * parts * inner]);
  const params = new Params().u32(outer, R, inner, parts, chunk).bytes();
  launch(`reduce.${op}`, reduceSrc, { OP: OPS[op] }, [x, out], params, grid(out.size));
  if (parts === 1) return out;
  // Second pass over the parts: sums of squares become plain sums.
  const rest = reduce3(op === "max" ? "max" : "sum", out, outer, parts, inner);
  out.dispose();
  return rest;
}

/** Reduces over `axes`, which must be adjacent after dropping size-1 dims; else reduces one at a time. */
function reduceAxes(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  const shape = x.shape;
  const live = axes.filter((a) => shape[a] !== 1);
  const outShape = shape.filter((_, i) => !axes.includes(i));
  if (live.length === 0) return x.view(outShape);
  const contiguous = live.every((a, i) => i === 0 || shape.slice(live[i - 1] + 1, a).every((d) => d === 1));
  if (contiguous) {
    const first = live[0], last = live[live.length - 1];
    const outer = sizeOf(shape.slice(0, first));
    const R = sizeOf(shape.slice(first, last + 1));
    const inner = sizeOf(shape.slice(last + 1));
    const flat = reduce3(op, x, outer, R, inner);
    const out = flat.view(outShape);
    flat.dispose();
    return out;
  }
  // Non-adjacent axes: reduce the last one, then the rest (sums of squares continue as sums).
  const lastAxis = live[live.length - 1];
  const partial = reduceAxes(op, x, [lastAxis]);
  const next = reduceAxes(op === "max" ? "max" : "sum", partial, axes.filter((a) => a < lastAxis));
  partial.dispose();
  return next;
}

/** `shape` with the reduced `axes` kept as size 1. */
export function keepDims(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** Sum over `axes` (all by default); `keepdim` keeps reduced axes as size 1. */
export function sum(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normAxes(axes, x.rank);
  let out = reduceAxes("sum", x, ax);
  if (keepdim) {
    const k = out.view(keepDims(x.shape, ax));
    out.dispose();
    out = k;
  }
  return record("sum", [x], out, { shape: x.shape, axes: ax });
}

/** Mean over `axes` (all by default). */
export function mean(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normAxes(axes, x.rank);
  const count = sizeOf(ax.map((a) => x.shape[a]));
  return mulScalar(sum(x, ax, keepdim), 1 / count);
}

/** Maximum over `axes` (all by default); the gradient flows to every maximal element. */
export function max(x: Tensor, axes?: number | number[], keepdim = false): Tensor {
  const ax = normAxes(axes, x.rank);
  let out = reduceAxes("max", x, ax);
  if (keepdim) {
    const k = out.view(keepDims(x.shape, ax));
    out.dispose();
    out = k;
  }
  return record("max", [x], out, { shape: x.shape, axes: ax });
}

/** Sums `x` down to `shape` (the adjoint of broadcasting `shape` up to x.shape). */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const off = x.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < x.rank; i++) if (i < off || (shape[i - off] === 1 && x.shape[i] !== 1)) axes.push(i);
  const s = sum(x, axes, false);
  return reshapeTo(s, shape);
}

function reshapeTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  return record("reshape", [x], x.view(shape), { shape: x.shape });
}
