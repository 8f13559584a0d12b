/**
 * Built-in sharpness optimizer `vassore`: VaSSO that, when the criterion skips, runs no inner
 * forward or backward pass and reuses the last perturbation e. Memory: the EMA (see `vasso.ts`).
 *
 * @module
 */
import type { SharpnessPlugin } from "../src/plugins/api.ts";
import { RHO, THETA } from "./common.ts";
import { VassoHooks } from "./vasso.ts";
import { COST, VASSO_REPORT } from "./reports.ts";

/** The `vassore` descriptor. */
const vassore: SharpnessPlugin = {
  name: "vassore",
  kind: "optimizer",
  role: "sharpness",
  report: VASSO_REPORT,
  cost: COST.reuse,
  description: "VaSSO with reuse: on skipped steps no inner pass, the last e is reused",
  options: [RHO, THETA],
  reuse: true,
  memory: "ema",
  create: (setup) => new VassoHooks(setup, "vassore"),
};

export default vassore;
