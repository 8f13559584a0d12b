/**
 * Option specs shared by several built-in plugins. A shared option must have one spec, so the
 * plugins that use it import it from here.
 *
 * @module
 */
import type { OptionSpec } from "../src/plugins/options.ts";

/** `--lr`: learning rate of the base optimizer (seed default 0.05). */
export const LR: OptionSpec = {
  name: "lr",
  type: "number",
  default: 0.05,
  range: { min: 0 },
  help: "learning rate",
};

/** `--weight_decay` (seed default 1e-3): added to the gradient by SGD, decoupled in AdamW. */
export const WEIGHT_DECAY: OptionSpec = {
  name: "weight_decay",
  type: "number",
  default: 1e-3,
  range: { min: 0 },
  help: "weight decay (SGD: added to the gradient; AdamW: decoupled)",
};

/** `--rho`: radius of the perturbation of every SAM-family optimizer. */
export const RHO: OptionSpec = {
  name: "rho",
  type: "number",
  default: 0.1,
  range: { min: 0 },
  help: "perturbation radius of SAM-type optimizers",
};

/** `--theta`: weight of the new gradient in VaSSO's EMA. */
export const THETA: OptionSpec = {
  name: "theta",
  type: "number",
  default: 0.4,
  range: { min: 0, max: 1 },
  help: "VaSSO moving-average weight: ema = (1 - theta) * ema + theta * g",
};

/** `--lam`: weight of the newest outer-gradient norm in tau (gSAM criteria). */
export const LAM: OptionSpec = {
  name: "lam",
  type: "number",
  default: 0.1,
  range: { min: 0, max: 1 },
  help: "gSAM criteria: tau = (1 - lam) * tau + lam * ||g_outer||; also weights phi",
};

/** `--crt_z`: the gSAM criteria's threshold factor z. */
export const CRT_Z: OptionSpec = {
  name: "crt_z",
  type: "number",
  default: 1.0,
  range: { min: 0, minExclusive: true },
  help: "gSAM criteria: phi = (1 - lam) * z + lam, phi' = (1 - lam) / z + lam",
};

/**
 * Warm-up of naive, random and cosSim, in 1-based SAM steps: the first 2 steps perturb. The seed
 * tests `iteration_step_counter <= 1` with a counter that is still 0 on the first SAM step (it is
 * incremented after the decision), so its `WARMUP_CONSTANT = 1` covers steps 1 and 2.
 */
export const WARMUP_STEPS = 2;

/**
 * Warm-up of the gSAM criteria (mean-based), in 1-based SAM steps: the first 101 steps perturb
 * (the seed's `counter <= 100` with its 0-based counter).
 */
export const WARMUP_STEPS_MEAN_BASED = 101;

/** The `eps` in e = rho * v / (||v|| + eps). */
export const NORM_EPS = 1e-12;
