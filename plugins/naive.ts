/**
 * Built-in criterion `naive`, as the seed: a fresh inner gradient when the seed's 0-based counter
 * c = t - 1 is a multiple of k, i.e. on 1-based SAM steps t with (t - 1) % k == 0 (1, 1 + k, ...),
 * and on the first 2 steps (warm-up, the seed's c <= 1). With k = 2 the backward overhead tends
 * to 1.5; k = 3 perturbs 15 of the first 40 steps.
 *
 * @module
 */
import type { CriterionPlugin } from "../src/plugins/api.ts";
import { every, warmup } from "../src/plugins/combinators.ts";
import { WARMUP_STEPS } from "./common.ts";
import { COST, NAIVE_REPORT } from "./reports.ts";

/** The `naive` descriptor. */
const naive: CriterionPlugin = {
  name: "naive",
  kind: "criterion",
  report: NAIVE_REPORT,
  cost: COST.naive,
  description: "perturb every crt_k-th step",
  options: [{
    name: "crt_k",
    type: "integer",
    default: 2,
    range: { min: 1 },
    help: "naive criterion: fresh inner gradient every k-th step (steps 1, 2, 1 + k, 1 + 2k, ...)",
  }],
  create({ options }) {
    const k = options.number("crt_k");
    return warmup(WARMUP_STEPS, every(k));
  },
};

export default naive;
