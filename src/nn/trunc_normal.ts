/**
 * The truncated normal initialiser of timm and PyTorch (`trunc_normal_(std, a, b)`): N(mean,
 * std^2) restricted to [a, b], drawn by rejection from the seeded CPU generator. timm's ViT uses
 * std 0.02 with the absolute bounds [-2, 2] (100 standard deviations: in practice a plain normal,
 * but the definition is kept).
 *
 * @module
 */
import type { Initializer } from "./init.ts";

/** N(mean, std^2) truncated to [a, b] (absolute bounds, as PyTorch's trunc_normal_). */
export function truncNormal(std: number, a = -2, b = 2, mean = 0): Initializer {
  if (!(std > 0) || !(a < b)) {
    throw new Error(`truncNormal: std ${std} must be > 0 and [${a}, ${b}] non-empty`);
  }
  const lo = (a - mean) / std, hi = (b - mean) / std;
  // Rejection from the standard normal; the bounds used here keep nearly every draw.
  if (hi - lo < 0.5) throw new Error(`truncNormal: [${a}, ${b}] is too narrow for rejection at std ${std}`);
  return (out, rng) => {
    for (let i = 0; i < out.length; i++) {
      let z = rng.normal();
      while (z < lo || z > hi) z = rng.normal();
      out[i] = mean + std * z;
    }
  };
}
