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

/** Threshold of the warm-up of naive, random and cosSim: the first step perturbs. */
export const WARMUP_STEPS = 1;

/** Warm-up of the gSAM criteria (mean-based): the first 100 steps perturb. */
export const WARMUP_STEPS_MEAN_BASED = 100;

/** The `eps` in e = rho * v / (||v|| + eps). */
export const NORM_EPS = 1e-12;
