/**
 * Built-in sharpness optimizer `vassoremu`: VaSSO with reuse whose EMA, on skipped steps, takes
 * the previous outer gradient g_t instead of a fresh inner one (then e is rebuilt from the EMA).
 * Memory: the EMA and g_t (see `vasso.ts`).
 *
 * @module
 */
import type { SharpnessPlugin } from "../src/plugins/api.ts";
import { RHO, THETA } from "./common.ts";
import { VassoHooks } from "./vasso.ts";
import { COST, VASSO_REPORT } from "./reports.ts";

/** The `vassoremu` descriptor. */
const vassoremu: SharpnessPlugin = {
  name: "vassoremu",
  kind: "optimizer",
  role: "sharpness",
  report: VASSO_REPORT,
  cost: COST.reuse,
  description: "VaSSO with reuse; skipped steps feed the previous outer gradient into the EMA",
  options: [RHO, THETA],
  reuse: true,
  memory: "ema, g_t",
  create: (setup) => new VassoHooks(setup, "vassoremu"),
};

export default vassoremu;
