/**
 * Built-in sharpness optimizer `asam`: Adaptive SAM (Kwon et al., "ASAM: Adaptive
 * Sharpness-Aware Minimization for Scale-Invariant Learning of Deep Neural Networks", ICML 2021).
 * The ascent is taken in the space rescaled elementwise by T_w = |w| + eta:
 *
 *   e = rho * T_w^2 g / ||T_w g||,   g the inner gradient at w, one global norm.
 *
 * Since ||T_w g||^2 = (T_w^2 g) . g, one kernel writes d = T_w^2 g (`shaders/asam_direction.wgsl`)
 * and the norm is one dot product, kept on the GPU as the coefficient of the engine's axpy.
 * T_w is applied to every parameter, biases and BatchNorm affine parameters included (the
 * authors' code leaves non-`weight` tensors unscaled; the plugin API has no parameter names).
 *
 * Defaults: `asam_rho` 0.5 is the radius the paper reports for SGD on CIFAR-10 (its Table 2 /
 * Sec. 5.1: ASAM rho 0.5 against SAM's 0.05, CIFAR-100 used 1.0); `asam_eta` 0.01 is the
 * paper's eta. ASAM's rho is on another scale than SAM's (the perturbation is measured in units
 * of |w|), hence its own option rather than `--rho`.
 *
 * Memory: d, shaped like the parameters (scratch within a step). Cost: SAM's, bwp 2.
 *
 * @module
 */
import asamSrc from "../shaders/asam_direction.wgsl" with { type: "text" };
import type { SharpnessHooks, SharpnessPlugin, StepContext } from "../src/plugins/api.ts";
import { Params } from "../src/gpu/params.ts";
import { grid, launch } from "../src/ops/launch.ts";
import { dot } from "../src/ops/multi_tensor.ts";
import { forEachChunk, stateLike } from "../src/ops/flat_layout.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import type { OptionValues } from "../src/plugins/options.ts";
import { NORM_EPS } from "./common.ts";
import { ASAM_REPORT, COST } from "./reports.ts";

/** d = (|w| + eta)^2 * g over aligned lists, one dispatch per parameter group. */
export function asamDirection(
  params: readonly Tensor[],
  grads: readonly Tensor[],
  eta: number,
  out: readonly Tensor[],
): void {
  forEachChunk([params, grads, out], (ranges, n) => {
    const bytes = new Params().u32(n).f32(eta).u32(0, 0).bytes();
    launch("optim.asam_direction", asamSrc, {}, ranges, bytes, grid(n));
  });
}

class Asam implements SharpnessHooks {
  readonly #rho: number;
  readonly #eta: number;
  readonly #d: Tensor[];

  constructor(params: readonly Tensor[], options: OptionValues) {
    this.#rho = options.number("asam_rho");
    this.#eta = options.number("asam_eta");
    this.#d = stateLike(params);
  }

  perturbation(ctx: StepContext) {
    asamDirection(ctx.params, ctx.grads, this.#eta, this.#d);
    return {
      direction: this.#d,
      coef: {
        alpha: this.#rho,
        scalar: dot(this.#d, ctx.grads),
        mode: "inverseSqrt" as const,
        eps: NORM_EPS,
      },
    };
  }

  dispose(): void {
    this.#d.forEach((t) => t.dispose());
  }
}

/** The `asam` descriptor. */
const asam: SharpnessPlugin = {
  name: "asam",
  kind: "optimizer",
  role: "sharpness",
  report: ASAM_REPORT,
  cost: COST.sam,
  description: "ASAM: e = asam_rho * T^2 g / ||T g||, T = |w| + asam_eta (adaptive, scale-invariant)",
  options: [
    {
      name: "asam_rho",
      type: "number",
      default: 0.5,
      range: { min: 0 },
      help: "asam: perturbation radius in the |w|-scaled space (paper: 0.5 for SGD on CIFAR-10)",
    },
    {
      name: "asam_eta",
      type: "number",
      default: 0.01,
      range: { min: 0 },
      help: "asam: T_w = |w| + eta, keeps zero weights perturbable (paper: 0.01)",
    },
  ],
  reuse: false,
  memory: "d = T_w^2 g (scratch)",
  create: ({ params, options }) => new Asam(params, options),
};

export default asam;
