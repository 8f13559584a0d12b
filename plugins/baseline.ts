/**
 * Built-in criterion `baseline`: every SAM step computes a fresh inner gradient (the default).
 *
 * @module
 */
import type { CriterionPlugin } from "../src/plugins/api.ts";

/** The `baseline` descriptor. */
const baseline: CriterionPlugin = {
  name: "baseline",
  kind: "criterion",
  description: "always perturb with a fresh inner gradient",
  skips: false,
  create: () => ({ shouldPerturb: () => true }),
};

export default baseline;
