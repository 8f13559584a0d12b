/**
 * Scaled dot-product attention, softmax(Q K^T * scale) V, over a batch of heads, built from the
 * batched matmul (Q K^T with K transposed in the kernel, no copy) and the row softmax with the
 * scale fused in. Its gradient follows from those ops' rules.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { matmul } from "./matmul.ts";
import { softmax } from "./softmax.ts";

/**
 * Attention of q [B, N, d] over keys k [B, M, d] and values v [B, M, dv] (B = batch x heads):
 * [B, N, dv]. `scale` defaults to 1 / sqrt(d), as torch's scaled_dot_product_attention and timm.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, scale?: number): Tensor {
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) {
    throw new Error(
      `attention: q, k, v must be [batch, tokens, dim], got [${q.shape}], [${k.shape}], [${v.shape}]`,
    );
  }
  const d = q.shape[2];
  if (
    k.shape[2] !== d || k.shape[0] !== q.shape[0] || v.shape[0] !== q.shape[0] || v.shape[1] !== k.shape[1]
  ) {
    throw new Error(`attention: shapes q [${q.shape}], k [${k.shape}], v [${v.shape}] do not match`);
  }
  const scores = matmul(q, k, false, true);
  const weights = softmax(scores, scale ?? 1 / Math.sqrt(d));
  return matmul(weights, v);
}
