/**
 * The step engine: one training step of a base optimizer, optionally wrapped in a SAM-family
 * ascent/restore, with the criterion deciding per step whether a fresh inner gradient is computed.
 *
 * A SAM step, in order (hooks run for the sharpness optimizer, then the criterion):
 *
 * 1. `samStep` hooks: any false makes this a plain base-optimizer step (one outer pass, base step).
 * 2. `shouldPerturb` hooks (awaited, all of them, so every criterion's state advances each step):
 *    the decision, made once for the whole step. The first SAM step always perturbs (there is
 *    no perturbation to reuse yet).
 * 3. If perturbing: zero grads, inner pass at w (counted as one inner forward and backward).
 * 4. `beforeAscent` hooks (e.g. the EMA update), then `perturbation` gives e = coef * direction.
 * 5. Save w into a copy (a buffer copy), w += e (one fused dispatch).
 * 6. Zero grads, outer pass at w + e.
 * 7. Restore w exactly from the copy (not by subtracting e, which would not round-trip in f32).
 * 8. Base optimizer step with the outer gradient.
 * 9. `afterStep` hooks (norms, tau, copies, asynchronous reads for the next decision); submit.
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
import { axpy_, copy_ } from "./grouped.ts";
import { tidy } from "../tensor/scope.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { CriterionHooks, EpochContext, SharpnessHooks, StepContext, StepHooks } from "../plugins/api.ts";
import type { OptionValues } from "../plugins/options.ts";
import { stateLike, zeroList } from "./layout.ts";
import { Rng } from "./rng.ts";
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

/** The parts an engine is assembled from (`createEngine` in `src/plugins` builds them from names). */
export interface EngineParts {
  set: ParamSet;
  base: BaseOptimizer;
  /** The SAM-family variant; absent for a plain `sgd` / `adamw` run. */
  sharpness?: { name: string; hooks: SharpnessHooks; reuse: boolean } | null;
  /** The decision rule; absent means always perturb. */
  criterion?: { name: string; hooks: CriterionHooks } | null;
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
  iteration: number;
  /** The SAM step t, or 0 for a plain step. */
  step: number;
  /** Values the plugins logged this step (e.g. the criterion's ||g|| and tau). */
  metrics: Record<string, number>;
}

/** A checkpoint of the whole engine: prefixed plugin tensors and JSON. */
export type EngineState = PluginState;

class Ctx implements StepContext {
  perturb = false;
  constructor(
    readonly step: number,
    readonly iteration: number,
    readonly epoch: number,
    readonly params: readonly Tensor[],
    readonly grads: readonly Tensor[],
    readonly options: OptionValues,
    private readonly rng: Rng,
    private readonly metrics: Record<string, number>,
  ) {}

  random(): number {
    return this.rng.next();
  }

  log(name: string, value: number): void {
    this.metrics[name] = value;
  }
}

/** See the module documentation. */
export class StepEngine {
  /** Counters as in the seed; see {@link overheads}. */
  readonly counters: Counters = { iterations: 0, samSteps: 0, innerForward: 0, innerBackward: 0 };
  readonly bnUpdate: BnUpdate;
  readonly base: BaseOptimizer;
  #set: ParamSet;
  #sharp: EngineParts["sharpness"];
  #crt: EngineParts["criterion"];
  #hooks: StepHooks[];
  #options: OptionValues;
  #rng: Rng;
  #epoch = 0;
  #saved: Tensor[] | null = null;
  #busy = false;

  constructor(parts: EngineParts) {
    this.#set = parts.set;
    this.base = parts.base;
    this.#sharp = parts.sharpness ?? null;
    this.#crt = parts.criterion ?? null;
    this.#hooks = [this.#sharp?.hooks, this.#crt?.hooks].filter((h): h is StepHooks => !!h);
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
    for (const h of this.#hooks) if (h.onEpochStart) tidy(() => h.onEpochStart!(ctx));
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
    );
    const sharp = this.#sharp;
    let sam = sharp !== null;
    for (const h of this.#hooks) if (sam && h.samStep && !tidy(() => h.samStep!(ctx))) sam = false;

    if (!sharp || !sam) {
      this.#zero();
      const outer = await computeGrad(this.#pass("outer", true));
      tidy(() => this.base.step());
      runtime().flush();
      return { outer, inner: null, sam: false, perturbed: false, iteration, step: 0, metrics };
    }

    const t = ++c.samSteps;
    let perturb = true;
    for (const h of this.#hooks) {
      if (h.shouldPerturb && !(await h.shouldPerturb(ctx))) perturb = false;
    }
    if (t === 1) perturb = true;
    if (!perturb && !sharp.reuse) {
      throw new Error(
        `criterion ${this.#crt?.name} skipped step ${t}, but optimizer ${sharp.name} cannot reuse a perturbation`,
      );
    }
    ctx.perturb = perturb;

    let inner: T | null = null;
    if (perturb) {
      this.#zero();
      inner = await computeGrad(this.#pass("inner", true));
      c.innerForward++;
      c.innerBackward++;
    }
    for (const h of this.#hooks) if (h.beforeAscent) tidy(() => h.beforeAscent!(ctx));
    const saved = this.#saved!;
    tidy(() => {
      const e = sharp.hooks.perturbation(ctx);
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
    tidy(() => this.base.step());
    for (const h of this.#hooks) if (h.afterStep) tidy(() => h.afterStep!(ctx));
    runtime().flush();
    return { outer, inner, sam: true, perturbed: perturb, iteration, step: t, metrics };
  }

  /**
   * The engine's state for a checkpoint: tensors prefixed `base.`, `opt.`, `crt.` (live buffers,
   * read them back to save) and JSON with the counters, epoch and RNG state.
   */
  saveState(): EngineState {
    const tensors: Record<string, readonly Tensor[]> = {};
    const json: Record<string, unknown> = {
      counters: { ...this.counters },
      epoch: this.#epoch,
      rng: this.#rng.state,
    };
    const parts: [string, { saveState?(): PluginState } | undefined][] = [
      ["base", this.base],
      ["opt", this.#sharp?.hooks],
      ["crt", this.#crt?.hooks],
    ];
    for (const [prefix, p] of parts) {
      const s = p?.saveState?.();
      if (!s) continue;
      for (const [k, v] of Object.entries(s.tensors)) tensors[`${prefix}.${k}`] = v;
      json[prefix] = s.json;
    }
    return { tensors, json };
  }

  /** Restores {@link saveState}'s output into an engine built with the same configuration. */
  loadState(state: EngineState): void {
    const counters = state.json.counters as Counters | undefined;
    if (counters) Object.assign(this.counters, counters);
    this.#epoch = Number(state.json.epoch ?? 0);
    this.#rng.state = Number(state.json.rng ?? 0);
    const parts: [string, { loadState?(s: PluginState): void } | undefined][] = [
      ["base", this.base],
      ["opt", this.#sharp?.hooks],
      ["crt", this.#crt?.hooks],
    ];
    for (const [prefix, p] of parts) {
      if (!p?.loadState) continue;
      const tensors: Record<string, readonly Tensor[]> = {};
      for (const [k, v] of Object.entries(state.tensors)) {
        if (k.startsWith(`${prefix}.`)) tensors[k.slice(prefix.length + 1)] = v;
      }
      p.loadState({ tensors, json: (state.json[prefix] ?? {}) as Record<string, unknown> });
    }
  }

  /** Frees the engine's and the plugins' buffers (not the parameters). */
  dispose(): void {
    this.#saved?.forEach((t) => t.dispose());
    this.#saved = null;
    for (const h of this.#hooks) h.dispose?.();
    this.base.dispose();
  }
}
