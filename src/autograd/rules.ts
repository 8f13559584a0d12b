/**
 * The backward rule of every differentiable op, one entry per op.
 *
 * A rule receives the output gradient `g`, the op's inputs, its output and attributes,
 * and returns one thunk per input (or null where the input has no gradient). The engine
 * only calls the thunks of inputs that require a gradient, so e.g. a first conv layer never
 * computes the gradient of its input images. Rules are written with the ops themselves and
 * run under no-grad. Broadcasting ops reduce their gradients back with `sumTo`.
 *
 * The table is typed `{ [P in OpName]: Rule<P> }` over the op list of `src/ops/record.ts`:
 * each rule sees its op's attribute type, and an op without a rule is a type error.
 * Adding an op = one kernel, its entry in `OpAttrs`, and one line here.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import type { GradThunk, OpAttrs, OpName } from "../ops/record.ts";
import * as E from "../ops/elementwise.ts";
import { logSoftmaxBackward, nllRowsBackward } from "../ops/loss.ts";
import { matmul } from "../ops/matmul.ts";
import { broadcastTo, permute, reshape } from "../ops/shape_ops.ts";
import { keepDims, sumTo } from "../ops/reduce.ts";
import { conv2dBackwardInput, conv2dBackwardWeight } from "../ops/conv.ts";
import { batchNorm2dBackward } from "../ops/batch_norm.ts";
import { avgPool2dBackward, maxPool2dBackward } from "../ops/pool.ts";
import { dropoutBackward } from "../ops/dropout.ts";
import { softmaxBackward } from "../ops/softmax.ts";
import { geluBackward } from "../ops/gelu.ts";
import { layerNormBackward } from "../ops/layer_norm.ts";
import { concatBackward, narrowBackward } from "../ops/concat.ts";
import { sliceChannels } from "../ops/pad_channels.ts";

/** Lazily computed input gradient (see {@link GradThunk} of src/ops/record.ts). */
export type { GradThunk };
/** The backward rule of op `P`; see the module documentation. */
export type Rule<P extends OpName = OpName> = (
  g: Tensor,
  inputs: Tensor[],
  out: Tensor,
  attrs: OpAttrs[P],
) => GradThunk[];

/** One backward rule per recorded op: a missing or extra entry is a type error. */
export type RuleTable = { readonly [P in OpName]: Rule<P> };

const ub = (g: Tensor, like: Tensor) => sumTo(g, like.shape);
const keepShape = (t: Tensor, shape: readonly number[]) => reshape(t, shape);

/** The rule table: op name -> backward rule. */
export const RULES: RuleTable = {
  neg: (g) => [() => E.neg(g)],
  relu: (g, [x]) => [() => E.reluGrad(g, x)],
  exp: (g, _i, out) => [() => E.mul(g, out)],
  log: (g, [x]) => [() => E.div(g, x)],
  sqrt: (g, _i, out) => [() => E.div(g, E.mulScalar(out, 2))],
  square: (g, [x]) => [() => E.mul(g, E.mulScalar(x, 2))],
  abs: (g, [x]) => [() => E.mul(g, E.sign(x))],
  reciprocal: (g, _i, out) => [() => E.neg(E.mul(g, E.square(out)))],
  rsqrt: (g, _i, out) => [() => E.mul(g, E.mulScalar(E.powScalar(out, 3), -0.5))],
  addScalar: (g) => [() => g],
  mulScalar: (g, _i, _o, { alpha }) => [() => E.mulScalar(g, alpha)],
  affine: (g, _i, _o, { alpha }) => [() => E.mulScalar(g, alpha)],
  rsubScalar: (g) => [() => E.neg(g)],
  rdivScalar: (g, [x], out) => [() => E.neg(E.div(E.mul(g, out), x))],
  powScalar: (g, [x], _o, { alpha }) => [() => E.mul(g, E.mulScalar(E.powScalar(x, alpha - 1), alpha))],
  clamp: (g, [x], _o, { alpha, beta }) => [() => E.mul(g, E.inRange(x, alpha, beta))],
  add: (g, [a, b]) => [() => ub(g, a), () => ub(g, b)],
  sub: (g, [a, b]) => [() => ub(g, a), () => ub(E.neg(g), b)],
  mul: (g, [a, b]) => [() => ub(E.mul(g, b), a), () => ub(E.mul(g, a), b)],
  div: (g, [a, b], out) => [() => ub(E.div(g, b), a), () => ub(E.neg(E.div(E.mul(g, out), b)), b)],
  maximum: (g, [a, b]) => [() => ub(E.mul(g, E.ge(a, b)), a), () => ub(E.mul(g, E.gt(b, a)), b)],
  minimum: (g, [a, b]) => [() => ub(E.mul(g, E.ge(b, a)), a), () => ub(E.mul(g, E.gt(a, b)), b)],
  pow: (g, [a, b], out) => [
    () => ub(E.mul(g, E.mul(b, E.div(out, a))), a),
    () => ub(E.mul(g, E.mul(out, E.log(a))), b),
  ],
  where: (g, [a, b], _o, { cond }) => [
    () => ub(E.where(cond, g, E.zeros([])), a),
    () => ub(E.where(cond, E.zeros([]), g), b),
  ],
  reshape: (g, _i, _o, { shape }) => [() => keepShape(g, shape)],
  permute: (g, _i, _o, { perm }) => [() => permute(g, inversePermutation(perm))],
  broadcastTo: (g, _i, _o, { shape }) => [() => sumTo(g, shape)],
  sum: (g, _i, _o, { shape, axes }) => [() => broadcastTo(reshape(g, keepDims(shape, axes)), shape)],
  max: (g, [x], out, { shape, axes }) => [() => {
    const o = reshape(out, keepDims(shape, axes)), gk = reshape(g, keepDims(shape, axes));
    return E.mul(E.eq(x, o), gk);
  }],
  matmul: (g, [a, b], _o, { transA, transB }) => [
    // C = op(A) op(B): dA = g op(B)^T (transposed back if A was), dB = op(A)^T g likewise.
    () => ub(transA ? matmul(b, g, transB, true) : matmul(g, b, false, !transB), a),
    () => ub(transB ? matmul(g, a, true, transA) : matmul(a, g, !transA, false), b),
  ],
  conv2d: (g, [x, w], _o, { geom, saved }) => [
    Object.assign(() => conv2dBackwardInput(g, w, geom), {
      withAddend: (addend: Tensor) => conv2dBackwardInput(g, w, geom, addend),
    }),
    () => conv2dBackwardWeight(g, x, geom, saved ?? null),
  ],
  batchNorm2d: (g, [x, w, b], _o, { stats, geom, batch, relu }) =>
    batchNorm2dBackward(g, x, w, stats, geom, batch, relu ? b : null),
  maxPool2d: (g, _i, _o, { geom, argmax }) => [() => maxPool2dBackward(g, argmax, geom)],
  avgPool2d: (g, _i, _o, { geom }) => [() => avgPool2dBackward(g, geom)],
  padChannels: (g, [x], _o, { axis }) => [() => sliceChannels(g, x.shape[axis], axis)],
  addPadded: (g, [, narrow], _o, { axis }) => [() => g, () => sliceChannels(g, narrow.shape[axis], axis)],
  dropout: (g, _i, _o, { p, seed, salt }) => [() => dropoutBackward(g, p, seed, salt)],
  logSoftmax: (g, _i, out) => [() => logSoftmaxBackward(g, out)],
  nllRows: (g, [logp], _o, { labels, scale }) => [() => nllRowsBackward(g, labels, logp.shape[1], scale)],
  softmax: (g, _i, out, { scale }) => [() => softmaxBackward(g, out, scale)],
  gelu: (g, [x]) => [() => geluBackward(g, x)],
  layerNorm: (g, [x, w], _o, { stats }) => layerNormBackward(g, x, w, stats),
  concat: (g, inputs, _o, { axis, sizes }) => inputs.map((_, i) => () => concatBackward(g, axis, sizes, i)),
  narrow: (g, _i, _o, { axis, start, shape }) => [() => narrowBackward(g, axis, start, shape)],
};

function inversePermutation(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** The rule of a recorded node's op, or undefined for a name outside the table. */
export function ruleOf(op: string): Rule | undefined {
  return Object.hasOwn(RULES, op) ? (RULES[op as OpName] as Rule) : undefined;
}
