/**
 * Built-in criteria `gSAMflat`, `gSAMsharp`, `gSAMratio`: compare tau, the running mean of the
 * outer-gradient norm, with the latest outer-gradient norm ||g|| (of the previous step):
 *
 * - `gSAMflat`:  perturb when tau > phi * ||g||,  phi = (1 - lam) * z + lam
 * - `gSAMsharp`: perturb when tau < phi' * ||g||, phi' = (1 - lam) / z + lam
 * - `gSAMratio`: either, with z_two in place of z in phi'
 *
 * with z = `crt_z`, and tau = (1 - lam) * tau + lam * ||g_outer|| after every SAM step (tau
 * starts at 0). The first 101 SAM steps always perturb (warm-up: the seed's 0-based counter <= 100).
 *
 * GPU work: after each step one global norm and a fused axpby on one-element tensors keep
 * ||g|| and tau on the GPU. The rule is wrapped in `warmup(101, ...)`; from step 101 on, both are read back in one asynchronous read
 * that the next step's decision awaits, so the GPU finishes the step meanwhile; the warm-up
 * reads nothing.
 *
 * Memory: two one-element tensors. Metrics (after the warm-up): `crt_gnorm` and `crt_tau`, the
 * values the step's decision used (||g_outer|| of the previous step and tau after it).
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
import { runtime } from "../src/gpu/runtime.ts";
import { zeros } from "../src/ops/elementwise.ts";
import { axpby_, globalNorm } from "../src/ops/multi_tensor.ts";
import { readLater } from "../src/step/readback.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { warmup } from "../src/plugins/combinators.ts";
import { CRT_Z, LAM, WARMUP_STEPS_MEAN_BASED } from "./common.ts";
import { COST, GSAM_FLAT_REPORT, GSAM_RATIO_REPORT, GSAM_SHARP_REPORT } from "./reports.ts";

/** Which comparison. */
export type GsamRule = "flat" | "sharp" | "ratio";

class GsamCriterion implements CriterionHooks {
  readonly #rule: GsamRule;
  readonly #lam: number;
  readonly #phi: number;
  readonly #phiPrime: number;
  /** [||g_outer||, tau] of the last SAM step, packed for a single read. */
  #stats: Tensor = zeros([2]).keep();
  #tau: Tensor = zeros([1]).keep();
  #pending: Promise<Float32Array> | null = null;
  /** ||g|| and tau, checkpointed by the engine. */
  readonly state: DeclaredState = { tensors: { stats: [this.#stats], tau: [this.#tau] } };

  /** The first step whose decision asks this rule (the one after the warm-up); reads start a step before. */
  readonly #firstAsked: number;

  constructor(rule: GsamRule, setup: SetupContext, firstAsked: number) {
    const o = setup.options;
    this.#firstAsked = firstAsked;
    this.#rule = rule;
    this.#lam = o.number("lam");
    const z = o.number("crt_z");
    const zPrime = rule === "ratio" ? o.number("z_two") : z;
    this.#phi = (1 - this.#lam) * z + this.#lam;
    this.#phiPrime = (1 - this.#lam) / zPrime + this.#lam;
  }

  /** Asked after the warm-up only (see `warmup` in the descriptor). */
  async shouldPerturb(ctx: StepContext): Promise<boolean> {
    // Normally started by the previous step; after a resume, read now.
    const pending = this.#pending ?? readLater(this.#stats);
    this.#pending = null;
    const [g, tau] = await pending;
    ctx.log("crt_gnorm", g);
    ctx.log("crt_tau", tau);
    const flat = tau > this.#phi * g;
    const sharp = tau < this.#phiPrime * g;
    return this.#rule === "flat" ? flat : this.#rule === "sharp" ? sharp : flat || sharp;
  }

  afterStep(ctx: StepContext): void {
    const g = globalNorm(ctx.grads);
    axpby_(this.#lam, [g], 1 - this.#lam, [this.#tau]);
    const rt = runtime(), st = this.#stats;
    rt.copy(g.storage.buffer, g.offset, st.storage.buffer, st.offset, 4);
    rt.copy(this.#tau.storage.buffer, this.#tau.offset, st.storage.buffer, st.offset + 4, 4);
    // Only decisions after the warm-up need the values: read them from the step before.
    if (ctx.step + 1 >= this.#firstAsked) this.#pending = readLater(st);
  }
}

const Z_TWO: OptionSpec = {
  name: "z_two",
  type: "number",
  default: 0.5,
  range: { min: 0, minExclusive: true },
  help: "gSAMratio: z in phi' = (1 - lam) / z_two + lam (seed default 0.5)",
};

function descriptor(name: string, rule: GsamRule, description: string): CriterionPlugin {
  return {
    name,
    kind: "criterion",
    report: rule === "ratio" ? GSAM_RATIO_REPORT : rule === "sharp" ? GSAM_SHARP_REPORT : GSAM_FLAT_REPORT,
    cost: COST.gsam,
    description,
    options: rule === "ratio" ? [CRT_Z, LAM, Z_TWO] : [CRT_Z, LAM],
    memory: "two scalars",
    create: (setup) =>
      warmup(WARMUP_STEPS_MEAN_BASED, new GsamCriterion(rule, setup, WARMUP_STEPS_MEAN_BASED + 1)),
  };
}

/** `gSAMflat`: perturb when tau > phi * ||g||. */
export const gSAMflat: CriterionPlugin = descriptor(
  "gSAMflat",
  "flat",
  "perturb when tau > phi * ||g_outer||",
);
/** `gSAMsharp`: perturb when tau < phi' * ||g||. */
export const gSAMsharp: CriterionPlugin = descriptor(
  "gSAMsharp",
  "sharp",
  "perturb when tau < phi' * ||g_outer||",
);
/** `gSAMratio`: either comparison, with z_two in phi'. */
export const gSAMratio: CriterionPlugin = descriptor(
  "gSAMratio",
  "ratio",
  "perturb when tau > phi * ||g_outer|| or tau < phi' * ||g_outer||",
);

/** The three gSAM criteria. */
export default [gSAMflat, gSAMsharp, gSAMratio];
