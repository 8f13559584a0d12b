/**
 * Built-in criterion `baseline`: every SAM step computes a fresh inner gradient (the default).
 *
 * @module
 */
import type { CriterionPlugin } from "../src/plugins/api.ts";
import { BASELINE_REPORT, COST } from "./reports.ts";

/** The `baseline` descriptor. */
const baseline: CriterionPlugin = {
  name: "baseline",
  kind: "criterion",
  report: BASELINE_REPORT,
  cost: COST.baseline,
  description: "always perturb with a fresh inner gradient",
  skips: false,
  create: () => ({ shouldPerturb: () => true }),
};

export default baseline;
