/**
 * How a run's plugins appear in the seed's results-CSV columns `hyperparameters` and
 * `crt_parameter`, from the descriptors' optional `report` field (see {@link PluginReport}).
 *
 * `hyperparameters` is cumulative, as the seed's: the base optimizer's fragment, then the
 * sharpness optimizer's, then the criterion's, concatenated (`lr=0.05;` + `rho=0.1;theta=0.4;`
 * + `lam=0.1;z=1.5;`). `crt_parameter` is the criterion's one short pair (`k=2`, `z=1.5`).
 *
 * A plugin without `report` (typically a third-party one) falls back to:
 * - hyperparameters: `name=value;` for each option it declares that no earlier plugin of the
 *   row declares, in declaration order (e.g. `ae_delta=0.9;ae_c=0.0;ae_warmup=10;`);
 * - crt_parameter: its first option as `name=value`, or empty when it declares none.
 * Values are written as Python would print them (see {@link seedValue}), so numbers read the
 * same in samwise's rows and the seed's.
 *
 * @module
 */
import type { PluginDescriptor } from "./api.ts";
import type { OptionSpec, OptionValue, OptionValues } from "./options.ts";
import type { ResolvedConfig } from "./resolve.ts";

/** A descriptor's optional account of itself in the results CSV (see the module documentation). */
export interface PluginReport {
  /** Its fragment of the cumulative `hyperparameters` cell, e.g. `rho=0.1;theta=0.4;` (may be empty). */
  hyperparameters?(options: OptionValues): string;
  /** Criteria: the `crt_parameter` cell, one short pair such as `k=2` (empty for none). */
  crtParameter?(options: OptionValues): string;
  /**
   * Criteria: how the run report plots its decision trace (which logged metric the decision
   * compares, legend names, thresholds). Without it the report plots every metric the criterion
   * logs, the first as the decision input, with no thresholds.
   */
  trace?(options: OptionValues): DecisionTrace;
}

/** A line of a decision trace: a horizontal line, or a logged step metric scaled per step. */
export interface TraceLine {
  /** Legend text, e.g. "tau / phi: fires below". */
  label: string;
  /** A horizontal line at this value. */
  y?: number;
  /** Or: this step metric (a name the criterion logs) times `scale`, at every step that logged it. */
  metric?: string;
  /** The factor applied to `metric` (default 1). */
  scale?: number;
  /** SVG dash pattern, e.g. "5 3". */
  dash?: string;
}

/**
 * How a criterion's decision trace is plotted; plain JSON, written into the run's `config.json`
 * so the report reads it without the plugin.
 */
export interface DecisionTrace {
  /** The metric compared with a threshold (default: the first metric logged). */
  primary?: string;
  /** The y-axis title (default: the primary metric's legend name). */
  yLabel?: string;
  /** Legend names of metrics, e.g. `{ crt_tau: "tau" }`. */
  names?: Record<string, string>;
  /** Thresholds and other reference lines. */
  lines?: TraceLine[];
}

/**
 * What a run records of its plugins in `config.json` ({@link runPlugins}), so its report needs no
 * registry. `criterion` is null for a plain base optimizer (no criterion runs).
 */
export interface RunPlugins {
  /** `--opt`. */
  optimizer: string;
  /** `--crt`, or null when `--opt` is a plain base optimizer. */
  criterion: string | null;
  /** The criterion's own options (those its descriptor declares), by name. */
  criterion_options: Record<string, OptionValue>;
  /** The results row's `crt_parameter` cell. */
  crt_parameter: string;
  /** How its decision trace is plotted (empty: the report's default). */
  trace: DecisionTrace;
}

/** What {@link RunPlugins} says of a resolved configuration. */
export function runPlugins(cfg: ResolvedConfig): RunPlugins {
  const d = cfg.criterion.descriptor;
  const sam = cfg.optimizer.sharpness !== null;
  const own: Record<string, OptionValue> = {};
  if (sam) { for (const o of d.options ?? []) own[o.name] = cfg.options.get(o.name); }
  return {
    optimizer: cfg.optimizer.opt,
    criterion: sam ? d.name : null,
    criterion_options: own,
    crt_parameter: sam ? crtParameterCell(cfg) : "",
    trace: (sam ? d.report?.trace?.(cfg.options) : undefined) ?? {},
  };
}

/**
 * A float as Python's `repr` (and so pandas' CSV writer) prints it: `0.05`, `1.0`, `1e-05`,
 * `1.5e+16`, `nan`, `inf`. Shortest round-trip digits, like JavaScript's, but Python switches to
 * exponent notation below 1e-4 and from 1e16 on, and always shows a fractional part.
 */
export function pyFloat(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const [mant, expText] = x.toExponential().split("e");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  const s = String(x);
  return s.includes(".") ? s : `${s}.0`;
}

/**
 * An option value as the seed's argparse-typed value prints: `number` options are Python floats
 * (`1.0`), integers plain, booleans `True`/`False`, lists space-free `[0.9, 0.999]`, strings as they are.
 */
export function seedValue(spec: Pick<OptionSpec, "type">, value: OptionValue): string {
  switch (spec.type) {
    case "number":
      return pyFloat(value as number);
    case "boolean":
      return value ? "True" : "False";
    case "numbers":
      return `[${(value as readonly number[]).map(pyFloat).join(", ")}]`;
    default:
      return String(value);
  }
}

function fallbackHyperparameters(d: PluginDescriptor, options: OptionValues, earlier: Set<string>): string {
  return (d.options ?? []).filter((o) => !earlier.has(o.name))
    .map((o) => `${o.name}=${seedValue(o, options.get(o.name))};`).join("");
}

/** The `hyperparameters` cell of a resolved configuration (see the module documentation). */
export function hyperparametersCell(cfg: ResolvedConfig): string {
  const parts: PluginDescriptor[] = [cfg.optimizer.base.descriptor];
  if (cfg.optimizer.sharpness) parts.push(cfg.optimizer.sharpness.descriptor);
  parts.push(cfg.criterion.descriptor);
  const earlier = new Set<string>();
  let out = "";
  for (const d of parts) {
    const report = d.report?.hyperparameters;
    out += report ? report(cfg.options) : fallbackHyperparameters(d, cfg.options, earlier);
    for (const o of d.options ?? []) earlier.add(o.name);
  }
  return out;
}

/** The `crt_parameter` cell of a resolved configuration (see the module documentation). */
export function crtParameterCell(cfg: ResolvedConfig): string {
  const d = cfg.criterion.descriptor;
  if (d.report?.crtParameter) return d.report.crtParameter(cfg.options);
  const first = d.options?.[0];
  return first ? `${first.name}=${seedValue(first, cfg.options.get(first.name))}` : "";
}
