/**
 * Built-in sharpness optimizer `msam`: Momentum-SAM (Becker, Altrock and Risse, "Momentum-SAM:
 * Sharpness Aware Minimization without Computational Overhead", 2024). The perturbation follows
 * the negative momentum buffer of the base optimizer instead of a fresh gradient:
 *
 *   e = -rho * m / ||m||,  g at w + e,  then the base step from w with that g,
 *
 * where m is SGD's momentum buffer in PyTorch's convention (m = mu m + g, w -= lr m), or AdamW's
 * first moment. No inner pass ever runs (the hooks say `innerPass: false`), so the cost is SGD's,
 * bwp 1, plus one norm and two buffer copies. On the first step m is zero, and so is e.
 *
 * The paper stores the weights in their perturbed state between steps to save the copy; here w
 * is restored exactly from the engine's copy, which gives the same iterates.
 *
 * Defaults: `msam_rho` 0.3, the default rho of a public PyTorch MSAM optimizer class (the paper
 * tunes rho per model and dataset; this default is not taken from its tables). MSAM's rho is on
 * another scale than SAM's, hence its own option. A base optimizer without momentum
 * (`--momentum 0` with sgd) has no direction: the first step fails with a one-line error naming
 * `--momentum` (the plugin cannot see the base optimizer before the step).
 *
 * @module
 */
import type { SetupContext, SharpnessHooks, SharpnessPlugin, StepContext } from "../src/plugins/api.ts";
import { sumOfSquares } from "../src/ops/multi_tensor.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { NORM_EPS } from "./common.ts";
import { COST, MSAM_REPORT } from "./reports.ts";

class Msam implements SharpnessHooks {
  readonly innerPass = false;
  readonly #rho: number;

  constructor(setup: SetupContext) {
    this.#rho = setup.options.number("msam_rho");
  }

  perturbation(ctx: StepContext) {
    const m: readonly Tensor[] | null = ctx.baseBuffer("momentum_buffer") ?? ctx.baseBuffer("exp_avg");
    if (!m) {
      throw new Error(
        "msam perturbs along the base optimizer's momentum, and it has none: use --momentum > 0",
      );
    }
    return {
      direction: m,
      coef: { alpha: -this.#rho, scalar: sumOfSquares(m), mode: "inverseSqrt" as const, eps: NORM_EPS },
    };
  }
}

/** The `msam` descriptor. */
const msam: SharpnessPlugin = {
  name: "msam",
  kind: "optimizer",
  role: "sharpness",
  report: MSAM_REPORT,
  cost: COST.msam,
  description: "MSAM: e = -msam_rho * m / ||m|| along the base optimizer's momentum, no inner pass",
  options: [{
    name: "msam_rho",
    type: "number",
    default: 0.3,
    range: { min: 0 },
    help: "msam: perturbation radius along the negative momentum",
  }],
  // No step ever needs a fresh inner gradient, so criteria that skip combine with it (and change nothing).
  reuse: true,
  memory: "none (the base optimizer's momentum is the direction)",
  create: (setup) => new Msam(setup),
};

export default msam;
