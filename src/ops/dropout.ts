/**
 * Dropout with a counter-based random mask: element i is kept when hash(i, seed, salt) >= p
 * (shaders/dropout.wgsl), and kept elements are scaled by 1/(1-p). The mask is never stored:
 * backward recomputes it from the same (seed, salt), so it is exactly the forward mask.
 *
 * @module
 */
import dropoutText from "../../shaders/dropout.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { launch, shaderSource } from "./launch.ts";

const dropoutSrc = shaderSource(dropoutText);

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Identity when false (eval mode). */
  training: boolean;
  /** Seed of the mask (u32). */
  seed: number;
  /** Distinguishes the masks of successive calls with one seed, e.g. a call counter (u32). */
  salt?: number;
}

/** The masking kernel: x * scale where kept, else 0, for the mask of (seed, salt). */
function applyMask(x: Tensor, p: number, seed: number, salt: number): Tensor {
  const out = Tensor.empty(x.shape);
  const scale = p < 1 ? 1 / (1 - p) : 0;
  const params = new Params().u32(x.size, seed >>> 0, salt >>> 0, 0).f32(p, scale).bytes();
  launch("dropout", dropoutSrc, {}, [x, out], params, [
    Math.max(1, Math.min(65535, Math.ceil(x.size / 1024))),
  ]);
  return out;
}

/**
 * Zeroes each element with probability p and scales the rest by 1/(1-p) in training; returns
 * x itself in eval mode or when p = 0, as PyTorch's `F.dropout`.
 */
export function dropout(x: Tensor, p: number, opts: DropoutOptions): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: probability ${p} is not in [0, 1]`);
  if (!opts.training || p === 0) return x;
  const salt = opts.salt ?? 0;
  const out = applyMask(x, p, opts.seed, salt);
  return record("dropout", [x], out, { p, seed: opts.seed, salt });
}

/** Gradient of dropout: g through the forward's mask, recomputed from its seed and salt. */
export function dropoutBackward(g: Tensor, p: number, seed: number, salt: number): Tensor {
  return applyMask(g, p, seed, salt);
}
