/**
 * The step engine: one training step of a base optimizer, optionally wrapped in a SAM-family
 * ascent/restore, with the criterion deciding per step whether a fresh inner gradient is computed.
 *
 * A SAM step, in order (hooks run for the sharpness optimizer, then the criterion):
 *
 * 1. `samStep` hooks: any false makes this a plain base-optimizer step (one outer pass, base step).
 * 2. `shouldPerturb` hooks (awaited, all of them, so every criterion's state advances each step):
 *    the decision, made once for the whole step. The first SAM step always perturbs (there is
 *    no perturbation to reuse yet), unless the sharpness optimizer says `innerPass: false`
 *    (MSAM: its direction is the base optimizer's momentum), which never perturbs.
 * 3. If perturbing: zero grads, inner pass at w (counted as one inner forward and backward).
 * 4. `beforeAscent` hooks (e.g. the EMA update), then `perturbation` gives e = coef * direction.
 * 5. Save w into a copy (a buffer copy), w += e (one fused dispatch).
 * 6. Zero grads, outer pass at w + e.
 * 7. Restore w exactly from the copy (not by subtracting e, which would not round-trip in f32).
 * 8. `beforeBaseStep` hooks (they may rewrite the outer gradient), then the base optimizer step.
 * 9. `afterStep` hooks (norms, tau, copies, asynchronous reads for the next decision); submit.
 *
 * Gradient accumulation (`--accum_steps`) lives in the closure, not here: `accumulated()` in
 * `accumulate.ts` runs a pass over n micro-batches, so the engine, its counters and the hooks see
 * one pass per pass.
 *
 * Nothing is read back to the CPU by the engine itself; criteria read the scalars they need
 * with `readLater` and await them at the next decision.
 *
 * Memory: the engine adds one copy of the parameters (the saved w) when a sharpness optimizer
 * is used; the plugins add their own buffers (see `src/plugins/README.md`).
 *
 * @module
 */
import { runtime } from "../gpu/runtime.ts";
import { axpy_, copy_ } from "../ops/multi_tensor.ts";
import { tidy } from "../tensor/scope.ts";
import { Tensor } from "../tensor/tensor.ts";
import type {
  CriterionHooks,
  EpochContext,
  JsonValue,
  SharpnessHooks,
  StepContext,
  StepHooks,
} from "./hooks.ts";
import type { OptionValues } from "./options.ts";
import { stateLike, zeroList } from "../ops/flat_layout.ts";
import { Rng } from "../random/rng.ts";
import {
  type BaseOptimizer,
  type ComputeGrad,
  type Counters,
  overheads,
  type ParamSet,
  type PassContext,
  type PluginState,
} from "./types.ts";

/** When BatchNorm running statistics update: on the first forward pass of a step, or on every one. */
export type BnUpdate = "once" | "both";

/**
 * A hook of a plugin failed: it threw, or a boolean hook returned something else. The message is
 * one line naming the plugin, its file, the hook and the SAM step, e.g.
 * `plugin aesam (./ae_sam.ts): shouldPerturb threw at step 3: boom`, so a trainer can print it as is.
 */
export class PluginHookError extends Error {
  /** See the class documentation; `detail` ends the message, `cause` is the original error. */
  constructor(
    /** The plugin's name (`--opt` variant or `--crt`). */
    readonly plugin: string,
    /** Where it was loaded from: the `--plugin` specifier, or "built-in". */
    readonly source: string,
    /** The hook, e.g. "shouldPerturb". */
    readonly hook: string,
    /** The 1-based SAM step the hook ran for (the coming one for `samStep`, the epoch's next for `onEpochStart`). */
    readonly step: number,
    /** What went wrong, e.g. "threw at step 3: boom". */
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin ${plugin} (${source}): ${hook} ${detail}`, options);
    this.name = "PluginHookError";
  }
}

/** A sharpness optimizer or criterion as the engine holds it: its hooks, name and origin. */
export interface EnginePlugin<H> {
  name: string;
  /** The `--plugin` specifier it came from, or "built-in" (default); named in hook errors. */
  source?: string;
  hooks: H;
}

/** The parts an engine is assembled from (`createEngine` in `src/plugins` builds them from names). */
export interface EngineParts {
  set: ParamSet;
  base: BaseOptimizer;
  /** The SAM-family variant; absent for a plain `sgd` / `adamw` run. */
  sharpness?: (EnginePlugin<SharpnessHooks> & { reuse: boolean }) | null;
  /** The decision rule; absent means always perturb. */
  criterion?: EnginePlugin<CriterionHooks> | null;
  options: OptionValues;
  bnUpdate?: BnUpdate;
  /** Seed of the stream criteria draw from (`ctx.random()`). */
  seed?: number;
}

/** What one `step` returns. The caller owns `outer` and `inner` (e.g. loss tensors to dispose). */
export interface StepResult<T> {
  /** The closure's result for the outer pass (the only pass of a plain step). */
  outer: T;
  /** The closure's result for the inner pass, or null when none ran. */
  inner: T | null;
  /** Whether this was a SAM-family step (false: plain base-optimizer step). */
  sam: boolean;
  /** Whether a fresh inner gradient was computed. */
  perturbed: boolean;
  /** 1-based iteration of this step. */
  iteration: number;
  /** The SAM step t, or 0 for a plain step. */
  step: number;
  /** Values the plugins logged this step (e.g. the criterion's ||g|| and tau). */
  metrics: Record<string, number>;
}

/** A checkpoint of the whole engine: prefixed plugin tensors and JSON. */
export type EngineState = PluginState;

/** The loss tensor in what a gradient closure returned: the value itself, or its `loss` field. */
function lossOf(r: unknown): Tensor | null {
  if (r instanceof Tensor) return r;
  const l = r !== null && typeof r === "object" ? (r as { loss?: unknown }).loss : undefined;
  return l instanceof Tensor ? l : null;
}

class Ctx implements StepContext {
  perturb = false;
  readonly loss: { outer: Tensor | null; inner: Tensor | null } = { outer: null, inner: null };
  constructor(
    readonly step: number,
    readonly iteration: number,
    readonly epoch: number,
    readonly params: readonly Tensor[],
    readonly grads: readonly Tensor[],
    readonly options: OptionValues,
    private readonly rng: Rng,
    private readonly metrics: Record<string, number>,
    private readonly base: BaseOptimizer,
  ) {}

  baseBuffer(name: string): readonly Tensor[] | null {
    return this.base.saveState().tensors[name] ?? null;
  }

  random(): number {
    return this.rng.uniform();
  }

  log(name: string, value: number): void {
    this.metrics[name] = value;
  }
}

/** See the module documentation. */
export class StepEngine {
  /** Counters as in the seed; see {@link overheads}. */
  readonly counters: Counters = { iterations: 0, samSteps: 0, innerForward: 0, innerBackward: 0 };
  /** When BatchNorm statistics update (`--bn_update`). */
  readonly bnUpdate: BnUpdate;
  /** The base optimizer (its `lr` is the engine's). */
  readonly base: BaseOptimizer;
  #set: ParamSet;
  #sharp: EngineParts["sharpness"];
  #crt: EngineParts["criterion"];
  #plugins: EnginePlugin<StepHooks>[];
  #options: OptionValues;
  #rng: Rng;
  #epoch = 0;
  #saved: Tensor[] | null = null;
  #busy = false;

  /** Assembles an engine; `createEngine` builds the parts from names. */
  constructor(parts: EngineParts) {
    this.#set = parts.set;
    this.base = parts.base;
    this.#sharp = parts.sharpness ?? null;
    this.#crt = parts.criterion ?? null;
    this.#plugins = [this.#sharp, this.#crt].filter((p): p is EnginePlugin<StepHooks> => !!p);
    this.#options = parts.options;
    this.bnUpdate = parts.bnUpdate ?? "once";
    this.#rng = new Rng(parts.seed ?? 3107);
    if (this.#sharp) this.#saved = stateLike(parts.set.params);
  }

  /** Learning rate of the base optimizer (a scheduler sets it between steps). */
  get lr(): number {
    return this.base.lr;
  }

  set lr(v: number) {
    this.base.lr = v;
  }

  /** The epoch of the coming steps (0-based); runs the `onEpochStart` hooks. */
  startEpoch(epoch: number): void {
    this.#epoch = epoch;
    const ctx: EpochContext = { epoch, options: this.#options };
    const step = this.counters.samSteps + 1;
    for (const p of this.#plugins) {
      if (p.hooks.onEpochStart) tidy(() => guard(p, "onEpochStart", step, () => p.hooks.onEpochStart!(ctx)));
    }
  }

  /** Forward/backward overhead over plain SGD so far: 1 + inner passes / iterations. */
  overheads(): { fwp: number; bwp: number } {
    return overheads(this.counters);
  }

  #zero(): void {
    if (this.#set.zeroGrad) this.#set.zeroGrad();
    else zeroList(this.#set.grads);
  }

  #pass(pass: PassContext["pass"], updateBnStats: boolean): PassContext {
    return { pass, updateBnStats, iteration: this.counters.iterations, epoch: this.#epoch };
  }

  /**
   * Runs one training step. `computeGrad` is called once (plain step or skipped inner pass) or
   * twice (inner, then outer) with zeroed gradients; see the module documentation for the order.
   */
  async step<T>(computeGrad: ComputeGrad<T>): Promise<StepResult<T>> {
    if (this.#busy) throw new Error("StepEngine.step: the previous step has not finished (await it)");
    this.#busy = true;
    try {
      return await this.#step(computeGrad);
    } finally {
      this.#busy = false;
    }
  }

  async #step<T>(computeGrad: ComputeGrad<T>): Promise<StepResult<T>> {
    const c = this.counters;
    const iteration = ++c.iterations;
    const metrics: Record<string, number> = {};
    const { params, grads } = this.#set;
    const ctx = new Ctx(
      c.samSteps + 1,
      iteration,
      this.#epoch,
      params,
      grads,
      this.#options,
      this.#rng,
      metrics,
      this.base,
    );
    const sharp = this.#sharp;
    let sam = sharp !== null;
    for (const p of this.#plugins) {
      if (
        sam && p.hooks.samStep && !tidy(() => guardBool(p, "samStep", ctx.step, () => p.hooks.samStep!(ctx)))
      ) {
        sam = false;
      }
    }

    if (!sharp || !sam) {
      this.#zero();
      const outer = await computeGrad(this.#pass("outer", true));
      tidy(() => this.base.step());
      runtime().flush();
      return { outer, inner: null, sam: false, perturbed: false, iteration, step: 0, metrics };
    }

    const t = ++c.samSteps;
    let perturb = true;
    for (const p of this.#plugins) {
      if (
        p.hooks.shouldPerturb && !(await guardBool(p, "shouldPerturb", t, () => p.hooks.shouldPerturb!(ctx)))
      ) {
        perturb = false;
      }
    }
    const innerPass = sharp.hooks.innerPass !== false;
    if (t === 1) perturb = true;
    if (!innerPass) perturb = false;
    if (!perturb && !sharp.reuse && innerPass) {
      throw new Error(
        `criterion ${this.#crt?.name} skipped step ${t}, but optimizer ${sharp.name} cannot reuse a perturbation`,
      );
    }
    ctx.perturb = perturb;

    let inner: T | null = null;
    if (perturb) {
      this.#zero();
      inner = await computeGrad(this.#pass("inner", true));
      ctx.loss.inner = lossOf(inner);
      c.innerForward++;
      c.innerBackward++;
    }
    this.#run("beforeAscent", ctx);
    const saved = this.#saved!;
    tidy(() => {
      const e = guard(sharp, "perturbation", t, () => sharp.hooks.perturbation(ctx));
      copy_(params, saved);
      axpy_(e.coef, e.direction, params);
    });

    this.#zero();
    let outer: T;
    try {
      outer = await computeGrad(this.#pass("outer", this.bnUpdate === "both" || !perturb));
    } finally {
      // Back to w even if the pass failed, so a checkpoint written after an error is not perturbed.
      copy_(saved, params);
    }
    ctx.loss.outer = lossOf(outer);
    this.#run("beforeBaseStep", ctx);
    tidy(() => this.base.step());
    this.#run("afterStep", ctx);
    runtime().flush();
    return { outer, inner, sam: true, perturbed: perturb, iteration, step: t, metrics };
  }

  /** Runs a synchronous hook of every plugin that has it, each in its own scope. */
  #run(hook: "beforeAscent" | "beforeBaseStep" | "afterStep", ctx: StepContext): void {
    for (const p of this.#plugins) {
      const fn = p.hooks[hook];
      if (fn) tidy(() => guard(p, hook, ctx.step, () => fn.call(p.hooks, ctx)));
    }
  }

  /**
   * The engine's state for a checkpoint: tensors prefixed `base.` (the base optimizer's
   * `saveState`), `opt.` and `crt.` (the plugins' declared {@link DeclaredState} tensors); live
   * buffers, read them back to save. JSON: the counters, epoch, RNG state and, under `base`,
   * `opt`, `crt`, the base optimizer's JSON and the plugins' declared scalars.
   */
  saveState(): EngineState {
    const tensors: Record<string, readonly Tensor[]> = {};
    const json: Record<string, unknown> = {
      counters: { ...this.counters },
      epoch: this.#epoch,
      rng: this.#rng.state,
    };
    const base = this.base.saveState();
    for (const [k, v] of Object.entries(base.tensors)) tensors[`base.${k}`] = v;
    json.base = base.json;
    for (const [prefix, p] of this.#declared()) {
      const st = p.hooks.state;
      if (!st) continue;
      for (const [k, v] of Object.entries(st.tensors ?? {})) tensors[`${prefix}.${k}`] = v;
      json[prefix] = JSON.parse(JSON.stringify(st.scalars ?? {}));
    }
    return { tensors, json };
  }

  /**
   * Restores {@link saveState}'s output into a freshly built engine of the same configuration:
   * declared tensors get the saved contents, declared scalars the saved fields.
   */
  loadState(state: EngineState): void {
    const counters = state.json.counters as Counters | undefined;
    if (counters) Object.assign(this.counters, counters);
    this.#epoch = Number(state.json.epoch ?? 0);
    this.#rng.state = Number(state.json.rng ?? 0);
    this.base.loadState({
      tensors: withPrefix(state.tensors, "base"),
      json: (state.json.base ?? {}) as Record<string, unknown>,
    });
    for (const [prefix, p] of this.#declared()) {
      const st = p.hooks.state;
      if (!st) continue;
      const saved = withPrefix(state.tensors, prefix);
      for (const [k, list] of Object.entries(st.tensors ?? {})) if (saved[k]) copy_(saved[k], list);
      const json = (state.json[prefix] ?? {}) as Record<string, JsonValue>;
      if (st.scalars) { for (const k of Object.keys(st.scalars)) if (k in json) st.scalars[k] = json[k]; }
    }
  }

  /** The plugins with their checkpoint prefixes. */
  #declared(): [string, EnginePlugin<StepHooks>][] {
    const out: [string, EnginePlugin<StepHooks>][] = [];
    if (this.#sharp) out.push(["opt", this.#sharp]);
    if (this.#crt) out.push(["crt", this.#crt]);
    return out;
  }

  /** Frees the engine's and the plugins' buffers, declared state included (not the parameters). */
  dispose(): void {
    this.#saved?.forEach((t) => t.dispose());
    this.#saved = null;
    for (const p of this.#plugins) {
      p.hooks.dispose?.();
      for (const list of Object.values(p.hooks.state?.tensors ?? {})) {
        for (const t of list) if (!t.isDisposed) t.dispose();
      }
    }
    this.base.dispose();
  }
}

/** The entries of `tensors` under `prefix.`, with the prefix removed. */
function withPrefix(
  tensors: Record<string, readonly Tensor[]>,
  prefix: string,
): Record<string, readonly Tensor[]> {
  const out: Record<string, readonly Tensor[]> = {};
  for (const [k, v] of Object.entries(tensors)) {
    if (k.startsWith(`${prefix}.`)) out[k.slice(prefix.length + 1)] = v;
  }
  return out;
}

/** Runs one hook, turning an exception into a {@link PluginHookError} naming the plugin. */
function guard<R>(p: EnginePlugin<unknown>, hook: string, step: number, fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    throw hookError(p, hook, step, e);
  }
}

function hookError(p: EnginePlugin<unknown>, hook: string, step: number, e: unknown): PluginHookError {
  if (e instanceof PluginHookError) return e;
  const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return new PluginHookError(p.name, p.source ?? "built-in", hook, step, `threw at step ${step}: ${msg}`, {
    cause: e,
  });
}

function checkBool(p: EnginePlugin<unknown>, hook: string, step: number, v: unknown): boolean {
  if (typeof v === "boolean") return v;
  const got = v === null
    ? "null"
    : typeof v === "string"
    ? JSON.stringify(v)
    : typeof v === "object"
    ? "an object"
    : String(v);
  throw new PluginHookError(
    p.name,
    p.source ?? "built-in",
    hook,
    step,
    `returned ${got} at step ${step}, expected true or false`,
  );
}

/** {@link guard} for a boolean hook, sync or async: a non-boolean answer is an error too. */
function guardBool(p: EnginePlugin<unknown>, hook: string, step: number, fn: () => boolean): boolean;
function guardBool(
  p: EnginePlugin<unknown>,
  hook: string,
  step: number,
  fn: () => boolean | Promise<boolean>,
): boolean | Promise<boolean>;
function guardBool(
  p: EnginePlugin<unknown>,
  hook: string,
  step: number,
  fn: () => boolean | Promise<boolean>,
): boolean | Promise<boolean> {
  const v = guard(p, hook, step, fn);
  if (v instanceof Promise) {
    return v.then((x) => checkBool(p, hook, step, x), (e) => {
      throw hookError(p, hook, step, e);
    });
  }
  return checkBool(p, hook, step, v);
}
