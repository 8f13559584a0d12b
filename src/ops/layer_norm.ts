/**
 * Layer normalisation over the last axis with an affine weight and bias, as PyTorch's
 * `F.layer_norm(x, [D], weight, bias, eps)` (biased variance, default eps 1e-5; timm's ViT uses
 * 1e-6). The forward pass saves each row's mean and 1/sqrt(var + eps) for the backward pass.
 * @module
 */
import layerNormSrc from "../../shaders/layer_norm.wgsl" with { type: "text" };
import layerNormGradSrc from "../../shaders/layer_norm_grad.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { grid, launch } from "./launch.ts";
import { sum } from "./reduce.ts";

/** PyTorch's default eps of nn.LayerNorm. */
export const LAYER_NORM_EPS = 1e-5;

function rowsOf(x: Tensor, w: Tensor, b: Tensor): [number, number] {
  const D = x.shape[x.rank - 1];
  if (x.rank < 1 || !D) throw new Error(`layerNorm: input needs a non-empty last axis, got [${x.shape}]`);
  for (const [name, t] of [["weight", w], ["bias", b]] as const) {
    if (t.rank !== 1 || t.shape[0] !== D) {
      throw new Error(`layerNorm: ${name} must have shape [${D}], got [${t.shape}]`);
    }
  }
  return [x.size / D, D];
}

/** layer_norm(x) over the last axis: (x - mean) / sqrt(var + eps) * weight + bias. */
export function layerNorm(x: Tensor, weight: Tensor, bias: Tensor, eps = LAYER_NORM_EPS): Tensor {
  const [rows, D] = rowsOf(x, weight, bias);
  const out = Tensor.empty(x.shape);
  const stats = Tensor.empty([rows, 2]);
  const params = new Params().u32(rows, D).f32(eps).bytes();
  launch("layer_norm", layerNormSrc, {}, [x, weight, bias, out, stats], params, grid(rows, 64));
  record("layerNorm", [x, weight, bias], out, { stats });
  if (!out.node) stats.dispose();
  return out;
}

/** Lazily computed input gradient, as the rule table's thunks. */
type Thunk = (() => Tensor) | null;

/**
 * Gradients of {@link layerNorm} for x, weight and bias. The input gradient and the per-row
 * weight terms come from one kernel, run once even when both are asked for.
 */
export function layerNormBackward(g: Tensor, x: Tensor, weight: Tensor, stats: Tensor): Thunk[] {
  const D = x.shape[x.rank - 1], rows = x.size / D;
  let done: { dx: Tensor; gxhat: Tensor } | null = null;
  const run = () => {
    if (done) return done;
    const dx = Tensor.empty(x.shape), gxhat = Tensor.empty([rows, D]);
    const params = new Params().u32(rows, D).bytes();
    launch("layer_norm_grad", layerNormGradSrc, {}, [g, x, weight, stats, dx, gxhat], params, grid(rows, 64));
    return (done = { dx, gxhat });
  };
  return [
    () => run().dx,
    () => sum(run().gxhat, 0),
    () => sum(g.view([rows, D]), 0),
  ];
}
