/**
 * Fused multi-tensor ops for optimizers, criteria and Lanczos: sum of squares, global L2 norm,
 * dot product, axpy, axpby, scale, copy. The one set of these ops, aware of parameter groups.
 *
 * A "tensor list" is usually a model's parameters or gradients, which live as views in flat
 * buffers (`src/nn/flat.ts`; see `./flat_layout.ts`). Every list is split where any list
 * changes buffer; each run laid out alike is one fused dispatch (one per group, whatever the
 * number of tensors), others go one tensor at a time (in-place ops) or are packed with buffer
 * copies (reductions). Padding between views is kept at zero, so it adds nothing to norms and
 * dots. Reductions combine the runs' partial results on the GPU and stay there as
 * one-element tensors.
 *
 * @module
 */
import multiSrcText from "../../shaders/multi_tensor.wgsl" with { type: "text" };
import dotSrc from "../../shaders/dot_partial.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { runtime } from "../gpu/runtime.ts";
import { Storage, Tensor } from "../tensor/tensor.ts";
import { gridStride, laneRuns, laneSources, launch } from "./launch.ts";
import { reduce3 } from "./reduce.ts";
import { add, sqrt } from "./elementwise.ts";
import { alignedSpans, forEachChunk, pack, perRun, spanOf, spanRange } from "./flat_layout.ts";

const multiSrc = laneSources(multiSrcText);

/**
 * Flat spans of one run of one or two lists: the lists' own when they are laid out alike,
 * else packed copies (`cleanup` disposes them).
 */
function runSpans(xs: readonly Tensor[], ys?: readonly Tensor[]) {
  const own = alignedSpans(ys ? [xs, ys] : [xs]);
  if (own) return { sx: own[0], sy: own[ys ? 1 : 0], cleanup: () => {} };
  const px = pack(xs), py = ys ? pack(ys) : px;
  return {
    sx: spanOf([px])!,
    sy: spanOf([py])!,
    cleanup: () => {
      px.dispose();
      if (py !== px) py.dispose();
    },
  };
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

const PARTIALS = 2048;

/** One run's <xs, ys> (or sum of squares when `ys` is null) as a [] tensor. */
function dotRun(xs: readonly Tensor[], ys: readonly Tensor[] | null): Tensor {
  const { sx, sy, cleanup } = runSpans(xs, ys ?? undefined);
  const total = Math.max(1, Math.min(PARTIALS, sx.floats));
  const partial = Tensor.empty([total]);
  const params = new Params().u32(sx.floats, total).bytes();
  launch("dot_partial", dotSrc, { SQUARE: ys ? 0 : 1 }, [spanRange(sx), spanRange(sy), partial], params, [
    Math.ceil(total / 256),
  ]);
  const out = reduce3("sum", partial, 1, total, 1);
  partial.dispose();
  cleanup();
  const s = out.view([]);
  out.dispose();
  return s;
}

function dotLike(xs: readonly Tensor[], ys: readonly Tensor[] | null): Tensor {
  const parts: Tensor[] = [];
  perRun(ys ? [xs, ys] : [xs], ([x, y]) => parts.push(dotRun(x, y ?? null)));
  return total(parts);
}

/** Sum of squares of every element of every tensor in `xs`, as a [] tensor on the GPU. */
export function sumOfSquares(xs: readonly Tensor[]): Tensor {
  return dotLike(xs, null);
}

/** Global L2 norm over a tensor list, as a [] tensor on the GPU. */
export function globalNorm(xs: readonly Tensor[]): Tensor {
  const ss = sumOfSquares(xs);
  const n = sqrt(ss);
  ss.dispose();
  return n;
}

/** Sum over the lists of elementwise products: <xs, ys>, as a [] tensor on the GPU. */
export function dot(xs: readonly Tensor[], ys: readonly Tensor[]): Tensor {
  return dotLike(xs, ys);
}

/**
 * How a GPU scalar scales a coefficient: `value` uses it as is, `inverse` as 1/(s + eps),
 * `inverseSqrt` as 1/(sqrt(s) + eps). A plain number needs none.
 */
export type ScalarMode = "value" | "inverse" | "inverseSqrt";

/** A coefficient: a number, or a number times a function of a one-element GPU tensor. */
export type Coef = number | { alpha: number; scalar: Tensor; mode?: ScalarMode; eps?: number };

const OPCODE = { axpy: 0, axpby: 1, scale: 2, copy: 3 } as const;
const SOP = { value: 1, inverse: 2, inverseSqrt: 3 } as const;
let one: Tensor | null = null;

function update(
  op: keyof typeof OPCODE,
  xs: readonly Tensor[] | null,
  ys: readonly Tensor[],
  a: Coef,
  beta = 0,
) {
  const alpha = typeof a === "number" ? a : a.alpha;
  const scalarT = typeof a === "number" ? null : a.scalar;
  const sop = typeof a === "number" ? 0 : SOP[a.mode ?? "value"];
  const eps = typeof a === "number" ? 0 : a.eps ?? 0;
  if (!one) {
    // Four floats: it also stands in for `scale`'s unused x, which the vec4 kernel binds as one V.
    one = new Tensor([4], Storage.alloc(16)).keep();
    runtime().write(one.storage.buffer, 0, new Float32Array([1, 0, 0, 0]));
  }
  const sc = scalarT ?? one;
  const run = (x: { buffer: GPUBuffer; offset: number; size: number }, y: typeof x, n: number) => {
    // The first n - n % 4 floats as vec4s (~2.5x faster per element under llvmpipe), the rest
    // as floats from there (p.base).
    for (const { lanes, count, base } of laneRuns(n)) {
      const params = new Params().u32(count).f32(alpha, beta, eps).u32(sop, base).bytes();
      const name = `multi${lanes === 4 ? "4" : ""}.${op}`;
      launch(
        name,
        multiSrc[lanes],
        { OP: OPCODE[op] },
        [x, sc, y],
        params,
        gridStride(count, 256, 16 / lanes),
      );
    }
  };
  // One dispatch per group laid out alike. For `scale`, x is unused but must be a distinct
  // binding of at least one V.
  if (xs) forEachChunk([xs, ys], ([x, y], n) => run(x, y, n));
  else forEachChunk([ys], ([y], n) => run(one!.range, y, n));
}

/** ys += a * xs, in place. */
export function axpy_(a: Coef, xs: readonly Tensor[], ys: readonly Tensor[]): void {
  update("axpy", xs, ys, a);
}

/** ys = beta * ys + a * xs, in place. */
export function axpby_(a: Coef, xs: readonly Tensor[], beta: number, ys: readonly Tensor[]): void {
  update("axpby", xs, ys, a, beta);
}

/** ys *= a, in place. */
export function scale_(a: Coef, ys: readonly Tensor[]): void {
  update("scale", null, ys, a);
}

/** ys = xs, in place (buffer copies, no dispatches: one per group laid out alike). */
export function copy_(xs: readonly Tensor[], ys: readonly Tensor[]): void {
  forEachChunk([xs, ys], ([x, y], n) => runtime().copy(x.buffer, x.offset, y.buffer, y.offset, n * 4));
}
