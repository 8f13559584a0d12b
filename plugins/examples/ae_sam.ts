/**
 * A worked third-party plugin: an AE-SAM-style criterion (Jiang et al., "An Adaptive Policy to
 * Employ Sharpness-Aware Minimization", ICLR 2023). It keeps running statistics of the squared
 * gradient norm s = ||g||^2,
 *
 *   mu     = delta * mu     + (1 - delta) * s
 *   sigma2 = delta * sigma2 + (1 - delta) * (s - mu)^2      (both start from the first s, 0)
 *
 * and asks for a fresh inner gradient when s > mu + c * sigma, i.e. when the gradient is
 * unusually large. AE-SAM uses the stochastic gradient at the current weights; a criterion
 * decides before any pass of the step, so here s is the previous step's outer gradient, read
 * back asynchronously while the next step is being set up. The first `ae_warmup` steps perturb.
 *
 * Load it with `--plugin plugins/examples/ae_sam.ts --opt vassore-sgd --crt ae_sam_example`; it imports
 * only the public plugin API.
 *
 * samwise ships the same algorithm as the built-in `ae_sam` (`plugins/ae_sam.ts`); this template is named
 * with `_example` so both can be registered side by side.
 *
 * @module
 */
import {
  copy_,
  type CriterionHooks,
  type CriterionPlugin,
  type DeclaredState,
  readLater,
  type SetupContext,
  type StepContext,
  sumOfSquares,
  type Tensor,
  zeros,
} from "../../src/plugins/mod.ts";

class AeSam implements CriterionHooks {
  readonly #delta: number;
  readonly #c: number;
  readonly #warmup: number;
  /** The running statistics, and whether a step has produced a gradient norm yet. */
  readonly #s = { mu: 0, sigma2: 0, seen: 0, started: false };
  /** ||g_outer||^2 of the last step on the GPU, and its pending read. */
  readonly #last: Tensor = zeros([1]).keep();
  #pending: Promise<Float32Array> | null = null;
  /**
   * Declared, so the engine checkpoints it and a resumed run decides exactly as an uninterrupted
   * one: after a resume `#pending` is null and the next decision reads `last_gsq` afresh.
   */
  readonly state: DeclaredState = { tensors: { last_gsq: [this.#last] }, scalars: this.#s };

  constructor(setup: SetupContext) {
    this.#delta = setup.options.number("ae_delta");
    this.#c = setup.options.number("ae_c");
    this.#warmup = setup.options.number("ae_warmup");
  }

  async shouldPerturb(ctx: StepContext): Promise<boolean> {
    const st = this.#s;
    if (!st.started) return true; // the first step: no gradient seen yet
    const pending = this.#pending ?? readLater(this.#last);
    this.#pending = null;
    const s = (await pending)[0];
    if (st.seen === 0) {
      st.mu = s;
      st.sigma2 = 0;
    } else {
      const d = this.#delta;
      st.mu = d * st.mu + (1 - d) * s;
      st.sigma2 = d * st.sigma2 + (1 - d) * (s - st.mu) ** 2;
    }
    st.seen++;
    const threshold = st.mu + this.#c * Math.sqrt(st.sigma2);
    ctx.log("ae_gsq", s);
    ctx.log("ae_threshold", threshold);
    return ctx.step <= this.#warmup || s > threshold;
  }

  afterStep(ctx: StepContext): void {
    // One fused reduction over the flat gradient buffer; only its single float travels back.
    copy_([sumOfSquares(ctx.grads)], [this.#last]);
    this.#pending = readLater(this.#last);
    this.#s.started = true;
  }
}

/** The `ae_sam` criterion descriptor. */
const aeSam: CriterionPlugin = {
  name: "ae_sam_example",
  kind: "criterion",
  description: "AE-SAM-style: perturb when ||g||^2 > mu + c * sigma of its running statistics",
  options: [
    {
      name: "ae_delta",
      type: "number",
      default: 0.9,
      range: { min: 0, max: 1, maxExclusive: true },
      help: "ae_sam: decay of the running mean and variance of ||g||^2",
    },
    { name: "ae_c", type: "number", default: 0, help: "ae_sam: perturb when ||g||^2 > mu + c * sigma" },
    {
      name: "ae_warmup",
      type: "integer",
      default: 5,
      range: { min: 0 },
      help: "ae_sam: steps that always perturb",
    },
  ],
  create: (setup) => new AeSam(setup),
};

export default aeSam;
