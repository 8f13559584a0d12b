/**
 * The plugin API: what an optimizer or criterion module exports. A plugin is a module whose
 * default export (or `plugins` export) is a descriptor, or an array of descriptors: a name, a
 * kind, the CLI options it adds, and a `create` factory returning its hooks (the contracts of
 * `src/step/hooks.ts`). Three roles exist:
 *
 * - base optimizer (`kind: "optimizer", role: "base"`): the update rule, e.g. `sgd`, `adamw`;
 * - sharpness optimizer (`kind: "optimizer", role: "sharpness"`): the SAM-family variant in
 *   `--opt <variant>-<base>`, e.g. `sam`, `vasso`, `vassore`, `vassoremu`; it says how the
 *   perturbation e is formed;
 * - criterion (`kind: "criterion"`): `--crt <name>`, decides per step whether a fresh inner
 *   gradient is computed (or, like `schedule`, whether the step is a SAM step at all).
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import type { BaseOptimizer } from "../step/types.ts";
import type { CriterionHooks, SharpnessHooks } from "../step/hooks.ts";
import type { OptionSpec, OptionValues } from "./options.ts";
import type { PluginReport } from "./report.ts";

// The hook contracts a descriptor's `create` returns, owned by the step package.
export type {
  CriterionHooks,
  DeclaredState,
  EpochContext,
  JsonValue,
  Perturbation,
  SharpnessHooks,
  StepContext,
  StepHooks,
  StepLoss,
} from "../step/hooks.ts";

/** The descriptor kinds. */
export type PluginKind = "optimizer" | "criterion";

/** What `create` receives: the model's tensors and the resolved options (defaults filled in). */
export interface SetupContext {
  /** The model's parameters (views into flat buffers for a model). */
  readonly params: readonly Tensor[];
  /** Their gradients, index by index. */
  readonly grads: readonly Tensor[];
  /** Every registered option, typed, defaults filled in. */
  readonly options: OptionValues;
}

/** What every descriptor has. */
export interface PluginInfo {
  /** The name used on the command line: `--opt <name>`, `--opt <name>-sgd`, `--crt <name>`. */
  name: string;
  /** Optimizer or criterion. */
  kind: PluginKind;
  /** One line for `--help`. */
  description: string;
  /** Options this plugin adds; an option shared by several plugins must have the same spec. */
  options?: readonly OptionSpec[];
  /**
   * How the plugin appears in the results CSV's `hyperparameters` and `crt_parameter` cells
   * (`src/plugins/report.ts`). Optional: without it, its options are written as `name=value;`
   * (hyperparameters) and its first option as `name=value` (crt_parameter).
   */
  report?: PluginReport;
  /**
   * One line on its cost per step for `--list` and the README, e.g. "bwp 2: two forward and two
   * backward passes per step"; bwp is the backward passes per step relative to SGD where known.
   */
  cost?: string;
}

/** A base optimizer descriptor (sgd, adamw). */
export interface BaseOptimizerPlugin extends PluginInfo {
  /** Always "optimizer". */
  kind: "optimizer";
  /** The update rule itself. */
  role: "base";
  /** Builds the optimizer bound to the model's parameters. */
  create(setup: SetupContext): BaseOptimizer;
}

/** A sharpness (SAM-family) optimizer descriptor (sam, vasso, vassore, vassoremu). */
export interface SharpnessPlugin extends PluginInfo {
  /** Always "optimizer". */
  kind: "optimizer";
  /** A SAM-family variant wrapped around a base optimizer. */
  role: "sharpness";
  /**
   * True if a step without a fresh inner gradient is meaningful (the perturbation is reused or
   * rebuilt from state), so criteria that skip may be combined with it.
   */
  reuse: boolean;
  /** Extra buffers it allocates, for the docs and `--help` (e.g. "ema"). The engine adds the w copy. */
  memory?: string;
  /** Builds the hooks (with `perturbation`) for one engine. */
  create(setup: SetupContext): SharpnessHooks;
}

/** A criterion descriptor (baseline, naive, random, gSAM*, cosSim, schedule, third-party). */
export interface CriterionPlugin extends PluginInfo {
  /** Always "criterion". */
  kind: "criterion";
  /** False if `shouldPerturb` never answers false, so any sharpness optimizer fits. Default true. */
  skips?: boolean;
  /** Extra buffers it allocates (e.g. "g_{t-1}"). */
  memory?: string;
  /** Builds the hooks for one engine (the combinators in `combinators.ts` help). */
  create(setup: SetupContext): CriterionHooks;
}

/** Any descriptor. */
export type PluginDescriptor = BaseOptimizerPlugin | SharpnessPlugin | CriterionPlugin;
