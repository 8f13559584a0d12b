/**
 * Softmax over the last axis, numerically stable, with an optional fused input scale
 * (softmax(scale * x), the form attention uses for its 1/sqrt(d) so that the scores need no
 * separate scaling pass), and its backward.
 * @module
 */
import softmaxSrc from "../../shaders/softmax.wgsl" with { type: "text" };
import softmaxGradSrc from "../../shaders/softmax_grad.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { grid, launch } from "./launch.ts";

function rowsOf(x: Tensor, what: string): [number, number] {
  if (x.rank < 1) throw new Error(`${what}: needs at least one axis, got a scalar`);
  const C = x.shape[x.rank - 1];
  return [C === 0 ? 0 : x.size / C, C];
}

/**
 * softmax(scale * x) over the last axis of x (any rank). With `valid` < the last extent, only the
 * first `valid` columns take part and the rest get probability 0 (padding columns).
 */
export function softmax(x: Tensor, scale = 1, valid?: number): Tensor {
  const [rows, C] = rowsOf(x, "softmax");
  const v = valid ?? C;
  if (!Number.isInteger(v) || v < 1 || v > C) throw new Error(`softmax: ${valid} valid columns of ${C}`);
  const out = Tensor.empty(x.shape);
  if (out.size) {
    const params = new Params().u32(rows, C).f32(scale).u32(v).bytes();
    launch("softmax", softmaxSrc, {}, [x, out], params, grid(rows, 64));
  }
  return record("softmax", [x], out, { scale });
}

/** Backward of {@link softmax} given its output y: scale * y * (g - rowsum(g * y)) (0 where y is padding). */
export function softmaxBackward(g: Tensor, y: Tensor, scale: number): Tensor {
  const [rows, C] = rowsOf(y, "softmaxBackward");
  const dx = Tensor.empty(y.shape);
  if (dx.size) {
    const params = new Params().u32(rows, C).f32(scale).bytes();
    launch("softmax_grad", softmaxGradSrc, {}, [g, y, dx], params, grid(rows, 64));
  }
  return dx;
}
