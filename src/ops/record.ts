/**
 * The typed front of the tape: every differentiable op's name and attribute type.
 *
 * {@link OpAttrs} is the one list of recorded ops. An op records itself with
 * {@link record}, which only accepts a name from that list together with the attributes of
 * that op; the backward-rule table in `src/autograd/rules.ts` is typed
 * `{ [P in OpName]: Rule<P> }`, so adding an op here without its rule (or a rule without
 * an op) is a type error.
 *
 * @module
 */
import { attach } from "../tape/tape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Shape } from "../tensor/shape.ts";
import type { DifferentiableBinary, DifferentiableUnary, ScalarAttrs } from "./elementwise.ts";
import type { ConvGeometry } from "./conv.ts";
import type { BatchNormGeometry } from "./batch_norm.ts";
import type { PoolGeometry } from "./pool.ts";

/**
 * A lazily computed input gradient, as backward rules return them. `withAddend`, where a rule
 * offers it, returns that gradient plus `addend` (the gradient already accumulated for the same
 * input) from the gradient's own last pass, so the autograd needs no separate add over the map.
 */
export type GradThunk = ((() => Tensor) & { withAddend?: (addend: Tensor) => Tensor }) | null;

/** Attributes of an op that has none. */
export type NoAttrs = Record<never, never>;

/** The unary elementwise ops: each keeps its two scalar operands (unused ones are 0). */
export type UnaryAttrs = { [P in DifferentiableUnary]: ScalarAttrs };
/** The broadcasting binary elementwise ops: no attributes. */
export type BinaryAttrs = { [P in DifferentiableBinary]: NoAttrs };

/** Every recorded op: its name and the attributes its backward rule reads. */
export interface OpAttrs extends UnaryAttrs, BinaryAttrs {
  /** The mask is an input without a gradient, so it travels as an attribute. */
  where: { cond: Tensor };
  /** `shape`: the input's shape, restored by the gradient. */
  reshape: { shape: Shape };
  /** `perm`: the axis order applied by the forward (inverted by the gradient). */
  permute: { perm: readonly number[] };
  /** `shape`: the input's shape, which the gradient is summed back to. */
  broadcastTo: { shape: Shape };
  /** `shape`: the input's shape; `axes`: the reduced axes, normalised. */
  sum: { shape: Shape; axes: number[] };
  /** `shape`: the input's shape; `axes`: the reduced axes, normalised. */
  max: { shape: Shape; axes: number[] };
  /** Which operands the forward transposed. */
  matmul: { transA: boolean; transB: boolean };
  /**
   * `geom`: strides, padding and the shapes the gradients need; `saved`: the transformed input
   * the forward kept for the weight gradient (Winograd input tiles, or a folded convolution's
   * transposed im2col columns; src/ops/conv.ts), or null.
   */
  conv2d: { geom: ConvGeometry; saved?: Tensor | null };
  /**
   * `stats`: the forward's mean and inverse deviation; `batch`: whether they were batch
   * statistics; `relu`: whether the output is relu(batch_norm(x)), fused.
   */
  batchNorm2d: { stats: Tensor; geom: BatchNormGeometry; batch: boolean; relu: boolean };
  /** `geom`: the pooling window; `argmax`: where each output came from. */
  maxPool2d: { geom: PoolGeometry; argmax: Tensor };
  /** `geom`: the pooling window. */
  avgPool2d: { geom: PoolGeometry };
  /** `axis`: the padded axis (the input fills its first entries). */
  padChannels: { axis: number };
  /** `axis`: the axis along which the narrow input fills the first entries. */
  addPadded: { axis: number };
  /** The mask is recomputed from (seed, salt) rather than stored. */
  dropout: { p: number; seed: number; salt: number };
  /** No attributes: the gradient is computed from the output. */
  logSoftmax: NoAttrs;
  /** `labels`: the target class per row; `scale`: the factor on each row (1/N for the mean). */
  nllRows: { labels: Tensor; scale: number };
  /** `scale`: the factor applied to the logits before the softmax. */
  softmax: { scale: number };
  /** No attributes (erf form). */
  gelu: NoAttrs;
  /** `stats`: the forward's mean and inverse deviation per row. */
  layerNorm: { stats: Tensor };
  /** `axis` and the inputs' `sizes` along it, to split the gradient. */
  concat: { axis: number; sizes: number[] };
  /** The slice taken (`axis`, `start`) and the input's `shape`, to place the gradient. */
  narrow: { axis: number; start: number; shape: Shape };
}

/** The name of a recorded op. */
export type OpName = keyof OpAttrs;

/** The attribute argument of {@link record}: optional exactly when the op has no attributes. */
type AttrsArg<P extends OpName> = NoAttrs extends OpAttrs[P] ? [attrs?: OpAttrs[P]] : [attrs: OpAttrs[P]];

/**
 * Records `out = op(inputs; attrs)` on the tape when any input requires a gradient (and not
 * under `noGrad`); returns `out`.
 */
export function record<P extends OpName>(
  op: P,
  inputs: Tensor[],
  out: Tensor,
  ...attrs: AttrsArg<P>
): Tensor {
  return attach(out, { op, inputs, attrs: attrs[0] ?? {} });
}
