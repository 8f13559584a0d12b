/**
 * Shape ops: reshape (a view), permute/transpose (a copy), broadcastTo.
 * @module
 */
import permuteSrcText from "../../shaders/permute.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { broadcastShapes, broadcastStrides, type Shape, sizeOf, stridesOf } from "../tensor/shape.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";

const permuteSrc = shaderSource(permuteSrcText);

/** The same data with another shape; one extent may be -1 (inferred). No copy. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const hole = s.indexOf(-1);
  if (hole >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== hole));
    s[hole] = rest === 0 ? 0 : x.size / rest;
  }
  if (sizeOf(s) !== x.size || s.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: cannot reshape [${x.shape}] to [${shape}]`);
  }
  return record("reshape", [x], x.view(s), { shape: x.shape });
}

/** Flattens all dimensions from `start` on into one. */
export function flatten(x: Tensor, start = 1): Tensor {
  return reshape(x, [...x.shape.slice(0, start), -1]);
}

/** Strided gather: out has shape `outShape`, reading x with strides `sx` (one per out dim). */
function gather(name: string, x: Tensor, outShape: number[], sx: number[]): Tensor {
  if (outShape.length > 8) throw new Error(`${name}: rank ${outShape.length} exceeds 8`);
  const out = Tensor.empty(outShape);
  const params = new Params().u32(out.size, outShape.length, 0, 0).u32s(outShape, 8, 1).u32s(sx, 8).bytes();
  launch(name, permuteSrc, {}, [x, out], params, gridStride(out.size));
  return out;
}

/** Reorders dimensions: out.shape[i] = x.shape[perm[i]]. Copies. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new Error(`permute: [${perm}] is not a permutation of ${x.rank} axes`);
  }
  const st = stridesOf(x.shape);
  const out = gather("permute", x, perm.map((p) => x.shape[p]), perm.map((p) => st[p]));
  return record("permute", [x], out, { perm });
}

/** Swaps the last two dimensions (or two given ones). Copies. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const r = x.rank;
  const perm = [...Array(r).keys()];
  const ia = a < 0 ? a + r : a, ib = b < 0 ? b + r : b;
  [perm[ia], perm[ib]] = [perm[ib], perm[ia]];
  return permute(x, perm);
}

/** Materialises x broadcast to `shape`. */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const to = broadcastShapes(x.shape, shape);
  if (to.length !== shape.length || to.some((d, i) => d !== shape[i])) {
    throw new Error(`broadcastTo: cannot broadcast [${x.shape}] to [${shape}]`);
  }
  const out = gather("broadcast", x, [...shape], broadcastStrides(x.shape, shape));
  return record("broadcastTo", [x], out, { shape: x.shape });
}

/** out[i] = x[strided index], out of shape `outShape` with input strides `strides` (no gradient). */
export function gatherStrided(x: Tensor, outShape: number[], strides: number[]): Tensor {
  return gather("gather", x, outShape, strides);
}
