/**
 * Built-in criterion `rst`: SS-SAM / randomized SAM steps (Zhao, Zhang and Hu, "SS-SAM:
 * Stochastic Scheduled Sharpness-Aware Minimization for Efficiently Training Deep Neural
 * Networks", 2022). Each SAM step flips a coin: with probability p(epoch) it is a full SAM step
 * (fresh inner gradient), otherwise the optimizer's reuse path runs (VaSSORe reuses e, LookSAM
 * its component; with `sam` no skip is possible, so it needs a `reuse` optimizer). p follows a
 * schedule over the run's epochs, progress s = min(1, epoch / (rst_epochs - 1)):
 *
 *   constant: p = rst_p_start
 *   linear:   p = rst_p_start + (rst_p_end - rst_p_start) * s
 *   cosine:   p = rst_p_end + (rst_p_start - rst_p_end) * (1 + cos(pi s)) / 2
 *
 * The coin is `ctx.random()`, drawn on every SAM step (the engine's seeded stream, checkpointed),
 * so a resumed run decides exactly as an uninterrupted one. The first SAM step always perturbs
 * (the engine's rule), though its coin is drawn too.
 *
 * Defaults: p 0.5 constant, the paper's basic setting of a fair coin (its schedules then vary p
 * over training, the ones above); `rst_epochs` 200, the seed's `--epochs` default: set it to the
 * run's `--epochs` for a schedule that ends with the run.
 *
 * Cost: bwp about 1 + mean p; no GPU work. Metric: `rst_p`, this step's probability.
 *
 * @module
 */
import type { CriterionHooks, CriterionPlugin, StepContext } from "../src/plugins/api.ts";
import type { OptionValues } from "../src/plugins/options.ts";
import { COST, RST_REPORT } from "./reports.ts";

/** The schedules `--rst_schedule` accepts. */
export const RST_SCHEDULES = ["constant", "linear", "cosine"] as const;

/** p at `epoch` (0-based) for the options of `rst`; see the module documentation. */
export function rstProbability(
  schedule: string,
  pStart: number,
  pEnd: number,
  epochs: number,
  epoch: number,
): number {
  const s = epochs <= 1 ? 1 : Math.min(1, Math.max(0, epoch / (epochs - 1)));
  if (schedule === "linear") return pStart + (pEnd - pStart) * s;
  if (schedule === "cosine") return pEnd + (pStart - pEnd) * (1 + Math.cos(Math.PI * s)) / 2;
  return pStart;
}

function rstHooks(o: OptionValues): CriterionHooks {
  const schedule = o.string("rst_schedule");
  const p0 = o.number("rst_p_start"), p1 = o.number("rst_p_end"), epochs = o.number("rst_epochs");
  return {
    shouldPerturb(ctx: StepContext): boolean {
      const p = rstProbability(schedule, p0, p1, epochs, ctx.epoch);
      ctx.log("rst_p", p);
      return ctx.random() < p;
    },
  };
}

/** The `rst` descriptor. */
const rst: CriterionPlugin = {
  name: "rst",
  kind: "criterion",
  report: RST_REPORT,
  cost: COST.rst,
  description: "SS-SAM: a SAM step with probability p(epoch), scheduled constant, linear or cosine",
  options: [
    {
      name: "rst_p_start",
      type: "number",
      default: 0.5,
      range: { min: 0, max: 1 },
      help: "rst: probability of a SAM step at epoch 0",
    },
    {
      name: "rst_p_end",
      type: "number",
      default: 0.5,
      range: { min: 0, max: 1 },
      help: "rst: probability at epoch rst_epochs - 1 (linear, cosine)",
    },
    {
      name: "rst_schedule",
      type: "string",
      default: "constant",
      choices: RST_SCHEDULES,
      help: "rst: how p moves from rst_p_start to rst_p_end",
    },
    {
      name: "rst_epochs",
      type: "integer",
      default: 200,
      range: { min: 1 },
      help: "rst: epochs the schedule spans (set it to --epochs)",
    },
  ],
  create: ({ options }) => rstHooks(options),
};

export default rst;
