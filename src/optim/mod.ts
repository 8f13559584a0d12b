/**
 * The optimizer engine: base optimizers (SGD, AdamW) as fused GPU updates, and the step engine
 * that wraps them in the SAM family's ascent/restore with per-step criteria.
 *
 * ```ts
 * const engine = createEngine({ opt: "vassore-sgd", crt: "naive", options: { crt_k: 2 }, set });
 * const { outer } = await engine.step((pass) => tidy(() => {
 *   const loss = model.loss(x, y, { updateBnStats: pass.updateBnStats });
 *   backward(loss);
 *   return loss;
 * }));
 * ```
 *
 * @module
 */
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
export { cosineStats } from "./cosine.ts";
export { perRun, runs } from "./grouped.ts";
export { forEachChunk, paramSet, stateLike, zeroList } from "./layout.ts";
export { readLater } from "./readback.ts";
export { Rng } from "./rng.ts";
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
