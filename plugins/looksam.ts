/**
 * Built-in sharpness optimizer `looksam` (Liu et al., "Towards Efficient and Scalable
 * Sharpness-Aware Minimization", CVPR 2022). Every `look_k`-th step is a full SAM step; the
 * steps in between take no inner pass and add back the part of the SAM gradient that the plain
 * gradient misses, remembered from the last full step:
 *
 *   full step (t = 1, 1 + k, ...):  g at w, e = rho * g / ||g||, g_s at w + e,
 *                                    g_v = g_s - (g_s . g / ||g||^2) g,  u = g_v / ||g_v||,
 *                                    the base optimizer steps with g_s;
 *   other steps:                     g at w, the base optimizer steps with g + alpha * ||g|| * u
 *                                    (the paper's alpha * ||g|| / ||g_v|| * g_v).
 *
 * `plugins/examples/look_sam.ts` is the same algorithm written as a third-party plugin against
 * the public front door only (the template for new plugins); this built-in adds its results-CSV
 * fields and cost line.
 *
 * Defaults: `look_k` 5 and `look_alpha` 0.7 are the paper's CIFAR settings (k = 5, alpha = 0.7 in
 * its CIFAR-10/100 experiments); `rho` is the shared SAM radius.
 *
 * Memory: u (declared state, checkpointed) and a scratch g / ||g||. Cost: bwp 1 + 1/look_k.
 *
 * @module
 */
import type {
  DeclaredState,
  Perturbation,
  SetupContext,
  SharpnessHooks,
  SharpnessPlugin,
  StepContext,
} from "../src/plugins/api.ts";
import { every } from "../src/plugins/combinators.ts";
import type { OptionSpec } from "../src/plugins/options.ts";
import { axpy_, copy_, dot, globalNorm, scale_, sumOfSquares } from "../src/ops/multi_tensor.ts";
import { stateLike } from "../src/ops/flat_layout.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { NORM_EPS, RHO } from "./common.ts";
import { COST, LOOKSAM_REPORT } from "./reports.ts";

/** `--look_k` (the same spec as the example's, as shared options must agree). */
export const LOOK_K: OptionSpec = {
  name: "look_k",
  type: "integer",
  default: 5,
  range: { min: 1 },
  help: "looksam: a full SAM step every k steps",
};

/** `--look_alpha`. */
export const LOOK_ALPHA: OptionSpec = {
  name: "look_alpha",
  type: "number",
  default: 0.7,
  range: { min: 0 },
  help: "looksam: weight of the reused component, alpha * ||g|| / ||g_v|| * g_v",
};

class LookSam implements SharpnessHooks {
  readonly #rho: number;
  readonly #alpha: number;
  readonly #full: (ctx: StepContext) => boolean;
  /** g / ||g|| of the current full step (scratch). */
  readonly #gHat: Tensor[];
  /** The unit component of g_s orthogonal to g, from the last full step. */
  readonly #u: Tensor[];
  readonly state: DeclaredState;

  constructor(setup: SetupContext) {
    this.#rho = setup.options.number("rho");
    this.#alpha = setup.options.number("look_alpha");
    const rule = every(setup.options.number("look_k"));
    this.#full = (ctx) => rule.shouldPerturb(ctx) as boolean;
    this.#gHat = stateLike(setup.params);
    this.#u = stateLike(setup.params);
    this.state = { tensors: { u: this.#u } };
  }

  shouldPerturb(ctx: StepContext): boolean {
    return this.#full(ctx);
  }

  beforeAscent(ctx: StepContext): void {
    if (!ctx.perturb) return;
    copy_(ctx.grads, this.#gHat);
    scale_({ alpha: 1, scalar: sumOfSquares(this.#gHat), mode: "inverseSqrt", eps: NORM_EPS }, this.#gHat);
  }

  perturbation(ctx: StepContext): Perturbation {
    if (!ctx.perturb) return { direction: ctx.grads, coef: 0 };
    return {
      direction: ctx.grads,
      coef: { alpha: this.#rho, scalar: sumOfSquares(ctx.grads), mode: "inverseSqrt", eps: NORM_EPS },
    };
  }

  beforeBaseStep(ctx: StepContext): void {
    if (ctx.perturb) {
      copy_(ctx.grads, this.#u);
      axpy_({ alpha: -1, scalar: dot(ctx.grads, this.#gHat), mode: "value" }, this.#gHat, this.#u);
      scale_({ alpha: 1, scalar: sumOfSquares(this.#u), mode: "inverseSqrt", eps: NORM_EPS }, this.#u);
      return;
    }
    axpy_({ alpha: this.#alpha, scalar: globalNorm(ctx.grads), mode: "value" }, this.#u, ctx.grads);
  }

  dispose(): void {
    this.#gHat.forEach((t) => t.dispose());
  }
}

/** The `looksam` descriptor. */
const looksam: SharpnessPlugin = {
  name: "looksam",
  kind: "optimizer",
  role: "sharpness",
  report: LOOKSAM_REPORT,
  cost: COST.looksam,
  description: "LookSAM: a SAM step every look_k steps, the reused orthogonal component in between",
  reuse: true,
  memory: "u, a scratch copy of g",
  options: [RHO, LOOK_K, LOOK_ALPHA],
  create: (setup) => new LookSam(setup),
};

export default looksam;
