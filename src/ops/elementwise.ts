/**
 * Elementwise ops: unary, scalar, binary with broadcasting, where, fill.
 * Each differentiable op records itself on the tape under its own name; the backward
 * rules live in one table in `src/autograd/rules.ts`.
 * @module
 */
import unarySrc from "../../shaders/unary.wgsl" with { type: "text" };
import binarySrc from "../../shaders/binary.wgsl" with { type: "text" };
import whereSrcText from "../../shaders/where.wgsl" with { type: "text" };
import fillSrcText from "../../shaders/fill.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { runtime } from "../gpu/runtime.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { broadcastShapes, broadcastStrides, sameShape, type Shape, sizeOf } from "../tensor/shape.ts";
import { gridStride, type Lanes, lanesFor, laneSources, launch, shaderSource } from "./launch.ts";

const whereSrc = shaderSource(whereSrcText);
const fillSrc = laneSources(fillSrcText);

/** One elementwise op: its WGSL expression and whether its output carries a gradient. */
export interface ElementwiseOp {
  /**
   * The WGSL expression of the result. Unary ops read the element `v` and the scalar
   * operands `p.alpha`, `p.beta`; binary ops read the two elements `x` and `y`.
   */
  readonly wgsl: string;
  /** False for masks and comparisons, which are never recorded on the tape. */
  readonly grad: boolean;
}

/**
 * The unary ops, in op-code order: the one definition of each op. The `fn f` of
 * `shaders/unary.wgsl` is generated from this table (`elementwiseFunction`).
 */
export const UNARY_OPS = {
  neg: { wgsl: "-v", grad: true },
  relu: { wgsl: "max(v, 0.0)", grad: true },
  exp: { wgsl: "exp(v)", grad: true },
  log: { wgsl: "log(v)", grad: true },
  sqrt: { wgsl: "sqrt(v)", grad: true },
  square: { wgsl: "v * v", grad: true },
  addScalar: { wgsl: "v + p.alpha", grad: true },
  mulScalar: { wgsl: "v * p.alpha", grad: true },
  rsubScalar: { wgsl: "p.alpha - v", grad: true },
  rdivScalar: { wgsl: "p.alpha / v", grad: true },
  powScalar: { wgsl: "pow(v, p.alpha)", grad: true },
  clamp: { wgsl: "clamp(v, p.alpha, p.beta)", grad: true },
  inRange: { wgsl: "select(0.0, 1.0, v >= p.alpha && v <= p.beta)", grad: false },
  abs: { wgsl: "abs(v)", grad: true },
  sign: { wgsl: "sign(v)", grad: false },
  reciprocal: { wgsl: "1.0 / v", grad: true },
  rsqrt: { wgsl: "inverseSqrt(v)", grad: true },
  gtScalar: { wgsl: "select(0.0, 1.0, v > p.alpha)", grad: false },
  affine: { wgsl: "v * p.alpha + p.beta", grad: true },
} as const satisfies Record<string, ElementwiseOp>;

/**
 * The broadcasting binary ops, in op-code order; `fn f` of `shaders/binary.wgsl` is
 * generated from this table.
 */
export const BINARY_OPS = {
  add: { wgsl: "x + y", grad: true },
  sub: { wgsl: "x - y", grad: true },
  mul: { wgsl: "x * y", grad: true },
  div: { wgsl: "x / y", grad: true },
  maximum: { wgsl: "max(x, y)", grad: true },
  minimum: { wgsl: "min(x, y)", grad: true },
  pow: { wgsl: "pow(x, y)", grad: true },
  eq: { wgsl: "select(0.0, 1.0, x == y)", grad: false },
  gt: { wgsl: "select(0.0, 1.0, x > y)", grad: false },
  // The fused backward of relu: the gradient x where the input y is positive.
  reluGrad: { wgsl: "select(0.0, x, y > 0.0)", grad: false },
  ge: { wgsl: "select(0.0, 1.0, x >= y)", grad: false },
} as const satisfies Record<string, ElementwiseOp>;

type UnaryName = keyof typeof UNARY_OPS;
type BinaryName = keyof typeof BINARY_OPS;
/** The names of the table's ops whose outputs carry a gradient. */
export type Differentiable<T extends Record<string, ElementwiseOp>> = {
  [K in keyof T]: T[K]["grad"] extends true ? K : never;
}[keyof T];
/** Unary ops that record themselves on the tape. */
export type DifferentiableUnary = Differentiable<typeof UNARY_OPS>;
/** Binary ops that record themselves on the tape. */
export type DifferentiableBinary = Differentiable<typeof BINARY_OPS>;
/** What a unary op records: its scalar operands (0 where unused). */
export interface ScalarAttrs {
  /** The first scalar operand (e.g. the constant of `addScalar`, the factor of `mulScalar`). */
  alpha: number;
  /** The second scalar operand, where the op has one (e.g. the upper bound of `clamp`). */
  beta: number;
}

/**
 * The WGSL `fn f` of an elementwise shader: a `switch` on the override constant `OP` (so
 * each pipeline keeps one branch), one case per table entry, op code = position in the table.
 */
function elementwiseFunction(table: Record<string, ElementwiseOp>, params: string): string {
  const cases = Object.values(table).map((op, code) => `    case ${code}u: { return ${op.wgsl}; }`);
  return [
    `fn f(${params}) -> f32 {`,
    "  switch OP {",
    ...cases,
    `    default: { return ${params.split(":")[0]}; }`,
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Op code = position in the table, looked up once here rather than per launch. */
const codes = (table: Record<string, ElementwiseOp>) =>
  Object.fromEntries(Object.keys(table).map((name, code) => [name, code])) as Record<string, number>;
const UNARY_CODE = codes(UNARY_OPS);
const BINARY_CODE = codes(BINARY_OPS);
/** `fn fv`: f on each component of its V operands (one or two), for a kernel of `lanes` width. */
function componentwise(arity: 1 | 2, lanes: Lanes): string {
  const args = arity === 1 ? ["v"] : ["x", "y"];
  const params = args.map((a) => `${a}: V`).join(", ");
  const call = (c: string) => `f(${args.map((a) => a + c).join(", ")})`;
  const body = lanes === 1 ? call("") : `V(${[".x", ".y", ".z", ".w"].map(call).join(", ")})`;
  return `fn fv(${params}) -> V { return ${body}; }\n`;
}

const UNARY_SRC = laneSources(unarySrc, (lanes) => ({
  elementwise: elementwiseFunction(UNARY_OPS, "v: f32") + componentwise(1, lanes),
}));
const BINARY_SRC = laneSources(binarySrc, (lanes) => ({
  elementwise: elementwiseFunction(BINARY_OPS, "x: f32, y: f32") + componentwise(2, lanes),
}));

const unaryHasGrad = (op: UnaryName): op is DifferentiableUnary => UNARY_OPS[op].grad;
const binaryHasGrad = (op: BinaryName): op is DifferentiableBinary => BINARY_OPS[op].grad;

function unary(op: UnaryName, x: Tensor, alpha = 0, beta = 0): Tensor {
  const out = Tensor.empty(x.shape);
  const lanes = lanesFor(x.size), n = x.size / lanes;
  const params = new Params().u32(n).f32(alpha, beta).bytes();
  const name = `unary${lanes === 4 ? "4" : ""}.${op}`;
  launch(name, UNARY_SRC[lanes], { OP: UNARY_CODE[op] }, [x, out], params, gridStride(n, 256, 16 / lanes));
  return unaryHasGrad(op) ? record(op, [x], out, { alpha, beta }) : out;
}

function binary(op: BinaryName, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape);
  if (shape.length > 8) throw new Error(`${op}: rank ${shape.length} exceeds 8`);
  const out = Tensor.empty(shape);
  const n = out.size;
  let mode = 2;
  if (sameShape(a.shape, shape) && sameShape(b.shape, shape)) mode = 0;
  else if (sameShape(a.shape, shape) && b.size === 1) mode = 1;
  const lanes = mode === 0 ? lanesFor(n) : 1, nv = n / lanes;
  const params = new Params().u32(nv, shape.length, 0, 0)
    .u32s(shape, 8, 1).u32s(broadcastStrides(a.shape, shape), 8).u32s(broadcastStrides(b.shape, shape), 8)
    .bytes();
  const consts = { OP: BINARY_CODE[op], MODE: mode };
  const name = `binary${lanes === 4 ? "4" : ""}.${op}`;
  launch(name, BINARY_SRC[lanes], consts, [a, b, out], params, gridStride(nv, 256, 16 / lanes));
  return binaryHasGrad(op) ? record(op, [a, b], out) : out;
}

/** -x */
export const neg = (x: Tensor): Tensor => unary("neg", x);
/** max(x, 0) */
export const relu = (x: Tensor): Tensor => unary("relu", x);
/** e^x */
export const exp = (x: Tensor): Tensor => unary("exp", x);
/** natural logarithm */
export const log = (x: Tensor): Tensor => unary("log", x);
/** square root */
export const sqrt = (x: Tensor): Tensor => unary("sqrt", x);
/** x^2 */
export const square = (x: Tensor): Tensor => unary("square", x);
/** |x| */
export const abs = (x: Tensor): Tensor => unary("abs", x);
/** 1/x */
export const reciprocal = (x: Tensor): Tensor => unary("reciprocal", x);
/** 1/sqrt(x) */
export const rsqrt = (x: Tensor): Tensor => unary("rsqrt", x);
/** x + s */
export const addScalar = (x: Tensor, s: number): Tensor => unary("addScalar", x, s);
/** x * s */
export const mulScalar = (x: Tensor, s: number): Tensor => unary("mulScalar", x, s);
/** s - x */
export const rsubScalar = (x: Tensor, s: number): Tensor => unary("rsubScalar", x, s);
/** s / x */
export const rdivScalar = (x: Tensor, s: number): Tensor => unary("rdivScalar", x, s);
/** x^s */
export const powScalar = (x: Tensor, s: number): Tensor => unary("powScalar", x, s);
/** x * a + b */
export const affine = (x: Tensor, a: number, b: number): Tensor => unary("affine", x, a, b);
/** min(max(x, lo), hi) */
export const clamp = (x: Tensor, lo: number, hi: number): Tensor => unary("clamp", x, lo, hi);
/** 1 where lo <= x <= hi, else 0 (no gradient). */
export const inRange = (x: Tensor, lo: number, hi: number): Tensor => unary("inRange", x, lo, hi);
/** 1 where x > s, else 0 (no gradient). */
export const gtScalar = (x: Tensor, s: number): Tensor => unary("gtScalar", x, s);
/** sign(x) (no gradient). */
export const sign = (x: Tensor): Tensor => unary("sign", x);

/** a + b, broadcasting; a number is added as a scalar. */
export const add = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === "number" ? addScalar(a, b) : binary("add", a, b);
/** a - b, broadcasting. */
export const sub = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === "number" ? addScalar(a, -b) : binary("sub", a, b);
/** a * b, broadcasting. */
export const mul = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === "number" ? mulScalar(a, b) : binary("mul", a, b);
/** a / b, broadcasting. */
export const div = (a: Tensor, b: Tensor | number): Tensor =>
  typeof b === "number" ? mulScalar(a, 1 / b) : binary("div", a, b);
/** elementwise maximum, broadcasting */
export const maximum = (a: Tensor, b: Tensor): Tensor => binary("maximum", a, b);
/** elementwise minimum, broadcasting */
export const minimum = (a: Tensor, b: Tensor): Tensor => binary("minimum", a, b);
/** 1 where a == b, else 0 (no gradient). */
export const eq = (a: Tensor, b: Tensor): Tensor => binary("eq", a, b);
/** 1 where a > b, else 0 (no gradient). */
export const gt = (a: Tensor, b: Tensor): Tensor => binary("gt", a, b);
/** 1 where a >= b, else 0 (no gradient). */
export const ge = (a: Tensor, b: Tensor): Tensor => binary("ge", a, b);
/** g where x > 0, else 0: the fused backward of relu (no gradient of its own). */
export const reluGrad = (g: Tensor, x: Tensor): Tensor => binary("reluGrad", g, x);

/** cond != 0 ? a : b, broadcasting all three; gradients flow to a and b. */
export function where(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(broadcastShapes(cond.shape, a.shape), b.shape);
  if (shape.length > 8) throw new Error(`where: rank ${shape.length} exceeds 8`);
  const out = Tensor.empty(shape);
  const params = new Params().u32(out.size, shape.length, 0, 0).u32s(shape, 8, 1)
    .u32s(broadcastStrides(cond.shape, shape), 8).u32s(broadcastStrides(a.shape, shape), 8)
    .u32s(broadcastStrides(b.shape, shape), 8).bytes();
  launch("where", whereSrc, {}, [cond, a, b, out], params, gridStride(out.size));
  return record("where", [a, b], out, { cond });
}

/**
 * Zero fills of at least this many elements are buffer clears (a memset under llvmpipe, ~4x
 * faster than the kernel on an 11M-float gradient); smaller ones stay dispatches in the same
 * compute pass.
 */
const CLEAR_MIN_ELEMENTS = 1 << 16;

/** Overwrites every element of `t` with `value` (in place, not recorded). */
export function fill_(t: Tensor, value: number): Tensor {
  if (Object.is(value, 0) && t.size >= CLEAR_MIN_ELEMENTS) { // +0 only: a clear writes zero bits
    const r = t.range;
    runtime().clear(r.buffer, r.offset, t.size * 4);
    return t;
  }
  const lanes = lanesFor(t.size), n = t.size / lanes;
  const params = new Params().u32(n).f32(value).bytes();
  launch(`fill${lanes === 4 ? "4" : ""}`, fillSrc[lanes], {}, [t], params, gridStride(n, 256, 16 / lanes));
  return t;
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: Shape, value: number): Tensor {
  return fill_(Tensor.empty(shape), value);
}

/** A tensor of zeros. */
export const zeros = (shape: Shape): Tensor => full(shape, 0);
/** A tensor of ones. */
export const ones = (shape: Shape): Tensor => full(shape, 1);

/** A tensor from CPU values; `shape` defaults to 1-D. */
export function tensor(values: ArrayLike<number>, shape: Shape = [values.length]): Tensor {
  if (sizeOf(shape) !== values.length) {
    throw new Error(`tensor(): ${values.length} values do not fill shape [${shape}]`);
  }
  const t = Tensor.empty(shape);
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  if (data.length) runtime().write(t.storage.buffer, t.offset, data);
  return t;
}

/** A one-element tensor of shape [] holding `v`. */
export const scalar = (v: number): Tensor => tensor([v], []);

/** Overwrites `t` with CPU values (in place, not recorded). */
export function write_(t: Tensor, values: Float32Array): Tensor {
  if (values.length !== t.size) throw new Error(`write_: ${values.length} values for a tensor of ${t.size}`);
  runtime().write(t.storage.buffer, t.offset, values);
  return t;
}
