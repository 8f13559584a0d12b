/**
 * The plugin API: what an optimizer or criterion module exports, and what its hooks receive.
 *
 * A plugin is a module whose default export (or `plugins` export) is a descriptor, or an array
 * of descriptors: a name, a kind, the CLI options it adds, and a `create` factory returning its
 * hooks. Three roles exist:
 *
 * - base optimizer (`kind: "optimizer", role: "base"`): the update rule, e.g. `sgd`, `adamw`;
 * - sharpness optimizer (`kind: "optimizer", role: "sharpness"`): the SAM-family variant in
 *   `--opt <variant>-<base>`, e.g. `sam`, `vasso`, `vassore`, `vassoremu`; it says how the
 *   perturbation e is formed;
 * - criterion (`kind: "criterion"`): `--crt <name>`, decides per step whether a fresh inner
 *   gradient is computed (or, like `schedule`, whether the step is a SAM step at all).
 *
 * Hooks, in the order the step engine calls them (variant first, then criterion, for each hook;
 * see `src/plugins/README.md` for the full table with what each context may touch):
 *
 * | hook | when | typical use |
 * | --- | --- | --- |
 * | `onEpochStart(ctx)` | `engine.startEpoch(e)`, before the epoch's first step | `schedule` |
 * | `samStep(ctx)` | start of every step; false from any plugin: plain base-optimizer step | `schedule` |
 * | `shouldPerturb(ctx)` | start of a SAM step, before any pass; may be async | criteria |
 * | `beforeAscent(ctx)` | after the inner pass (if any), before w is saved and w += e | EMA update |
 * | `perturbation(ctx)` | right after `beforeAscent`; sharpness optimizers only: e = coef * direction | |
 * | `afterStep(ctx)` | after restore and the base step; grads hold the outer gradient | norms, tau, async reads |
 * | `saveState()` / `loadState(s)` | checkpoint and resume | |
 * | `dispose()` | engine disposal | free buffers |
 *
 * Synchronous hooks run inside a `tidy` scope: temporaries are freed when the hook returns, and
 * anything a plugin keeps across steps must be `keep()`-ed (and disposed in `dispose`).
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import type { Coef } from "../ops/multi_tensor.ts";
import type { BaseOptimizer, PluginState } from "../optim/types.ts";
import type { OptionSpec, OptionValues } from "./options.ts";

/** The descriptor kinds. */
export type PluginKind = "optimizer" | "criterion";

/** What `create` receives: the model's tensors and the resolved options (defaults filled in). */
export interface SetupContext {
  readonly params: readonly Tensor[];
  readonly grads: readonly Tensor[];
  readonly options: OptionValues;
}

/** What `onEpochStart` receives. */
export interface EpochContext {
  /** 0-based epoch, as in the seed's `range(start_epoch, epochs)`. */
  readonly epoch: number;
  readonly options: OptionValues;
}

/** What the step hooks receive; a fresh object per step. */
export interface StepContext {
  /**
   * 1-based SAM-family step t. The seed's `iteration_step_counter` at the same decision is t - 1
   * (it is incremented after the criterion runs); the built-in rules are written on that count.
   */
  readonly step: number;
  /** 1-based iteration over all steps, SAM or plain. */
  readonly iteration: number;
  readonly epoch: number;
  /**
   * This step's decision: true when a fresh inner gradient was computed. Fixed once per step
   * (the seed re-evaluated its criterion per parameter); false while `samStep`/`shouldPerturb` run.
   */
  readonly perturb: boolean;
  readonly params: readonly Tensor[];
  /**
   * The gradient buffers: in `beforeAscent` they hold the inner gradient at w when `perturb`
   * (stale otherwise); in `afterStep` the outer gradient at w + e.
   */
  readonly grads: readonly Tensor[];
  readonly options: OptionValues;
  /** The engine's seeded uniform [0, 1) stream (checkpointed with the engine). */
  random(): number;
  /** Adds a number to this step's metrics (returned by `engine.step`, e.g. for the JSONL log). */
  log(name: string, value: number): void;
}

/** The ascent e = coef * direction; the engine saves w, adds e, and later restores w from the copy. */
export interface Perturbation {
  direction: readonly Tensor[];
  coef: Coef;
}

/** The optional hooks shared by sharpness optimizers and criteria (see the module table). */
export interface StepHooks {
  onEpochStart?(ctx: EpochContext): void;
  samStep?(ctx: StepContext): boolean;
  shouldPerturb?(ctx: StepContext): boolean | Promise<boolean>;
  beforeAscent?(ctx: StepContext): void;
  afterStep?(ctx: StepContext): void;
  saveState?(): PluginState;
  loadState?(state: PluginState): void;
  dispose?(): void;
}

/** A sharpness optimizer's hooks: the shared ones plus the perturbation. */
export interface SharpnessHooks extends StepHooks {
  perturbation(ctx: StepContext): Perturbation;
}

/** A criterion's hooks. */
export type CriterionHooks = StepHooks;

/** What every descriptor has. */
export interface PluginInfo {
  /** The name used on the command line: `--opt <name>`, `--opt <name>-sgd`, `--crt <name>`. */
  name: string;
  kind: PluginKind;
  /** One line for `--help`. */
  description: string;
  /** Options this plugin adds; an option shared by several plugins must have the same spec. */
  options?: readonly OptionSpec[];
}

/** A base optimizer descriptor (sgd, adamw). */
export interface BaseOptimizerPlugin extends PluginInfo {
  kind: "optimizer";
  role: "base";
  create(setup: SetupContext): BaseOptimizer;
}

/** A sharpness (SAM-family) optimizer descriptor (sam, vasso, vassore, vassoremu). */
export interface SharpnessPlugin extends PluginInfo {
  kind: "optimizer";
  role: "sharpness";
  /**
   * True if a step without a fresh inner gradient is meaningful (the perturbation is reused or
   * rebuilt from state), so criteria that skip may be combined with it.
   */
  reuse: boolean;
  /** Extra buffers it allocates, for the docs and `--help` (e.g. "ema"). The engine adds the w copy. */
  memory?: string;
  create(setup: SetupContext): SharpnessHooks;
}

/** A criterion descriptor (baseline, naive, random, gSAM*, cosSim, schedule, third-party). */
export interface CriterionPlugin extends PluginInfo {
  kind: "criterion";
  /** False if `shouldPerturb` never answers false, so any sharpness optimizer fits. Default true. */
  skips?: boolean;
  /** Extra buffers it allocates (e.g. "g_{t-1}"). */
  memory?: string;
  create(setup: SetupContext): CriterionHooks;
}

/** Any descriptor. */
export type PluginDescriptor = BaseOptimizerPlugin | SharpnessPlugin | CriterionPlugin;
