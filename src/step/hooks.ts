/**
 * The hook contracts of the SAM step: what the step engine calls on a sharpness optimizer and a
 * criterion, in which order, and what each hook receives. Plugins implement these; the plugin
 * layer (`src/plugins/`) creates them from descriptors and hands them to the engine.
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
 * | `beforeBaseStep(ctx)` | after the outer pass and the restore of w, before the base step | change the gradient the base step uses (LookSAM, GSAM) |
 * | `afterStep(ctx)` | after restore and the base step; grads hold the gradient it used | norms, tau, async reads |
 * | `dispose()` | engine disposal | free what `state` does not declare |
 *
 * State that must survive a checkpoint is declared, not hand-saved: `state: { tensors, scalars }`
 * ({@link DeclaredState}); the engine saves it, restores it on resume and frees its tensors, so a
 * resumed run continues exactly as the uninterrupted one.
 *
 * Synchronous hooks run inside a `tidy` scope: temporaries are freed when the hook returns, and
 * anything a plugin keeps across steps must be `keep()`-ed (and declared in `state`, or disposed
 * in `dispose`).
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import type { Coef } from "../ops/multi_tensor.ts";
import type { OptionValues } from "./options.ts";

/** What `onEpochStart` receives. */
export interface EpochContext {
  /** 0-based epoch, as in the seed's `range(start_epoch, epochs)`. */
  readonly epoch: number;
  /** Every registered option, typed. */
  readonly options: OptionValues;
}

/**
 * This step's losses as GPU tensors (no value is read back): what the closure returned for each
 * pass, when it returned a loss tensor or an object with a `loss` tensor (null otherwise, and
 * `inner` null until an inner pass ran). They belong to the caller and live until `engine.step`
 * returns: to use a value after the hook, `copy_` it into a kept tensor or start a `readLater`.
 */
export interface StepLoss {
  /** The loss at w + e (the only pass of a skipped step); set from `beforeBaseStep` on. */
  readonly outer: Tensor | null;
  /** The loss of the inner pass at w; set from `beforeAscent` on when `perturb`. */
  readonly inner: Tensor | null;
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
  /** The epoch set by the last `startEpoch` (0-based). */
  readonly epoch: number;
  /**
   * This step's decision: true when a fresh inner gradient was computed. Fixed once per step
   * (the seed re-evaluated its criterion per parameter); false while `samStep`/`shouldPerturb` run.
   */
  readonly perturb: boolean;
  /** The parameters: w, except between `w += e` and the restore (no hook runs there). */
  readonly params: readonly Tensor[];
  /**
   * The gradient buffers: in `beforeAscent` they hold the inner gradient at w when `perturb`
   * (stale otherwise); in `beforeBaseStep` the outer gradient at w + e, which that hook may
   * change; in `afterStep` the gradient the base step used.
   */
  readonly grads: readonly Tensor[];
  /** This step's losses, on the GPU; see {@link StepLoss}. */
  readonly loss: StepLoss;
  /** Every registered option, typed. */
  readonly options: OptionValues;
  /** The engine's seeded uniform [0, 1) stream (checkpointed with the engine). */
  random(): number;
  /** Adds a number to this step's metrics (returned by `engine.step`, e.g. for the JSONL log). */
  log(name: string, value: number): void;
  /**
   * A live state list of the base optimizer by its checkpoint name (`momentum_buffer` for SGD
   * with momentum, `exp_avg` / `exp_avg_sq` for AdamW), or null when it has none. Read it in a
   * hook (MSAM perturbs along SGD's momentum); never write it: the base optimizer owns it.
   */
  baseBuffer(name: string): readonly Tensor[] | null;
}

/** The ascent e = coef * direction; the engine saves w, adds e, and later restores w from the copy. */
export interface Perturbation {
  /** The direction, laid out like the parameters. */
  direction: readonly Tensor[];
  /** Its coefficient: a number, or a GPU scalar with a mode (e.g. rho / (sqrt(sum g^2) + eps)). */
  coef: Coef;
}

/** A value a plugin may keep in {@link DeclaredState.scalars}: anything JSON can write. */
export type JsonValue = number | boolean | string | null | readonly JsonValue[] | {
  readonly [k: string]: JsonValue;
};

/**
 * The state a plugin declares so that the engine checkpoints it. Names become checkpoint keys
 * (`opt.<name>` for a sharpness optimizer, `crt.<name>` for a criterion), so keep them stable.
 */
export interface DeclaredState {
  /**
   * Kept tensor lists by name (e.g. an EMA laid out like the parameters, a one-element norm):
   * saved by content; on resume the saved values are copied into these same tensors; freed by
   * `engine.dispose()`.
   */
  readonly tensors?: Readonly<Record<string, readonly Tensor[]>>;
  /**
   * A plain object that holds the plugin's CPU state (counters, running means, flags) as JSON
   * values: the plugin reads and writes its fields; the engine saves them and, on resume, assigns
   * the saved fields back into this same object.
   */
  readonly scalars?: Record<string, JsonValue>;
}

/** The optional hooks shared by sharpness optimizers and criteria (see the module table). */
export interface StepHooks {
  /** What the engine checkpoints and restores for this plugin (read at save, load and dispose). */
  readonly state?: DeclaredState;
  /** At `engine.startEpoch(e)`, before the epoch's first step. */
  onEpochStart?(ctx: EpochContext): void;
  /** Start of every step: false from any plugin makes it a plain base-optimizer step. */
  samStep?(ctx: StepContext): boolean;
  /** Start of a SAM step, before any pass: whether to compute a fresh inner gradient (awaited). */
  shouldPerturb?(ctx: StepContext): boolean | Promise<boolean>;
  /** After the inner pass (when `ctx.perturb`), before w is saved and w += e: e.g. an EMA update. */
  beforeAscent?(ctx: StepContext): void;
  /**
   * After the outer pass and the exact restore of w, before the base step: `ctx.grads` hold the
   * outer gradient and `ctx.params` are w again; a hook may rewrite the gradient in place (e.g.
   * LookSAM adds its reused component, GSAM removes the ascent direction) and the base step uses
   * the result. Only SAM-family steps have it (a plain step has no restore).
   */
  beforeBaseStep?(ctx: StepContext): void;
  /** After the base step: norms, copies, `readLater` for the next decision, `ctx.log`. */
  afterStep?(ctx: StepContext): void;
  /** Frees buffers the plugin did not declare in `state` (declared tensors are freed by the engine). */
  dispose?(): void;
}

/** A sharpness optimizer's hooks: the shared ones plus the perturbation. */
export interface SharpnessHooks extends StepHooks {
  /**
   * False when the perturbation never uses an inner gradient (MSAM perturbs along the base
   * optimizer's momentum): the engine then runs no inner pass on any step, the first included,
   * `ctx.perturb` stays false, and the criteria are still asked (their state advances) but their
   * answer changes nothing. Default true.
   */
  readonly innerPass?: boolean;
  /** Right after `beforeAscent`: the ascent e = coef * direction the engine applies. */
  perturbation(ctx: StepContext): Perturbation;
}

/** A criterion's hooks. */
export type CriterionHooks = StepHooks;
