/**
 * Built-in criterion `random`: a fresh inner gradient with probability p, drawn once per SAM step
 * from the engine's seeded stream (so a run and its resumption draw the same numbers), and on
 * the first 2 SAM steps (warm-up, the seed's 0-based counter <= 1).
 *
 * @module
 */
import type { CriterionPlugin } from "../src/plugins/api.ts";
import { warmup } from "../src/plugins/combinators.ts";
import { WARMUP_STEPS } from "./common.ts";
import { COST, RANDOM_REPORT } from "./reports.ts";

/** The `random` descriptor. */
const random: CriterionPlugin = {
  name: "random",
  kind: "criterion",
  report: RANDOM_REPORT,
  cost: COST.random,
  description: "perturb with probability crt_p",
  options: [{
    name: "crt_p",
    type: "number",
    default: 0.5,
    range: { min: 0, max: 1 },
    help: "random criterion: probability of a fresh inner gradient",
  }],
  create({ options }) {
    const p = options.number("crt_p");
    // Drawn every step, warm-up included, as the seed does, so the stream stays aligned.
    return warmup(WARMUP_STEPS, (ctx) => ctx.random() < p, { askDuring: true });
  },
};

export default random;
