/**
 * Scaled dot-product attention, softmax(Q K^T * scale) V, over a batch of heads, built from the
 * batched matmul (Q K^T with K transposed in the kernel, no copy) and the row softmax with the
 * scale fused in. Its gradient follows from those ops' rules. Token counts that are not multiples
 * of 4 are padded with zero tokens (masked out) so the GEMMs take the vec4 kernel.
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { gemmAligned, matmul } from "./matmul.ts";
import { softmax } from "./softmax.ts";
import { concat, narrow } from "./concat.ts";
import { zeros } from "./elementwise.ts";

/** x [B, T, d] with `pad` zero rows appended along the tokens. */
function padTokens(x: Tensor, pad: number): Tensor {
  return concat([x, zeros([x.shape[0], pad, x.shape[2]])], 1);
}

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
  const s = scale ?? 1 / Math.sqrt(d);
  const N = q.shape[1], M = k.shape[1], dv = v.shape[2];
  const N4 = Math.ceil(N / 4) * 4, M4 = Math.ceil(M / 4) * 4;
  if ((N4 !== N || M4 !== M) && gemmAligned(N4, M4, d) && gemmAligned(N4, dv, M4)) {
    // Token counts such as ViT's 197 would send all six GEMMs (forward and backward) to the naive
    // kernel, ~100x slower than the vec4 one under llvmpipe. Zero tokens pad them to multiples of 4;
    // the padded keys are masked out of the softmax and the padded queries' rows are dropped, so
    // the result and its gradients are unchanged.
    const qp = N4 > N ? padTokens(q, N4 - N) : q;
    const kp = M4 > M ? padTokens(k, M4 - M) : k, vp = M4 > M ? padTokens(v, M4 - M) : v;
    const out = matmul(softmax(matmul(qp, kp, false, true), s, M), vp);
    return N4 > N ? narrow(out, 1, 0, N) : out;
  }
  return matmul(softmax(matmul(q, k, false, true), s), v);
}
