/**
 * Built-in criterion `cosSim`, as the seed: `crt_c` is a flag, not a threshold. With c = 0 (the
 * default) it perturbs when cos(g_t, g_{t-1}) < 0, the last two outer gradients pointing apart;
 * with any other c when cos > 0 (the seed's `>0?` in its results CSV names that switch). A cosine
 * of exactly 0 never perturbs. The first 2 SAM steps always perturb (warm-up, the seed's 0-based
 * counter <= 1), so the first decision compares the outer gradients of steps 2 and 1.
 *
 * GPU work: after each step one fused pass computes the cosine (two dispatches) and a buffer
 * copy keeps g_{t-1}; the cosine is read back asynchronously and awaited by the next decision.
 *
 * Memory: g_{t-1}, shaped like the parameters. Metric: `crt_cos`, the cosine the decision used.
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
import { copy_ } from "../src/ops/multi_tensor.ts";
import { cosineStats } from "../src/step/cosine.ts";
import { stateLike } from "../src/ops/flat_layout.ts";
import { readLater } from "../src/step/readback.ts";
import { zeros } from "../src/ops/elementwise.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { warmup } from "../src/plugins/combinators.ts";
import { WARMUP_STEPS } from "./common.ts";
import { COS_SIM_REPORT, COST } from "./reports.ts";

class CosSimCriterion implements CriterionHooks {
  readonly #c: number;
  #prev: Tensor[];
  /** [cos, a.b, a.a, b.b] of the last step. */
  #stats: Tensor = zeros([4]).keep();
  #pending: Promise<Float32Array> | null = null;
  /** g_{t-1} and the last statistics, checkpointed by the engine. */
  readonly state: DeclaredState;

  /** The first step whose decision asks this rule (after the warm-up); reads start a step before. */
  readonly #firstAsked: number;

  constructor(setup: SetupContext, firstAsked: number) {
    this.#firstAsked = firstAsked;
    this.#c = setup.options.number("crt_c");
    this.#prev = stateLike(setup.grads);
    this.state = { tensors: { g_prev: this.#prev, stats: [this.#stats] } };
  }

  /** Asked after the warm-up only (see `warmup` in the descriptor). */
  async shouldPerturb(ctx: StepContext): Promise<boolean> {
    const pending = this.#pending ?? readLater(this.#stats);
    this.#pending = null;
    const cos = (await pending)[0];
    ctx.log("crt_cos", cos);
    // The seed's rule: crt_c == 0 selects cos < 0, anything else cos > 0.
    return this.#c === 0 ? cos < 0 : cos > 0;
  }

  afterStep(ctx: StepContext): void {
    const s = cosineStats(ctx.grads, this.#prev);
    copy_([s], [this.#stats]);
    copy_(ctx.grads, this.#prev);
    if (ctx.step + 1 >= this.#firstAsked) this.#pending = readLater(this.#stats);
  }
}

/** The `cosSim` descriptor. */
const cosSim: CriterionPlugin = {
  name: "cosSim",
  kind: "criterion",
  report: COS_SIM_REPORT,
  cost: COST.cosSim,
  description: "perturb when cos(g_t, g_{t-1}) < 0 (crt_c 0) or > 0 (crt_c != 0), as the seed",
  options: [{
    name: "crt_c",
    type: "number",
    default: 0,
    range: { min: -1, max: 1 },
    help:
      "cosSim criterion, a flag as in the seed: 0 perturbs when the cosine of the last two outer gradients is < 0, any other value when it is > 0",
  }],
  memory: "g_{t-1}",
  create: (setup) => warmup(WARMUP_STEPS, new CosSimCriterion(setup, WARMUP_STEPS + 1)),
};

export default cosSim;
