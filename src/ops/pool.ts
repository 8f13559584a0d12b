/**
 * Pooling over NCHW (PyTorch's semantics, ceil_mode included): max pooling (the argmax is stored in forward and backward routes each
 * gradient to it), average pooling with PyTorch's divisors, and global average pooling.
 * Backward passes are gathers over the covering windows, so no atomics are needed and results
 * are deterministic. Geometry is compiled into the kernels (one pipeline per layer shape).
 *
 * @module
 */
import maxSrcText from "../../shaders/pool_max.wgsl" with { type: "text" };
import maxGradSrcText from "../../shaders/pool_max_grad.wgsl" with { type: "text" };
import avgSrcText from "../../shaders/pool_avg.wgsl" with { type: "text" };
import avgGradSrcText from "../../shaders/pool_avg_grad.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { launch, shaderSource } from "./launch.ts";
import { reshape } from "./shape_ops.ts";

const maxSrc = shaderSource(maxSrcText);
const maxGradSrc = shaderSource(maxGradSrcText);
const avgSrc = shaderSource(avgSrcText);
const avgGradSrc = shaderSource(avgGradSrcText);

/** A size along (height, width): one number for both, or a pair. */
export type Size2 = number | readonly [number, number];

/** Pooling window, stride (default: the kernel size, as PyTorch) and zero padding. */
export interface Pool2dOptions {
  /** Window size. */
  kernel: Size2;
  /** Step between windows (default: the window size). */
  stride?: Size2;
  /** Implicit padding on both sides (at most half the window). */
  padding?: Size2;
  /** Average pooling only: count padded positions in the divisor (PyTorch's default, true). */
  countIncludePad?: boolean;
  /**
   * Round the output size up (PyTorch's ceil_mode): a last, partial window is kept when it starts
   * inside the input or its left padding. Default false.
   */
  ceilMode?: boolean;
}

/** Shapes of one pooling layer. */
export interface PoolGeometry {
  /** Batch size. */
  N: number;
  /** Channels. */
  C: number;
  /** Input height. */
  H: number;
  /** Input width. */
  W: number;
  /** Window height. */
  KH: number;
  /** Window width. */
  KW: number;
  /** Vertical stride. */
  SH: number;
  /** Horizontal stride. */
  SW: number;
  /** Vertical padding. */
  PH: number;
  /** Horizontal padding. */
  PW: number;
  /** Output height. */
  OH: number;
  /** Output width. */
  OW: number;
  /** Average pooling: whether padded positions count in the divisor. */
  includePad: boolean;
}

const pair = (v: Size2): [number, number] => (typeof v === "number" ? [v, v] : [v[0], v[1]]);

/** PyTorch's pooling output size along one axis. */
function outSize(n: number, k: number, s: number, p: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1;
  // In ceil mode the last window must start inside the input or its left padding.
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function poolGeometry(what: string, x: Tensor, o: Pool2dOptions): PoolGeometry {
  if (x.rank !== 4) throw new Error(`${what}: input must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  const [KH, KW] = pair(o.kernel), [SH, SW] = pair(o.stride ?? o.kernel), [PH, PW] = pair(o.padding ?? 0);
  const ints = [KH, KW, SH, SW].every((v) => Number.isInteger(v) && v >= 1) &&
    [PH, PW].every((v) => Number.isInteger(v) && v >= 0);
  if (!ints) throw new Error(`${what}: kernel ${KH}x${KW}, stride ${SH}x${SW}, padding ${PH}x${PW} invalid`);
  if (2 * PH > KH || 2 * PW > KW) {
    throw new Error(`${what}: padding ${PH}x${PW} must be at most half the kernel ${KH}x${KW}`);
  }
  const OH = outSize(H, KH, SH, PH, o.ceilMode ?? false), OW = outSize(W, KW, SW, PW, o.ceilMode ?? false);
  if (OH < 1 || OW < 1) throw new Error(`${what}: kernel ${KH}x${KW} larger than padded input ${H}x${W}`);
  return { N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, includePad: o.countIncludePad ?? true };
}

function constants(g: PoolGeometry) {
  const { H, W, KH, KW, SH, SW, PH, PW, OH, OW } = g;
  return { H, W, KH, KW, SH, SW, PH, PW, OH, OW };
}

/** Workgroups of 256 for a grid-stride loop over n elements, about 4 elements per invocation. */
function strideGroups(n: number): number[] {
  return [Math.max(1, Math.min(65535, Math.ceil(n / 1024)))];
}

const sizeParams = (n: number) => new Params().u32(n).bytes();

/** max_pool2d(x) as PyTorch's (dilation 1). */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const g = poolGeometry("maxPool2d", x, opts);
  const out = Tensor.empty([g.N, g.C, g.OH, g.OW]);
  const argmax = Tensor.empty(out.shape);
  launch("max_pool", maxSrc, constants(g), [x, out, argmax], sizeParams(out.size), strideGroups(out.size));
  record("maxPool2d", [x], out, { geom: g, argmax });
  if (!out.node) argmax.dispose();
  return out;
}

/** Gradient of maxPool2d: g routed to the recorded argmax of each window. */
export function maxPool2dBackward(g: Tensor, argmax: Tensor, geom: PoolGeometry): Tensor {
  const dx = Tensor.empty([geom.N, geom.C, geom.H, geom.W]);
  launch(
    "max_pool_grad",
    maxGradSrc,
    constants(geom),
    [g, argmax, dx],
    sizeParams(dx.size),
    strideGroups(dx.size),
  );
  return dx;
}

/** avg_pool2d(x) as PyTorch's (count_include_pad by default). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  const g = poolGeometry("avgPool2d", x, opts);
  const out = Tensor.empty([g.N, g.C, g.OH, g.OW]);
  const consts = { ...constants(g), INCLUDE_PAD: g.includePad ? 1 : 0 };
  launch("avg_pool", avgSrc, consts, [x, out], sizeParams(out.size), strideGroups(out.size));
  return record("avgPool2d", [x], out, { geom: g });
}

/** Gradient of avgPool2d. */
export function avgPool2dBackward(g: Tensor, geom: PoolGeometry): Tensor {
  const dx = Tensor.empty([geom.N, geom.C, geom.H, geom.W]);
  const consts = { ...constants(geom), INCLUDE_PAD: geom.includePad ? 1 : 0 };
  launch("avg_pool_grad", avgGradSrc, consts, [g, dx], sizeParams(dx.size), strideGroups(dx.size));
  return dx;
}

/** adaptive_avg_pool2d(x, 1): the mean of each plane, shape [N, C, 1, 1]. */
export function adaptiveAvgPool2d1(x: Tensor): Tensor {
  if (x.rank !== 4) throw new Error(`adaptiveAvgPool2d: input must be [N, C, H, W], got [${x.shape}]`);
  return avgPool2d(x, { kernel: [x.shape[2], x.shape[3]] });
}

/** Global average pooling: the mean of each plane, shape [N, C] (ready for a linear layer). */
export function globalAvgPool(x: Tensor): Tensor {
  const y = adaptiveAvgPool2d1(x);
  return reshape(y, [x.shape[0], x.shape[1]]);
}
