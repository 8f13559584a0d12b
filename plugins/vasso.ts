/**
 * Built-in sharpness optimizer `vasso` (Li & Giannakis, NeurIPS 2023) and the shared machinery
 * of its reuse variants `vassore` and `vassoremu`.
 *
 * VaSSO: ema = (1 - theta) * ema + theta * g (ema = g on the first step), e = rho * ema /
 * (||ema|| + 1e-12). On a step where the criterion skips the inner gradient:
 * - `vassore` reuses the last e: the EMA and its norm are left as they are, so e is rebuilt
 *   bit for bit from them (no separate e buffer);
 * - `vassoremu` updates the EMA with the previous step's outer gradient g_t instead of a fresh
 *   inner one, then forms e as usual. The decision is taken once per step by the engine (the
 *   seed re-evaluated its criterion once per parameter inside the EMA update).
 *
 * Memory beyond the engine's copy of w: `vasso`, `vassore`: the EMA; `vassoremu`: the EMA and g_t.
 *
 * @module
 */
import type {
  DeclaredState,
  Perturbation,
  SetupContext,
  SharpnessHooks,
  SharpnessPlugin,
  StepContext,
} from "../src/plugins/api.ts";
import { zeros } from "../src/ops/elementwise.ts";
import { axpby_, copy_, sumOfSquares } from "../src/ops/multi_tensor.ts";
import { stateLike } from "../src/ops/flat_layout.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { NORM_EPS, RHO, THETA } from "./common.ts";
import { COST, VASSO_REPORT } from "./reports.ts";

/** Which member of the family. */
export type VassoMode = "vasso" | "vassore" | "vassoremu";

/** The hooks of the VaSSO family; see the module documentation. */
export class VassoHooks implements SharpnessHooks {
  readonly #rho: number;
  readonly #theta: number;
  readonly #mode: VassoMode;
  #ema: Tensor[];
  /** ||ema||^2 on the GPU, from the last EMA update. */
  #emaSq: Tensor;
  /** The previous outer gradient (vassoremu only). */
  #gPrev: Tensor[] | null;
  /** Whether the EMA has started; checkpointed with the buffers. */
  #s = { ready: false };
  /** ema, ||ema||^2, g_t (vassoremu) and whether the EMA has started, checkpointed by the engine. */
  readonly state: DeclaredState;

  constructor(setup: SetupContext, mode: VassoMode) {
    this.#rho = setup.options.number("rho");
    this.#theta = setup.options.number("theta");
    this.#mode = mode;
    this.#ema = stateLike(setup.params);
    this.#emaSq = zeros([1]).keep();
    this.#gPrev = mode === "vassoremu" ? stateLike(setup.params) : null;
    const tensors: Record<string, readonly Tensor[]> = { ema: this.#ema, ema_sumsq: [this.#emaSq] };
    if (this.#gPrev) tensors.g_t = this.#gPrev;
    this.state = { tensors, scalars: this.#s };
  }

  /** Updates the EMA with the fresh inner gradient, or (vassoremu, skipped step) with g_t. */
  beforeAscent(ctx: StepContext): void {
    let g: readonly Tensor[];
    if (ctx.perturb) g = ctx.grads;
    else if (this.#gPrev) g = this.#gPrev;
    else return; // vassore: reuse e, i.e. keep the EMA and its norm
    if (this.#s.ready) axpby_(this.#theta, g, 1 - this.#theta, this.#ema);
    else copy_(g, this.#ema);
    this.#s.ready = true;
    const sq = sumOfSquares(this.#ema);
    copy_([sq], [this.#emaSq]);
  }

  /** e = rho * ema / (||ema|| + eps), the norm applied on the GPU. */
  perturbation(): Perturbation {
    return {
      direction: this.#ema,
      coef: { alpha: this.#rho, scalar: this.#emaSq, mode: "inverseSqrt", eps: NORM_EPS },
    };
  }

  /** vassoremu keeps this step's outer gradient as g_t for the next skipped step. */
  afterStep(ctx: StepContext): void {
    if (this.#gPrev) copy_(ctx.grads, this.#gPrev);
  }
}

/** The `vasso` descriptor. */
const vasso: SharpnessPlugin = {
  name: "vasso",
  kind: "optimizer",
  role: "sharpness",
  report: VASSO_REPORT,
  cost: COST.sam,
  description: "VaSSO: e = rho * ema / ||ema||, ema the theta-EMA of inner gradients",
  options: [RHO, THETA],
  reuse: false,
  memory: "ema",
  create: (setup) => new VassoHooks(setup, "vasso"),
};

export default vasso;
