/**
 * Built-in sharpness optimizer `sam` (Foret et al.): e = rho * g / (||g|| + 1e-12) with one
 * global norm over the whole model, g the inner gradient at w. Every step computes the inner
 * gradient, so only criteria that never skip (`baseline`, `schedule`) fit.
 *
 * Memory: nothing beyond the engine's copy of w (e is applied straight from the gradient
 * buffer; w is restored from the copy).
 *
 * @module
 */
import type { SharpnessPlugin } from "../src/plugins/api.ts";
import { sumOfSquares } from "../src/ops/multi_tensor.ts";
import { NORM_EPS, RHO } from "./common.ts";
import { COST, SAM_REPORT } from "./reports.ts";

/** The `sam` descriptor. */
const sam: SharpnessPlugin = {
  name: "sam",
  kind: "optimizer",
  role: "sharpness",
  report: SAM_REPORT,
  cost: COST.sam,
  description: "SAM: e = rho * g / ||g|| from a fresh inner gradient every step",
  options: [RHO],
  reuse: false,
  memory: "none beyond the copy of w",
  create({ options }) {
    const rho = options.number("rho");
    return {
      perturbation(ctx) {
        // The norm stays on the GPU: the coefficient rho / (sqrt(sum g^2) + eps) is applied in the axpy.
        const ss = sumOfSquares(ctx.grads);
        return { direction: ctx.grads, coef: { alpha: rho, scalar: ss, mode: "inverseSqrt", eps: NORM_EPS } };
      },
    };
  },
};

export default sam;
