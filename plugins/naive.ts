/**
 * Built-in criterion `naive`: a fresh inner gradient every k-th SAM step (t % k == 0) and on the
 * first step (warm-up). With k = 2 the backward overhead tends to 1.5.
 *
 * @module
 */
import type { CriterionPlugin } from "../src/plugins/api.ts";
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
    help: "naive criterion: fresh inner gradient every k-th step",
  }],
  create({ options }) {
    const k = options.number("crt_k");
    return { shouldPerturb: (ctx) => ctx.step % k === 0 || ctx.step <= WARMUP_STEPS };
  },
};

export default naive;
