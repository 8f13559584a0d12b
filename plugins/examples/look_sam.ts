/**
 * A worked third-party sharpness optimizer: LookSAM (Liu et al., "Towards Efficient and Scalable
 * Sharpness-Aware Minimization", CVPR 2022). Every k-th step is a full SAM step; the steps in
 * between take no inner pass and no ascent, and instead add back the part of the SAM gradient
 * that the plain gradient misses, remembered from the last full step:
 *
 *   full step (t = 1, 1 + k, ...):  g at w, e = rho * g / ||g||, g_s at w + e,
 *                                    g_v = g_s - (g_s . g / ||g||^2) g,  u = g_v / ||g_v||,
 *                                    the base optimizer steps with g_s;
 *   other steps:                     g at w, the base optimizer steps with g + alpha * ||g|| * u.
 *
 * Here the paper's g_v / ||g_v|| is kept as the unit vector u, so alpha * ||g|| / ||g_v|| * g_v
 * is alpha * ||g|| * u. The rewrite of the gradient happens in `beforeBaseStep`, after the outer
 * pass and the restore of w; on a reused step the perturbation is 0, so the outer pass runs at w.
 * Everything stays on the GPU: norms and dot products are one-element tensors used as fused
 * coefficients, never read back.
 *
 * Memory: u (kept across steps, declared so checkpoints carry it) and a scratch copy of g/||g||.
 *
 * Load it with `--plugin plugins/examples/look_sam.ts --opt looksam_example-sgd` (any `--crt` that never
 * skips, e.g. the default `baseline`, leaves the decision to `look_k`); it imports only the
 * public plugin front door.
 *
 * samwise ships the same algorithm as the built-in `looksam` (`plugins/looksam.ts`); this template is named
 * with `_example` so both can be registered side by side.
 *
 * @module
 */
import {
  axpy_,
  copy_,
  type DeclaredState,
  dot,
  every,
  globalNorm,
  type Perturbation,
  scale_,
  type SetupContext,
  type SharpnessHooks,
  type SharpnessPlugin,
  stateLike,
  type StepContext,
  sumOfSquares,
  type Tensor,
} from "../../src/plugins/mod.ts";

/** The `eps` in the normalisations (as the built-in SAM's). */
const EPS = 1e-12;

class LookSam implements SharpnessHooks {
  readonly #rho: number;
  readonly #alpha: number;
  /** Full SAM steps: 1, 1 + k, 1 + 2k, ... */
  readonly #full: (ctx: StepContext) => boolean;
  /** g / ||g|| of the last full step (scratch within that step). */
  readonly #gHat: Tensor[];
  /** The unit component of g_s orthogonal to g, from the last full step. */
  readonly #u: Tensor[];
  /** u is what later steps reuse, so it is checkpointed. */
  readonly state: DeclaredState;

  constructor(setup: SetupContext) {
    this.#rho = setup.options.number("rho");
    this.#alpha = setup.options.number("look_alpha");
    const rule = every(setup.options.number("look_k"));
    this.#full = (ctx) => rule.shouldPerturb(ctx);
    this.#gHat = stateLike(setup.params);
    this.#u = stateLike(setup.params);
    this.state = { tensors: { u: this.#u } };
  }

  /** A fresh inner gradient on full steps only. */
  shouldPerturb(ctx: StepContext): boolean {
    return this.#full(ctx);
  }

  /** Full step: keep g / ||g|| for the projection after the outer pass. */
  beforeAscent(ctx: StepContext): void {
    if (!ctx.perturb) return;
    copy_(ctx.grads, this.#gHat);
    scale_({ alpha: 1, scalar: sumOfSquares(this.#gHat), mode: "inverseSqrt", eps: EPS }, this.#gHat);
  }

  /** e = rho * g / ||g|| on full steps, 0 otherwise (the outer pass then runs at w). */
  perturbation(ctx: StepContext): Perturbation {
    if (!ctx.perturb) return { direction: ctx.grads, coef: 0 };
    return {
      direction: ctx.grads,
      coef: { alpha: this.#rho, scalar: sumOfSquares(ctx.grads), mode: "inverseSqrt", eps: EPS },
    };
  }

  /** Full step: u from g_s; other steps: g += alpha * ||g|| * u. */
  beforeBaseStep(ctx: StepContext): void {
    if (ctx.perturb) {
      // u = g_s - (g_s . gHat) gHat, normalised; g_s itself goes to the base step unchanged.
      copy_(ctx.grads, this.#u);
      axpy_({ alpha: -1, scalar: dot(ctx.grads, this.#gHat), mode: "value" }, this.#gHat, this.#u);
      scale_({ alpha: 1, scalar: sumOfSquares(this.#u), mode: "inverseSqrt", eps: EPS }, this.#u);
      return;
    }
    axpy_({ alpha: this.#alpha, scalar: globalNorm(ctx.grads), mode: "value" }, this.#u, ctx.grads);
  }

  /** Frees the scratch buffer (u is declared state; the engine frees it). */
  dispose(): void {
    this.#gHat.forEach((t) => t.dispose());
  }
}

/** The `looksam` sharpness optimizer descriptor. */
const lookSam: SharpnessPlugin = {
  name: "looksam_example",
  kind: "optimizer",
  role: "sharpness",
  description: "LookSAM: a SAM step every look_k steps, the reused orthogonal component in between",
  // Steps between full ones take no inner pass: the engine may skip them.
  reuse: true,
  memory: "u, a scratch copy of g",
  options: [
    // The same spec as the built-in SAM family's --rho (shared options must agree).
    {
      name: "rho",
      type: "number",
      default: 0.1,
      range: { min: 0 },
      help: "perturbation radius of SAM-type optimizers",
    },
    {
      name: "look_k",
      type: "integer",
      default: 5,
      range: { min: 1 },
      help: "looksam: a full SAM step every k steps",
    },
    {
      name: "look_alpha",
      type: "number",
      default: 0.7,
      range: { min: 0 },
      help: "looksam: weight of the reused component, alpha * ||g|| / ||g_v|| * g_v",
    },
  ],
  create: (setup) => new LookSam(setup),
};

export default lookSam;
