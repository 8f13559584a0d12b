/**
 * The SAM step: base optimizers (SGD, AdamW) as fused GPU updates, the step engine that wraps
 * them in the SAM family's ascent/restore with per-step decisions, and the hook contracts
 * (`hooks.ts`) it calls on a sharpness optimizer and a criterion. This package knows no plugin
 * names and no registry: `src/plugins/` builds the hooks from descriptors and assembles the engine
 * (`createEngine`); here an engine is assembled from hook objects directly.
 *
 * ```ts
 * import { OptionValues, paramSet, Sgd, StepEngine } from "./mod.ts";
 * import { square, tensor } from "../ops/elementwise.ts";
 * import { sum } from "../ops/reduce.ts";
 * import { backward } from "../autograd/backward.ts";
 * import { tidy } from "../tensor/scope.ts";
 *
 * const w = tensor([1, 2, 3], [3]).keep();
 * const set = paramSet([w]);
 * const engine = new StepEngine({ set, base: new Sgd(set, { lr: 0.1 }), options: new OptionValues({}) });
 * const { outer } = await engine.step(() =>
 *   tidy(() => {
 *     const loss = sum(square(w));
 *     backward(loss);
 *     return loss;
 *   })
 * );
 * console.log(await outer.item());
 * engine.dispose();
 * ```
 *
 * @module
 */
export {
  accumulated,
  combineLossAndHits,
  type LossAndHits,
  type MicroBatch,
  microSlice,
  splitBatch,
} from "./accumulate.ts";
export { AdamW, type AdamWConfig } from "./adamw.ts";
export { Sgd, type SgdConfig } from "./sgd.ts";
export {
  type BnUpdate,
  type EngineParts,
  type EnginePlugin,
  type EngineState,
  PluginHookError,
  StepEngine,
  type StepResult,
} from "./engine.ts";
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
} from "./hooks.ts";
export { type OptionValue, OptionValues } from "./options.ts";
export { cosineStats } from "./cosine.ts";
export { forEachChunk, perRun, runs, stateLike, zeroList } from "../ops/flat_layout.ts";
export { paramSet } from "./layout.ts";
export { readLater } from "./readback.ts";
export { Rng } from "../random/rng.ts";
export {
  type BaseOptimizer,
  type ComputeGrad,
  type Counters,
  overheads,
  type ParamSet,
  type Pass,
  type PassContext,
  type PluginState,
} from "./types.ts";
