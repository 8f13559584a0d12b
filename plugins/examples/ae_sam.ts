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
 * Load it with `--plugin plugins/examples/ae_sam.ts --opt vassore-sgd --crt ae_sam`; it imports
 * only the public plugin API.
 *
 * @module
 */
import {
  copy_,
  type CriterionHooks,
  type CriterionPlugin,
  type PluginState,
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
  #mu = 0;
  #sigma2 = 0;
  #seen = 0;
  /** ||g_outer||^2 of the last step on the GPU (kept for checkpoints), and its pending read. */
  #last: Tensor = zeros([1]).keep();
  #pending: Promise<Float32Array> | null = null;

  constructor(setup: SetupContext) {
    this.#delta = setup.options.number("ae_delta");
    this.#c = setup.options.number("ae_c");
    this.#warmup = setup.options.number("ae_warmup");
  }

  async shouldPerturb(ctx: StepContext): Promise<boolean> {
    if (!this.#pending) return true; // the first step: no gradient seen yet
    const s = (await this.#pending)[0];
    this.#pending = null;
    if (this.#seen === 0) {
      this.#mu = s;
      this.#sigma2 = 0;
    } else {
      const d = this.#delta;
      this.#mu = d * this.#mu + (1 - d) * s;
      this.#sigma2 = d * this.#sigma2 + (1 - d) * (s - this.#mu) ** 2;
    }
    this.#seen++;
    const threshold = this.#mu + this.#c * Math.sqrt(this.#sigma2);
    ctx.log("ae_gsq", s);
    ctx.log("ae_threshold", threshold);
    return ctx.step <= this.#warmup || s > threshold;
  }

  afterStep(ctx: StepContext): void {
    // One fused reduction over the flat gradient buffer; only its single float travels back.
    copy_([sumOfSquares(ctx.grads)], [this.#last]);
    this.#pending = readLater(this.#last);
  }

  saveState(): PluginState {
    const json = { mu: this.#mu, sigma2: this.#sigma2, seen: this.#seen, pending: this.#pending !== null };
    return { tensors: { last_gsq: [this.#last] }, json };
  }

  loadState(s: PluginState): void {
    this.#mu = Number(s.json.mu ?? 0);
    this.#sigma2 = Number(s.json.sigma2 ?? 0);
    this.#seen = Number(s.json.seen ?? 0);
    if (s.tensors.last_gsq) copy_(s.tensors.last_gsq, [this.#last]);
    // Resume exactly: the next decision needs the last step's value, as it would have without a stop.
    this.#pending = s.json.pending ? readLater(this.#last) : null;
  }

  dispose(): void {
    this.#last.dispose();
  }
}

/** The `ae_sam` criterion descriptor. */
const aeSam: CriterionPlugin = {
  name: "ae_sam",
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
