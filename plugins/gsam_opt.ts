/**
 * Built-in sharpness optimizer `gsamopt`: GSAM, surrogate-gap guided SAM (Zhuang et al.,
 * "Surrogate Gap Minimization Improves Sharpness-Aware Training", ICLR 2022). Named `gsamopt`,
 * and kept in this file, because `gsam.ts` holds the seed's gSAMflat / gSAMsharp / gSAMratio
 * *criteria*, which share only the name.
 *
 * The ascent is SAM's, e = rho * g / ||g|| with g the inner gradient at w; g_s is the gradient at
 * w + e. GSAM decomposes g into its part parallel to g_s and the orthogonal rest,
 *
 *   g_par = (g . g_s / ||g_s||^2) g_s,   g_perp = g - g_par,
 *
 * and descends along d = g_s - alpha * g_perp: the minus sign ascends the surrogate gap
 * f(w + e) - f(w) in the direction that leaves the perturbed loss unchanged to first order. In
 * `beforeBaseStep` this is written as d = (1 + alpha * c) g_s - alpha * g with c = g . g_s /
 * ||g_s||^2: one GPU scalar chain (dot, sum of squares, divide), one scale and one axpy, no
 * readback.
 *
 * Defaults: `gsam_alpha` 0.1, the alpha of the public GSAM ports (Keras/TensorFlow) and inside the
 * range the paper tunes over per task; `rho` is the shared SAM radius (the paper schedules rho
 * with the learning rate, here it is constant).
 *
 * Memory: a copy of g (the inner gradient, needed after the outer pass). Cost: bwp 2.
 *
 * @module
 */
import type { SetupContext, SharpnessHooks, SharpnessPlugin, StepContext } from "../src/plugins/api.ts";
import { addScalar, div, mulScalar } from "../src/ops/elementwise.ts";
import { axpy_, copy_, dot, scale_, sumOfSquares } from "../src/ops/multi_tensor.ts";
import { stateLike } from "../src/ops/flat_layout.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { NORM_EPS, RHO } from "./common.ts";
import { COST, GSAM_OPT_REPORT } from "./reports.ts";

class Gsam implements SharpnessHooks {
  readonly #rho: number;
  readonly #alpha: number;
  /** The inner gradient g at w of this step (scratch across the outer pass). */
  readonly #g: Tensor[];

  constructor(setup: SetupContext) {
    this.#rho = setup.options.number("rho");
    this.#alpha = setup.options.number("gsam_alpha");
    this.#g = stateLike(setup.params);
  }

  beforeAscent(ctx: StepContext): void {
    copy_(ctx.grads, this.#g);
  }

  perturbation(ctx: StepContext) {
    return {
      direction: ctx.grads,
      coef: {
        alpha: this.#rho,
        scalar: sumOfSquares(ctx.grads),
        mode: "inverseSqrt" as const,
        eps: NORM_EPS,
      },
    };
  }

  /** grads (g_s) become (1 + alpha c) g_s - alpha g = g_s - alpha g_perp. */
  beforeBaseStep(ctx: StepContext): void {
    const a = this.#alpha;
    const c = div(dot(this.#g, ctx.grads), addScalar(sumOfSquares(ctx.grads), NORM_EPS * NORM_EPS));
    scale_({ alpha: 1, scalar: addScalar(mulScalar(c, a), 1), mode: "value" }, ctx.grads);
    axpy_(-a, this.#g, ctx.grads);
  }

  dispose(): void {
    this.#g.forEach((t) => t.dispose());
  }
}

/** The `gsamopt` descriptor. */
const gsamOpt: SharpnessPlugin = {
  name: "gsamopt",
  kind: "optimizer",
  role: "sharpness",
  report: GSAM_OPT_REPORT,
  cost: COST.sam,
  description: "GSAM: SAM's ascent, descent along g_s - gsam_alpha * (g orthogonal to g_s)",
  options: [RHO, {
    name: "gsam_alpha",
    type: "number",
    default: 0.1,
    range: { min: 0 },
    help: "gsamopt: weight of the surrogate-gap ascent, d = g_s - alpha * g_perp",
  }],
  reuse: false,
  memory: "a copy of the inner gradient g",
  create: (setup) => new Gsam(setup),
};

export default gsamOpt;
