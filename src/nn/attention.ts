/**
 * Multi-head self-attention over tokens [B, N, D] with timm's layout: one `qkv` linear
 * (D -> 3D, bias), heads split as timm does (the 3D features read as [3, heads, head_dim]),
 * softmax(q k^T / sqrt(head_dim)) v per head through the batched matmul, heads merged and
 * projected by `proj` (D -> D, bias). No dropout (timm's defaults, attn_drop = proj_drop = 0).
 *
 * Linear layers see the tokens as one [B * N, D] matrix, so their weight gradients are single
 * GEMMs rather than per-sample products summed afterwards.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { scaledDotProductAttention } from "../ops/attention.ts";
import { narrow } from "../ops/concat.ts";
import { permute, reshape } from "../ops/shape_ops.ts";
import { Module } from "./module.ts";
import { Linear } from "./linear.ts";

/** Applies `lin` to every token of x [B, N, in]: [B, N, out]. */
export function tokenLinear(lin: Linear, x: Tensor): Tensor {
  const [B, N] = x.shape;
  return reshape(lin.forward(reshape(x, [B * N, x.shape[2]])), [B, N, lin.outFeatures]);
}

/** See the module documentation. */
export class Attention extends Module {
  /** D -> 3D: queries, keys and values of every head. */
  readonly qkv: Linear;
  /** D -> D after the heads are merged. */
  readonly proj: Linear;
  /** Features per head. */
  readonly headDim: number;

  constructor(readonly dim: number, readonly numHeads: number) {
    super();
    if (dim % numHeads) throw new Error(`Attention: dim ${dim} is not divisible by ${numHeads} heads`);
    this.headDim = dim / numHeads;
    this.qkv = this.addModule("qkv", new Linear(dim, 3 * dim));
    this.proj = this.addModule("proj", new Linear(dim, dim));
  }

  /** Self-attention of x [B, N, D]: [B, N, D]. */
  forward(x: Tensor): Tensor {
    const [B, N, D] = x.shape;
    const H = this.numHeads, d = this.headDim;
    // [B, N, 3, H, d] -> [3, B, H, N, d], as timm's qkv.reshape(B, N, 3, H, d).permute(2, 0, 3, 1, 4).
    const qkv = reshape(permute(reshape(tokenLinear(this.qkv, x), [B, N, 3, H, d]), [2, 0, 3, 1, 4]), [
      3,
      B * H,
      N,
      d,
    ]);
    const part = (i: number) => reshape(narrow(qkv, 0, i, 1), [B * H, N, d]);
    const heads = scaledDotProductAttention(part(0), part(1), part(2), d ** -0.5);
    // [B, H, N, d] -> [B, N, H, d] -> [B, N, D]
    const merged = reshape(permute(reshape(heads, [B, H, N, d]), [0, 2, 1, 3]), [B, N, D]);
    return tokenLinear(this.proj, merged);
  }
}
