/**
 * The plugin front door: everything a third-party optimizer or criterion imports, and what a host
 * (the CLI, a training loop) needs to load plugins and build the step engine. Plugin modules
 * import this file only; see `src/plugins/README.md` for the guide, the hook table and two worked
 * examples (`plugins/examples/ae_sam.ts`, `plugins/examples/look_sam.ts`).
 *
 * A criterion that perturbs every third step after a two-step warm-up:
 *
 * ```ts
 * import { type CriterionPlugin, every, warmup } from "./mod.ts";
 *
 * const third: CriterionPlugin = {
 *   name: "third",
 *   kind: "criterion",
 *   description: "perturb every third SAM step",
 *   create: () => warmup(2, every(3)),
 * };
 * // A plugin module exports it: `export default third;`
 * console.log(third.name);
 * ```
 *
 * A host registers the built-ins (the registry knows none), loads `--plugin` modules, checks the
 * options and builds the engine:
 *
 * ```ts
 * import { createEngine, defaultRegistry, loadPlugin } from "./mod.ts";
 * import { registerBuiltins } from "../../plugins/builtins.ts";
 * import { paramSet } from "../step/mod.ts";
 * import { tensor } from "../ops/elementwise.ts";
 *
 * registerBuiltins(defaultRegistry());
 * await loadPlugin("plugins/examples/ae_sam.ts"); // --plugin, repeatable
 * const set = paramSet([tensor([1, 2, 3], [3]).keep()]);
 * const engine = createEngine({ set, opt: "vassore-sgd", crt: "ae_sam", options: { lr: 0.1 } });
 * engine.dispose();
 * ```
 *
 * `resolveConfig(values)` checks a whole configuration up front and throws an `OptionError`
 * whose one-line message names the flag; `listOptions()` and `formatOptionHelp` give `--help`.
 *
 * @module
 */

// ---- Writing a plugin: descriptors, hooks, declared state, options.
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
export type { BaseOptimizer, PluginState } from "../step/types.ts";
export {
  type NumericRange,
  OptionError,
  type OptionSpec,
  type OptionType,
  type OptionValue,
  OptionValues,
} from "./options.ts";

// ---- Decision rules from parts.
export { all, any, type Decision, every, type Rule, warmup } from "./combinators.ts";

// ---- GPU helpers for hooks: group-aware fused ops over tensor lists, state buffers, async reads.
export type { Coef, ScalarMode } from "../ops/multi_tensor.ts";
export { axpby_, axpy_, copy_, dot, globalNorm, scale_, sumOfSquares } from "../ops/multi_tensor.ts";
export { cosineStats } from "../step/cosine.ts";
export { stateLike } from "../ops/flat_layout.ts";
export { readLater } from "../step/readback.ts";
export { zeros } from "../ops/elementwise.ts";
export { keep, tidy } from "../tensor/scope.ts";
export type { Tensor } from "../tensor/tensor.ts";

// ---- Hosting plugins: registry, loading, `--opt` / `--crt` resolution, the engine.
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
export { formatOptSpec, type OptSpec, parseOptSpec } from "./opt_spec.ts";
export {
  createEngine,
  type EngineSpec,
  formatOptionHelp,
  listOptions,
  OPT_DEFAULTS,
  optimizerChoices,
  type OptionInfo,
  resolveConfig,
  resolveCriterion,
  type ResolvedConfig,
  type ResolvedOptimizer,
  resolveOptimizer,
} from "./resolve.ts";
export {
  crtParameterCell,
  type DecisionTrace,
  hyperparametersCell,
  type PluginReport,
  pyFloat,
  type RunPlugins,
  runPlugins,
  seedValue,
  type TraceLine,
} from "./report.ts";
export {
  type BnUpdate,
  type ComputeGrad,
  type Counters,
  type EngineState,
  type ParamSet,
  type Pass,
  type PassContext,
  PluginHookError,
  StepEngine,
  type StepResult,
} from "../step/mod.ts";
