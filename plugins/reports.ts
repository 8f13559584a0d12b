/**
 * The built-in plugins' `report` and `cost` descriptor fields: how each appears in the results
 * CSV, written as the seed's `hyperparameters()` and `criteria_parameters()` write it (values
 * as Python prints them), and its cost per step for `--list`.
 *
 * @module
 */
import type { OptionValues } from "../src/plugins/options.ts";
import type { DecisionTrace, PluginReport, TraceLine } from "../src/plugins/report.ts";
import { pyFloat } from "../src/plugins/report.ts";

/** Base optimizers (sgd, adamw): the seed writes only the learning rate, `lr=0.05;`. */
export const BASE_REPORT: PluginReport = { hyperparameters: (o) => `lr=${float("lr")(o)};` };

/** SAM: `rho=0.1;`. */
export const SAM_REPORT: PluginReport = { hyperparameters: (o) => `rho=${float("rho")(o)};` };

/** VaSSO and its reuse variants: `rho=0.1;theta=0.4;`. */
export const VASSO_REPORT: PluginReport = {
  hyperparameters: (o) => `rho=${float("rho")(o)};theta=${float("theta")(o)};`,
};

/** A `number` option as the seed prints its float flags (Python floats: `1.0`, `0.05`). */
function float(option: string): (o: OptionValues) => string {
  return (o) => pyFloat(o.number(option));
}

/** baseline: empty crt_parameter (the seed writes none for it), nothing in hyperparameters. */
export const BASELINE_REPORT: PluginReport = { hyperparameters: () => "", crtParameter: () => "" };

/** naive: `k=2`. */
export const NAIVE_REPORT: PluginReport = {
  hyperparameters: () => "",
  crtParameter: (o) => `k=${o.number("crt_k")}`,
};

/** random: `p=0.5`. */
export const RANDOM_REPORT: PluginReport = {
  hyperparameters: () => "",
  crtParameter: (o) => `p=${float("crt_p")(o)}`,
};

/**
 * The gSAM decision trace: ||g|| against the thresholds tau / phi (gSAMflat fires below it) and
 * tau / phi' (gSAMsharp fires above it), phi = (1 - lam) z + lam, phi' = (1 - lam) / z' + lam.
 */
function gsamTrace(rule: "flat" | "sharp" | "ratio"): (o: OptionValues) => DecisionTrace {
  return (o) => {
    const lam = o.number("lam"), z = o.number("crt_z");
    const zPrime = rule === "ratio" ? o.number("z_two") : z;
    const lines: TraceLine[] = [];
    if (rule !== "sharp") {
      lines.push({
        label: "tau / phi: fires below",
        metric: "crt_tau",
        scale: 1 / ((1 - lam) * z + lam),
        dash: "5 3",
      });
    }
    if (rule !== "flat") {
      lines.push({
        label: "tau / phi': fires above",
        metric: "crt_tau",
        scale: 1 / ((1 - lam) / zPrime + lam),
        dash: "2 2",
      });
    }
    return {
      primary: "crt_gnorm",
      yLabel: "gradient norm",
      names: { crt_gnorm: "||g|| (decision input)", crt_tau: "tau" },
      lines,
    };
  };
}

/** gSAMflat: hyperparameters `lam=0.1;z=1.5;`, crt_parameter `z=1.5`. */
export const GSAM_FLAT_REPORT: PluginReport = {
  hyperparameters: (o) => `lam=${float("lam")(o)};z=${float("crt_z")(o)};`,
  crtParameter: (o) => `z=${float("crt_z")(o)}`,
  trace: gsamTrace("flat"),
};

/** gSAMsharp: as gSAMflat, with its own threshold in the trace. */
export const GSAM_SHARP_REPORT: PluginReport = { ...GSAM_FLAT_REPORT, trace: gsamTrace("sharp") };

/** gSAMratio: hyperparameters `lam=0.1;z=1.5;z2=0.5;`, crt_parameter `z=1.5`. */
export const GSAM_RATIO_REPORT: PluginReport = {
  hyperparameters: (o) => `lam=${float("lam")(o)};z=${float("crt_z")(o)};z2=${float("z_two")(o)};`,
  crtParameter: (o) => `z=${float("crt_z")(o)}`,
  trace: gsamTrace("ratio"),
};

/**
 * cosSim: hyperparameters `>0?0` (no `;`, as the seed writes it), crt_parameter `>0?=0`. The
 * value is written as the seed writes its default, an int `0`; any other value as a float.
 */
export const COS_SIM_REPORT: PluginReport = {
  hyperparameters: (o) => `>0?${cosC(o.number("crt_c"))}`,
  crtParameter: (o) => `>0?=${cosC(o.number("crt_c"))}`,
  trace: (o) => ({
    primary: "crt_cos",
    names: { crt_cos: "cos(g_t, g_t-1)" },
    lines: [{ label: `c = ${o.number("crt_c")}: fires at or below`, y: o.number("crt_c") }],
  }),
};

function cosC(c: number): string {
  return c === 0 ? "0" : pyFloat(c);
}

/** schedule: `s=[100-200]`, nothing in hyperparameters. */
export const SCHEDULE_REPORT: PluginReport = {
  hyperparameters: () => "",
  crtParameter: (o) => `s=${o.string("crt_s")}`,
};

/** asam: `rho=0.5;eta=0.01;` (its own radius `asam_rho`, written as rho). */
export const ASAM_REPORT: PluginReport = {
  hyperparameters: (o) => `rho=${float("asam_rho")(o)};eta=${float("asam_eta")(o)};`,
};

/** looksam: `rho=0.1;k=5;alpha=0.7;`. */
export const LOOKSAM_REPORT: PluginReport = {
  hyperparameters: (o) => `rho=${float("rho")(o)};k=${o.number("look_k")};alpha=${float("look_alpha")(o)};`,
};

/** gsamopt (GSAM): `rho=0.1;alpha=0.1;`. */
export const GSAM_OPT_REPORT: PluginReport = {
  hyperparameters: (o) => `rho=${float("rho")(o)};alpha=${float("gsam_alpha")(o)};`,
};

/** msam: `rho=0.3;` (its own radius `msam_rho`). */
export const MSAM_REPORT: PluginReport = { hyperparameters: (o) => `rho=${float("msam_rho")(o)};` };

/**
 * rst: hyperparameters `p0=0.5;p1=0.5;sched=constant;T=200;`, crt_parameter `p=0.5` for a
 * constant schedule, else `p=0.9:0.1` (start:end).
 */
export const RST_REPORT: PluginReport = {
  hyperparameters: (o) =>
    `p0=${float("rst_p_start")(o)};p1=${float("rst_p_end")(o)};sched=${o.string("rst_schedule")};` +
    `T=${o.number("rst_epochs")};`,
  crtParameter: (o) =>
    o.string("rst_schedule") === "constant"
      ? `p=${float("rst_p_start")(o)}`
      : `p=${float("rst_p_start")(o)}:${float("rst_p_end")(o)}`,
};

/** ae_sam: hyperparameters `delta=0.9;c=0.0;warmup=5;`, crt_parameter `c=0.0`. */
export const AE_SAM_REPORT: PluginReport = {
  hyperparameters: (o) =>
    `delta=${float("ae_delta")(o)};c=${float("ae_c")(o)};warmup=${o.number("ae_warmup")};`,
  crtParameter: (o) => `c=${float("ae_c")(o)}`,
};

/** Cost lines (`cost` descriptor field), bwp = backward passes per step relative to SGD. */
export const COST = {
  base: "bwp 1: one forward and one backward pass per step",
  sam: "bwp 2: an inner and an outer forward/backward pass every step",
  reuse: "bwp 1 + fraction of steps perturbed: 2 passes on perturbed steps, 1 on skipped ones",
  baseline: "perturbs every step (bwp 2 with any SAM-family optimizer); no work of its own",
  naive: "bwp 1 + 1/crt_k after the warm-up; no GPU work of its own",
  random: "bwp about 1 + crt_p; no GPU work of its own",
  gsam: "data-dependent bwp (first 100 steps perturb); one gradient norm per step, one 8-byte read",
  cosSim: "data-dependent bwp; one dot product and two norms per step, one copy of g",
  schedule: "bwp 2 in the scheduled epochs, 1 in the others",
  looksam:
    "bwp 1 + 1/look_k: a full SAM step every look_k steps; two norms and a dot on full steps, one norm on others",
  msam: "bwp 1: no inner pass, one norm of the momentum and the copy/restore of w per step",
  rst: "bwp about 1 + mean p over the run; no GPU work of its own",
  aeSam: "data-dependent bwp (first ae_warmup steps perturb); one sum of squares and a 4-byte read per step",
} as const;
