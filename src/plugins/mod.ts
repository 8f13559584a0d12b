/**
 * The plugin front door: the registry, `loadPlugin`, `--opt`/`--crt` resolution, the option list
 * for `--help` and validation, `createEngine`, and the API plugin authors build on (descriptor
 * and hook types, typed options, the GPU helpers optimizers and criteria use).
 *
 * A training loop:
 *
 * ```ts
 * import { createEngine, loadPlugin } from "./src/plugins/mod.ts";
 * for (const p of args.plugin) await loadPlugin(p);          // --plugin, repeatable
 * const engine = createEngine({ opt: "vassoremu-sgd", crt: "gSAMflat", options: args, set: model.paramSet(), seed: 3107 });
 * for (let epoch = 0; epoch < epochs; epoch++) {
 *   engine.startEpoch(epoch);
 *   for (const [x, y] of batches) {
 *     const r = await engine.step((pass) => tidy(() => {
 *       const loss = crossEntropy(model.forward(x, { train: true, updateBnStats: pass.updateBnStats }), y);
 *       backward(loss);
 *       return loss;
 *     }));
 *     r.inner?.dispose();
 *     // log r.perturbed, r.metrics; dispose r.outer when done with it
 *   }
 * }
 * const { fwp, bwp } = engine.overheads();
 * ```
 *
 * The CLI builds `--help` from `listOptions()` (or `formatOptionHelp`) and checks a whole
 * configuration up front with `resolveConfig(values)`, which throws an `OptionError` whose
 * one-line message names the flag.
 *
 * @module
 */
export type {
  BaseOptimizerPlugin,
  CriterionHooks,
  CriterionPlugin,
  DeclaredState,
  EpochContext,
  JsonValue,
  Perturbation,
  PluginDescriptor,
  PluginInfo,
  PluginKind,
  SetupContext,
  SharpnessHooks,
  SharpnessPlugin,
  StepContext,
  StepHooks,
  StepLoss,
} from "./api.ts";
export {
  coerceOption,
  formatRange,
  type NumericRange,
  OptionError,
  type OptionSpec,
  type OptionType,
  type OptionValue,
  OptionValues,
} from "./options.ts";
export {
  BN_UPDATE,
  defaultRegistry,
  loadPlugin,
  PluginError,
  pluginUrl,
  type Registered,
  type RegisteredOption,
  Registry,
} from "./registry.ts";
export {
  createEngine,
  type EngineSpec,
  formatOptionHelp,
  listOptions,
  optimizerChoices,
  type OptionInfo,
  resolveConfig,
  resolveCriterion,
  type ResolvedConfig,
  type ResolvedOptimizer,
  resolveOptimizer,
} from "./resolve.ts";
export { descriptorProblems } from "./validate.ts";
export { formatOptSpec, type OptSpec, parseOptSpec } from "./opt_spec.ts";
export { all, any, type Decision, every, type Rule, warmup } from "./combinators.ts";
export * from "../step/mod.ts";
// The multi-tensor ops, group-aware: what optimizers and criteria should use on ParamSet lists.
export type { Coef } from "../ops/multi_tensor.ts";
export { axpby_, axpy_, copy_, dot, globalNorm, scale_, sumOfSquares } from "../step/grouped.ts";
export { zeros } from "../ops/elementwise.ts";
export { keep, tidy } from "../tensor/scope.ts";
export type { Tensor } from "../tensor/tensor.ts";
