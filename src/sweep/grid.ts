/**
 * Sweep grids: a JSON file naming base flags and axes, expanded into runs, each with a stable id.
 *
 * ```json
 * { "name": "claim", "output_dir": "sweeps/claim",
 *   "base": { "model": "wideresnet10x1", "epochs": 4, "dataset": "FashionMNIST_subset" },
 *   "configs": [ { "opt": "sgd" }, { "opt": "vassoremu-sgd", "crt": "naive", "crt_k": 2 } ],
 *   "axes": { "seed": [1, 2, 3] } }
 * ```
 * Every run is `base`, then one entry of `configs` (default: one empty entry), then one value of
 * each axis (cartesian product, in key order), later keys overriding earlier ones. Keys are
 * `deno task train` flags without the dashes, plugin options included (`"plugin"` loads them);
 * `true` passes the bare flag, `false` its `--no-` form, an array passes several values.
 *
 * A run's id is derived from its resolved configuration (after defaults, plugin options and
 * checks, with output paths left out), so reordering keys or spelling out a default keeps the id,
 * and any real change gives a new one. The id is the run's `--output_name`.
 *
 * This module sits at the CLI layer: it uses the training command's own parser.
 * @module
 */
import { UsageError } from "../train/errors.ts";
import { parseOptSpec } from "../plugins/opt_spec.ts";
import { OPT_DEFAULTS } from "../plugins/resolve.ts";
import type { TrainConfig } from "../train/config.ts";

/** A flag value in a grid file. */
export type FlagValue = string | number | boolean | (string | number)[];

/** A parsed grid file. */
export interface Grid {
  /** File it was read from (absolute), used by the slurm tasks to re-read it. */
  path: string;
  name: string;
  /** Directory of run directories and the shared results CSV. */
  outputDir: string;
  base: Record<string, FlagValue>;
  configs: Record<string, FlagValue>[];
  axes: Record<string, FlagValue[]>;
}

/** One resolved run of a grid. */
export interface SweepRun {
  index: number;
  id: string;
  /** The flags of `deno task train`, without `--output_dir`/`--output_name`/`--resume`. */
  argv: string[];
  config: TrainConfig;
}

/** Flags the sweep sets itself; a grid naming them would break skipping and resuming. */
const RESERVED = ["output_dir", "output_name", "resume", "resume_path", "results_csv", "adapter"];

function fail(path: string, what: string): never {
  throw new UsageError(`samwise sweep: ${path}: ${what}`);
}

function isFlagValue(v: unknown): v is FlagValue {
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean" ||
    (Array.isArray(v) && v.every((x) => typeof x === "string" || typeof x === "number"));
}

function flagObject(path: string, where: string, v: unknown): Record<string, FlagValue> {
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    fail(path, `${where} must be an object of flags`);
  }
  for (const [k, x] of Object.entries(v)) {
    if (RESERVED.includes(k)) fail(path, `${where}.${k}: the sweep sets --${k} itself`);
    if (!isFlagValue(x)) fail(path, `${where}.${k} must be a string, number, boolean or array of them`);
  }
  return v as Record<string, FlagValue>;
}

/** Checks and normalises the parsed JSON of a grid file (`path` names it in errors). */
export function parseGrid(path: string, json: unknown): Grid {
  if (typeof json !== "object" || json === null || Array.isArray(json)) fail(path, "expected a JSON object");
  const g = json as Record<string, unknown>;
  for (const k of Object.keys(g)) {
    if (!["name", "output_dir", "base", "configs", "axes", "description"].includes(k)) {
      fail(path, `unknown key "${k}" (expected name, description, output_dir, base, configs, axes)`);
    }
  }
  const stem = path.split("/").pop()!.replace(/\.json$/i, "");
  const name = g.name === undefined ? stem : String(g.name);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) {
    fail(path, `name must be letters, digits, ".", "_" or "-", got "${name}"`);
  }
  const configs = g.configs === undefined ? [{}] : g.configs;
  if (!Array.isArray(configs) || configs.length === 0) fail(path, "configs must be a non-empty array");
  const axes: Record<string, FlagValue[]> = {};
  const rawAxes = flagObject(path, "axes", g.axes);
  for (const [k, v] of Object.entries(rawAxes)) {
    if (!Array.isArray(v) || v.length === 0) fail(path, `axes.${k} must be a non-empty array of values`);
    axes[k] = v;
  }
  return {
    path,
    name,
    outputDir: g.output_dir === undefined ? `sweeps/${name}` : String(g.output_dir),
    base: flagObject(path, "base", g.base),
    configs: configs.map((c, i) => flagObject(path, `configs[${i}]`, c)),
    axes,
  };
}

/** Reads a grid file; a missing or malformed file is a one-line {@link UsageError}. */
export async function readGrid(path: string): Promise<Grid> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    fail(
      path,
      e instanceof Deno.errors.NotFound ? "no such grid file" : `cannot read (${(e as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(path, `not valid JSON (${(e as Error).message})`);
  }
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  return parseGrid(abs, json);
}

/** `{flag: value}` as command-line words. */
export function flagsToArgv(flags: Record<string, FlagValue>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(flags)) {
    if (v === true) out.push(`--${k}`);
    else if (v === false) out.push(`--no-${k}`);
    else if (Array.isArray(v)) {
      if (k === "plugin") v.forEach((x) => out.push(`--${k}`, String(x)));
      else out.push(`--${k}`, ...v.map(String));
    } else out.push(`--${k}`, String(v));
  }
  return out;
}

/** The flag sets of a grid, in order: configs x the cartesian product of the axes. */
export function expandFlags(grid: Grid): Record<string, FlagValue>[] {
  let combos: Record<string, FlagValue>[] = grid.configs.map((c) => ({ ...grid.base, ...c }));
  for (const [k, values] of Object.entries(grid.axes)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  }
  return combos;
}

/** Configuration keys that do not change what is trained, left out of the id. */
const NOT_IN_ID: (keyof TrainConfig)[] = [
  "output_dir",
  "output_name",
  "resume",
  "resume_path",
  "results_csv",
  "log_freq",
  "adapter_index",
  "embeddedDefault",
];

/** JSON with object keys sorted at every level, so equal configurations give equal text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${
      Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) =>
        `${JSON.stringify(k)}:${canonicalJson(o[k])}`
      )
        .join(",")
    }}`;
  }
  return JSON.stringify(v);
}

/**
 * The run id of a resolved configuration: readable parts (optimizer, criterion, seed) and the first
 * 10 hex digits of the SHA-256 of its canonical JSON (output paths and worker choices left out).
 */
export async function runId(config: TrainConfig): Promise<string> {
  const kept: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!NOT_IN_ID.includes(k as keyof TrainConfig)) kept[k] = v;
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(kept))),
  );
  const hex = [...digest.slice(0, 5)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const opt = String(config.optim.opt);
  const sam = parseOptSpec(opt).variant !== null;
  const crt = sam && config.optim.crt !== OPT_DEFAULTS.crt ? `-${config.optim.crt}` : "";
  return `${opt}${crt}_seed${config.seed}_${hex}`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * The training command-line parser (the CLI's `parseTrainArgs`), passed in by the caller so the
 * sweep layer does not import the CLI above it.
 */
export type TrainArgsParser = (argv: string[]) => Promise<{ config: TrainConfig; helpText?: string }>;

/**
 * Expands and checks every run of `grid` with the training parser `parse` (a bad flag names the
 * run and the flag); two runs resolving to the same configuration are refused, since they would
 * share a directory.
 */
export async function resolveRuns(grid: Grid, parse: TrainArgsParser): Promise<SweepRun[]> {
  const runs: SweepRun[] = [];
  const seen = new Map<string, number>();
  for (const [index, flags] of expandFlags(grid).entries()) {
    const argv = flagsToArgv(flags);
    let config: TrainConfig;
    try {
      const parsed = await parse([...argv, "--output_dir", grid.outputDir]);
      if (parsed.helpText !== undefined) fail(grid.path, `run ${index} asks for --help`);
      config = parsed.config;
    } catch (e) {
      if (e instanceof UsageError && !e.message.startsWith("samwise sweep")) {
        fail(grid.path, `run ${index} (${argv.join(" ")}): ${e.message.replace(/^samwise train: /, "")}`);
      }
      throw e;
    }
    const id = await runId(config);
    if (seen.has(id)) fail(grid.path, `runs ${seen.get(id)} and ${index} resolve to the same configuration`);
    seen.set(id, index);
    runs.push({ index, id, argv, config });
  }
  return runs;
}
