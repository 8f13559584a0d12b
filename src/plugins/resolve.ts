/**
 * From names and raw option values to a running engine: `--opt <variant>-<base>` and `--crt`
 * resolution, option validation with one-line errors naming the flag, the option list for
 * `--help`, and `createEngine`.
 *
 * @module
 */
import { type BnUpdate, StepEngine } from "../step/engine.ts";
import type { BaseOptimizer, ParamSet } from "../step/types.ts";
import type {
  BaseOptimizerPlugin,
  CriterionHooks,
  CriterionPlugin,
  PluginDescriptor,
  SetupContext,
  SharpnessHooks,
  SharpnessPlugin,
} from "./api.ts";
import {
  coerceOption,
  formatRange,
  type NumericRange,
  OptionError,
  type OptionType,
  type OptionValue,
  OptionValues,
} from "./options.ts";
import { defaultRegistry, type Registered, type Registry } from "./registry.ts";
import { PluginError } from "./registry.ts";
import { formatOptSpec, parseOptSpec } from "./opt_spec.ts";
import { hookProblems, sharpnessHookProblems } from "./validate.ts";

/** `--opt` resolved: the base optimizer and, for `<variant>-<base>`, the sharpness optimizer. */
export interface ResolvedOptimizer {
  /** The `--opt` value. */
  opt: string;
  /** The base optimizer. */
  base: Registered<BaseOptimizerPlugin>;
  /** The SAM-family variant, or null for a plain run. */
  sharpness: Registered<SharpnessPlugin> | null;
}

/**
 * Resolves `--opt` as the seed does: `sgd` or `adamw` alone, or `<variant>-<base>` such as
 * `sam-sgd`, `vasso-adamw`, `vassoremu-sgd`. Throws {@link OptionError} for `--opt`.
 */
export function resolveOptimizer(opt: string, registry: Registry = defaultRegistry()): ResolvedOptimizer {
  const spec = parseOptSpec(opt);
  const bases = registry.list("optimizer").filter((r) =>
    (r.descriptor as BaseOptimizerPlugin).role === "base"
  );
  const variants = registry.list("optimizer").filter((r) =>
    (r.descriptor as SharpnessPlugin).role === "sharpness"
  );
  const names = (rs: Registered[]) => rs.map((r) => r.descriptor.name).join(", ");
  const base = registry.baseOptimizer(spec.base);
  if (!base) {
    const hint = spec.variant === null && registry.sharpness(spec.base)
      ? `; "${spec.base}" is a SAM variant, e.g. ${spec.base}-sgd`
      : "";
    throw new OptionError(
      "--opt",
      `--opt "${opt}": unknown base optimizer "${spec.base}" (known: ${names(bases)})${hint}`,
    );
  }
  if (spec.variant === null) return { opt, base, sharpness: null };
  const sharpness = registry.sharpness(spec.variant);
  if (!sharpness) {
    throw new OptionError(
      "--opt",
      `--opt "${opt}": unknown SAM variant "${spec.variant}" (known: ${names(variants)})`,
    );
  }
  return { opt, base, sharpness };
}

/** Resolves `--crt`; throws {@link OptionError} for an unknown name. */
export function resolveCriterion(
  crt: string,
  registry: Registry = defaultRegistry(),
): Registered<CriterionPlugin> {
  const r = registry.criterion(crt);
  if (!r) {
    const known = registry.list("criterion").map((c) => c.descriptor.name).join(", ");
    throw new OptionError("--crt", `--crt: unknown criterion "${crt}" (known: ${known})`);
  }
  return r;
}

/** Every valid `--opt` value: the bases, then every variant-base pair. */
export function optimizerChoices(registry: Registry = defaultRegistry()): string[] {
  const opts = registry.list("optimizer").map((r) => r.descriptor as BaseOptimizerPlugin | SharpnessPlugin);
  const bases = opts.filter((d) => d.role === "base").map((d) => d.name);
  const variants = opts.filter((d) => d.role === "sharpness").map((d) => d.name);
  return [...bases, ...variants.flatMap((v) => bases.map((b) => formatOptSpec(v, b)))];
}

/** One option for `--help` and validation. */
export interface OptionInfo {
  /** The option's name (snake_case). */
  name: string;
  /** `--name`. */
  flag: string;
  /** The value type. */
  type: OptionType;
  /** The default value. */
  default: OptionValue;
  /** Allowed values of a number. */
  range?: NumericRange;
  /** The range as `--help` shows it, e.g. "[0, 1]". */
  rangeText?: string;
  /** Allowed values of a string. */
  choices?: readonly string[];
  /** Exact length of a list. */
  length?: number;
  /** One line for `--help`. */
  help: string;
  /** The plugins (or "engine") that declare it. */
  owners: string[];
}

/**
 * The defaults of `--opt` and `--crt`, the seed's. The resolver knows no plugin: these are only
 * names, which the composition root's registry must hold (the built-ins do). A plain base
 * optimizer runs no criterion, so it accepts only the default `--crt`.
 */
export const OPT_DEFAULTS: { readonly opt: string; readonly crt: string } = { opt: "sgd", crt: "baseline" };

/**
 * Every option the CLI must accept: `--opt`, `--crt` (with their choices), `--bn_update`, then
 * every registered plugin's options (loaded plugins included), each once.
 */
export function listOptions(registry: Registry = defaultRegistry()): OptionInfo[] {
  const criteria = registry.list("criterion").map((r) => r.descriptor.name);
  const out: OptionInfo[] = [
    {
      name: "opt",
      flag: "--opt",
      type: "string",
      default: OPT_DEFAULTS.opt,
      choices: optimizerChoices(registry),
      help: "optimizer: <base> or <variant>-<base>, e.g. sgd, sam-sgd, vassoremu-adamw",
      owners: ["engine"],
    },
    {
      name: "crt",
      flag: "--crt",
      type: "string",
      default: OPT_DEFAULTS.crt,
      choices: criteria,
      help: "criterion deciding when a SAM-family step computes a fresh inner gradient",
      owners: ["engine"],
    },
  ];
  for (const { spec, owners } of registry.options()) {
    out.push({
      name: spec.name,
      flag: `--${spec.name}`,
      type: spec.type,
      default: spec.default,
      ...(spec.range ? { range: spec.range, rangeText: formatRange(spec.range) } : {}),
      ...(spec.choices ? { choices: spec.choices } : {}),
      ...(spec.length !== undefined ? { length: spec.length } : {}),
      help: spec.help,
      owners,
    });
  }
  return out;
}

/** One `--help` line: flag, type, help, default, range or choices, owners. */
export function formatOptionHelp(o: OptionInfo): string {
  const def = Array.isArray(o.default) ? o.default.join(" ") : JSON.stringify(o.default);
  const extra = [`default ${def}`];
  if (o.rangeText) extra.push(`range ${o.rangeText}`);
  if (o.choices && o.name !== "opt") extra.push(`one of ${o.choices.join(", ")}`);
  return `${o.flag} <${o.type}>  ${o.help} (${extra.join("; ")}) [${o.owners.join(", ")}]`;
}

/** The result of {@link resolveConfig}: what to build, with every option typed and checked. */
export interface ResolvedConfig {
  /** `--opt` resolved. */
  optimizer: ResolvedOptimizer;
  /** `--crt` resolved. */
  criterion: Registered<CriterionPlugin>;
  /** `--bn_update`. */
  bnUpdate: BnUpdate;
  /** Every registered option, typed and checked. */
  options: OptionValues;
}

/**
 * Checks a whole configuration before any work starts: `opt`, `crt` and every registered option
 * in `values` (raw strings or typed values; missing ones take their defaults; keys that are not
 * registered options are ignored), plus the compatibility of criterion and optimizer. Throws an
 * {@link OptionError} whose one-line message names the flag, e.g. "--theta must be in [0, 1], got 1.5".
 */
export function resolveConfig(
  values: Record<string, unknown>,
  registry: Registry = defaultRegistry(),
): ResolvedConfig {
  const opt = values.opt === undefined ? OPT_DEFAULTS.opt : String(values.opt);
  const crt = values.crt === undefined ? OPT_DEFAULTS.crt : String(values.crt);
  const optimizer = resolveOptimizer(opt, registry);
  const criterion = resolveCriterion(crt, registry);
  const typed: Record<string, OptionValue> = {};
  for (const { spec } of registry.options()) {
    const raw = values[spec.name];
    typed[spec.name] = raw === undefined ? spec.default : coerceOption(spec, raw);
  }
  const sharp = optimizer.sharpness?.descriptor;
  const skips = criterion.descriptor.skips !== false;
  // A criterion only runs inside SAM-family steps: with a plain optimizer it would do nothing.
  if (!sharp && crt !== OPT_DEFAULTS.crt) {
    throw new OptionError(
      "--crt",
      `--crt ${crt} needs a SAM-family --opt (e.g. vassore-${opt}), got --opt ${opt}`,
    );
  }
  if (sharp && skips && !sharp.reuse) {
    const reusers = optimizerChoices(registry).filter((o) => {
      const v = parseOptSpec(o).variant;
      return v !== null && registry.sharpness(v)?.descriptor.reuse;
    });
    throw new OptionError(
      "--crt",
      `--crt ${crt} skips inner gradients, which --opt ${opt} cannot do; use a reusing optimizer (${
        reusers.slice(0, 4).join(", ")
      }, ...)`,
    );
  }
  return { optimizer, criterion, bnUpdate: typed.bn_update as BnUpdate, options: new OptionValues(typed) };
}

/** What {@link createEngine} needs. */
export interface EngineSpec {
  /** The model's parameters and gradients. */
  set: ParamSet;
  /** `--opt`; default {@link OPT_DEFAULTS}. */
  opt?: string;
  /** `--crt`; default {@link OPT_DEFAULTS}. */
  crt?: string;
  /** Raw or typed option values by name (`lr`, `rho`, `crt_k`, `bn_update`, ...). */
  options?: Record<string, unknown>;
  /** Seed of the criteria's random stream (the CLI's `--seed`). */
  seed?: number;
  /** Where names are looked up; default the process-wide registry. */
  registry?: Registry;
}

function instantiate<H>(
  r: Registered<PluginDescriptor>,
  setup: SetupContext,
  check: (h: unknown) => string[],
): H {
  let hooks: unknown;
  try {
    hooks = r.descriptor.create(setup);
  } catch (e) {
    if (e instanceof OptionError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new PluginError(r.source, `plugin ${r.source}: '${r.descriptor.name}' create() failed: ${msg}`);
  }
  const problems = check(hooks);
  if (problems.length) {
    throw new PluginError(r.source, `plugin ${r.source}: '${r.descriptor.name}': ${problems.join("; ")}`);
  }
  return hooks as H;
}

/**
 * Validates the configuration ({@link resolveConfig}) and builds the step engine: base
 * optimizer, sharpness optimizer and criterion created from their descriptors.
 */
export function createEngine(spec: EngineSpec): StepEngine {
  const registry = spec.registry ?? defaultRegistry();
  const values: Record<string, unknown> = { ...spec.options };
  if (spec.opt !== undefined) values.opt = spec.opt;
  if (spec.crt !== undefined) values.crt = spec.crt;
  const cfg = resolveConfig(values, registry);
  const setup: SetupContext = { params: spec.set.params, grads: spec.set.grads, options: cfg.options };
  const base = instantiate<BaseOptimizer>(cfg.optimizer.base, setup, (h) => {
    const p = h as Record<string, unknown>;
    return ["step", "saveState", "loadState", "dispose"].filter((k) => typeof p?.[k] !== "function")
      .map((k) => `a base optimizer needs ${k}()`);
  });
  const sharp = cfg.optimizer.sharpness;
  const sharpHooks = sharp ? instantiate<SharpnessHooks>(sharp, setup, sharpnessHookProblems) : null;
  const crtHooks = sharp ? instantiate<CriterionHooks>(cfg.criterion, setup, hookProblems) : null;
  return new StepEngine({
    set: spec.set,
    base,
    sharpness: sharp
      ? {
        name: sharp.descriptor.name,
        source: sharp.source,
        hooks: sharpHooks!,
        reuse: sharp.descriptor.reuse,
      }
      : null,
    criterion: crtHooks
      ? { name: cfg.criterion.descriptor.name, source: cfg.criterion.source, hooks: crtHooks }
      : null,
    options: cfg.options,
    bnUpdate: cfg.bnUpdate,
    seed: spec.seed,
  });
}
