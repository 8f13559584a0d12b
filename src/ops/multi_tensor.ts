/**
 * Fused multi-tensor ops for optimizers: global L2 norm, dot product, axpy, scale, copy.
 *
 * A "tensor list" is usually a model's parameters or gradients, which live as views in one
 * flat buffer (see `src/nn`); then each op is one or two dispatches over the whole range,
 * whatever the number of tensors. Lists spread over separate buffers are packed with
 * buffer copies (no dispatches) for the reductions, and updated one tensor at a time for
 * the in-place ops. Padding between views in a flat buffer is kept at zero, so it adds
 * nothing to norms and dots. Results stay on the GPU as one-element tensors.
 *
 * @module
 */
import multiSrcText from "../../shaders/multi_tensor.wgsl" with { type: "text" };
import dotSrc from "../../shaders/dot_partial.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { runtime } from "../gpu/runtime.ts";
import { Storage, Tensor } from "../tensor/tensor.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";
import { reduce3 } from "./reduce.ts";
import { sqrt } from "./elementwise.ts";

const multiSrc = shaderSource(multiSrcText);

/** A flat byte range covering a tensor list that shares one buffer. */
interface Span {
  buffer: GPUBuffer;
  offset: number;
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

function sameSpan(a: Span, b: Span): boolean {
  return a.floats === b.floats;
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

function spanRange(s: Span) {
  return { buffer: s.buffer, offset: s.offset, size: Math.max(4, s.floats * 4) };
}

/** Flat spans of two lists with the same layout, packing either if needed; `cleanup` disposes packs. */
function spans(xs: readonly Tensor[], ys?: readonly Tensor[]) {
  const tmp: Tensor[] = [];
  const get = (list: readonly Tensor[]): Span => {
    const s = spanOf(list);
    if (s) return s;
    const p = pack(list);
    tmp.push(p);
    return spanOf([p])!;
  };
  let sx = get(xs);
  let sy = ys ? get(ys) : sx;
  if (ys && !sameSpan(sx, sy)) {
    // Different paddings: pack both so the elements line up.
    const px = pack(xs), py = pack(ys);
    tmp.push(px, py);
    sx = spanOf([px])!;
    sy = spanOf([py])!;
  }
  return { sx, sy, cleanup: () => tmp.forEach((t) => t.dispose()) };
}

const PARTIALS = 2048;

function dotLike(xs: readonly Tensor[], ys: readonly Tensor[] | null): Tensor {
  const { sx, sy, cleanup } = spans(xs, ys ?? undefined);
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
    one = new Tensor([1], Storage.alloc(4)).keep();
    runtime().write(one.storage.buffer, 0, new Float32Array([1]));
  }
  const sc = scalarT ?? one;
  if (xs && xs.length !== ys.length) {
    throw new Error(`multi-tensor ${op}: lists of ${xs.length} and ${ys.length}`);
  }
  const run = (x: { buffer: GPUBuffer; offset: number; size: number }, y: typeof x, n: number) => {
    const params = new Params().u32(n).f32(alpha, beta, eps).u32(sop).bytes();
    launch(`multi.${op}`, multiSrc, { OP: OPCODE[op] }, [x, sc, y], params, gridStride(n));
  };
  const sy = spanOf(ys);
  const sx = xs ? spanOf(xs) : null;
  if (sy && (!xs || (sx && sx.floats === sy.floats))) {
    // The whole list in one dispatch. For `scale`, x is unused but must be a distinct binding.
    run(sx ? spanRange(sx) : sc.range, spanRange(sy), sy.floats);
    return;
  }
  ys.forEach((y, i) => {
    if (xs && xs[i].size !== y.size) throw new Error(`multi-tensor ${op}: tensor ${i} sizes differ`);
    run(xs ? xs[i].range : sc.range, y.range, y.size);
  });
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

/** ys = xs, in place. */
export function copy_(xs: readonly Tensor[], ys: readonly Tensor[]): void {
  const sx = spanOf(xs), sy = spanOf(ys);
  if (sx && sy && sx.floats === sy.floats) {
    runtime().copy(sx.buffer, sx.offset, sy.buffer, sy.offset, sx.floats * 4);
    return;
  }
  xs.forEach((x, i) => {
    if (x.size !== ys[i].size) throw new Error(`copy_: tensor ${i} sizes differ`);
    runtime().copy(x.storage.buffer, x.offset, ys[i].storage.buffer, ys[i].offset, x.size * 4);
  });
}
