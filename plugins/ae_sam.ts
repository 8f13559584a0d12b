/**
 * Built-in criterion `ae_sam` (Jiang et al., "An Adaptive Policy to Employ Sharpness-Aware
 * Minimization", ICLR 2023). It keeps running statistics of the squared gradient norm
 * s = ||g||^2,
 *
 *   mu     = delta * mu     + (1 - delta) * s
 *   sigma2 = delta * sigma2 + (1 - delta) * (s - mu)^2      (mu starts at the first s, sigma2 at 0)
 *
 * and asks for a fresh inner gradient when s > mu + c * sigma: where the gradient is unusually
 * large the loss is likely sharp. AE-SAM uses the gradient at the current weights; a criterion
 * decides before any pass, so s is the previous step's outer gradient, read back asynchronously
 * while the next step is being prepared (no hook waits on the GPU). The first `ae_warmup` steps
 * perturb.
 *
 * `plugins/examples/ae_sam.ts` is the same rule written as a third-party plugin against the
 * public front door (the template for new criteria); this built-in adds its results-CSV fields
 * and cost line, and shares the example's option specs.
 *
 * Defaults: `ae_delta` 0.9, the paper's decay; `ae_c` 0 (perturb when s exceeds its running
 * mean): the paper moves c over training, a constant c is used here; `ae_warmup` 5 steps so the
 * statistics have some history.
 *
 * State (checkpointed): mu, sigma2, the count and the last ||g||^2 on the GPU.
 *
 * @module
 */
import type {
  CriterionHooks,
  CriterionPlugin,
  DeclaredState,
  SetupContext,
  StepContext,
} from "../src/plugins/api.ts";
import type { OptionSpec } from "../src/plugins/options.ts";
import { zeros } from "../src/ops/elementwise.ts";
import { copy_, sumOfSquares } from "../src/ops/multi_tensor.ts";
import { readLater } from "../src/step/readback.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { AE_SAM_REPORT, COST } from "./reports.ts";

/** `--ae_delta`, `--ae_c`, `--ae_warmup` (the example declares the same specs). */
export const AE_OPTIONS: readonly OptionSpec[] = [
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
];

class AeSam implements CriterionHooks {
  readonly #delta: number;
  readonly #c: number;
  readonly #warmup: number;
  readonly #s = { mu: 0, sigma2: 0, seen: 0, started: false };
  readonly #last: Tensor = zeros([1]).keep();
  #pending: Promise<Float32Array> | null = null;
  readonly state: DeclaredState = { tensors: { last_gsq: [this.#last] }, scalars: this.#s };

  constructor(setup: SetupContext) {
    this.#delta = setup.options.number("ae_delta");
    this.#c = setup.options.number("ae_c");
    this.#warmup = setup.options.number("ae_warmup");
  }

  async shouldPerturb(ctx: StepContext): Promise<boolean> {
    const st = this.#s;
    if (!st.started) return true;
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
    copy_([sumOfSquares(ctx.grads)], [this.#last]);
    this.#pending = readLater(this.#last);
    this.#s.started = true;
  }
}

/** The `ae_sam` descriptor. */
const aeSam: CriterionPlugin = {
  name: "ae_sam",
  kind: "criterion",
  report: AE_SAM_REPORT,
  cost: COST.aeSam,
  description: "AE-SAM: perturb when ||g||^2 > mu + c * sigma of its running statistics",
  options: AE_OPTIONS,
  memory: "one scalar",
  create: (setup) => new AeSam(setup),
};

export default aeSam;
