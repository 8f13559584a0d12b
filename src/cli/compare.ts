/**
 * `deno task compare`: trains one model on the same data with the same seed under several
 * optimizer configurations, back to back in one process, and prints one table: the
 * configuration, its max top-1 test accuracy, its backward-pass overhead, its wall time and
 * that time relative to SGD's. The table is also written as `compare.md` and `compare.csv` in
 * the output directory, next to the runs, their `results.csv` and its plot `results.svg`.
 *
 * ```sh
 * deno task compare                                   # the default set on the embedded subset
 * deno task compare --configs "sgd;sam-sgd;vassoremu-sgd --crt naive --crt_k 2" --epochs 3
 * deno task compare --dataset CIFAR10_cutout --model resnet18 --epochs 200 --output_dir logs/c10
 * deno task compare --preset efficient-sam             # SGD, SAM and the efficient-SAM family
 * ```
 *
 * Every other flag is passed to each training run (`--model`, `--epochs`, `--dataset`,
 * `--seed`, `--lr`, ...); a configuration's own flags come after them, so they win.
 *
 * Defaults: wideresnet10x1, 2 epochs, batch 64 on the embedded Fashion-MNIST subset (6,000
 * training images, 1,000 test images). On 2 CPU cores through lavapipe the SGD run takes 71 s
 * and the whole default set 7 min 50 s, warm-up included (measured); `--epochs 3` should take
 * about 11.5 minutes. Two epochs are enough to see the cost of each optimizer, not to rank
 * their accuracies: for that, train longer or on CIFAR-10.
 *
 * Fairness: the first run in a process compiles the GPU pipelines. So before the measured runs,
 * each configuration trains for two steps in a throwaway warm-up run (`--no-warmup` skips it),
 * and every measured run starts with compiled pipelines.
 *
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { trainSetup } from "./train.ts";
import { type ParsedArgs, parseTrainArgs, type TrainConfig, type TrainSetup, UsageError } from "./args.ts";
import { defaultRegistry, OptionError, PluginError } from "../plugins/mod.ts";
import { registerBuiltins } from "../../plugins/builtins.ts";
import { DatasetError } from "../data/mod.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { writeResultsPlot } from "../plot/results_plot.ts";
import { writeRunPlots } from "../plot/run_report.ts";
import { readSummary as readRunSummary } from "../train/run_log.ts";

// Composition root: the built-in plugins join the process-wide registry before any flag is read.
registerBuiltins(defaultRegistry());

/** The configurations compared when `--configs` is not given. */
export const DEFAULT_CONFIGS =
  "sgd;sam-sgd;vassoremu-sgd --crt gSAMflat --crt_z 1.5 --lam 0.1;vassoremu-sgd --crt naive --crt_k 2";

/**
 * Training flags compare sets unless they are passed: small enough that the default set
 * finishes in under 8 minutes on 2 CPU cores (measured; see the module documentation).
 */
export const DEFAULT_TRAIN_FLAGS: readonly [string, string][] = [
  ["--model", "wideresnet10x1"],
  ["--epochs", "2"],
  ["--batch_size", "64"],
];

/** A named set of configurations and the training flags they are compared under. */
export interface ComparePreset {
  /** One line for the usage text. */
  description: string;
  /** `--configs` text. */
  configs: string;
  /** Training flags the preset sets unless passed (they replace {@link DEFAULT_TRAIN_FLAGS}). */
  trainFlags: readonly [string, string][];
}

/**
 * `--preset` names. `efficient-sam` (issue 12): SGD, SAM and every efficient-SAM built-in on one
 * model, data and seed. It is sized to finish in about 11 minutes on 2 shared CPU cores (384
 * training images, 2 epochs; measured, see the README): a smoke-scale comparison of costs, not of
 * accuracies. SS-SAM (`rst`) and
 * AE-SAM (`ae_sam`) are criteria, run with VaSSORe, the reuse optimizer they need; rst's schedule
 * spans the run's 2 epochs.
 */
export const PRESETS: Readonly<Record<string, ComparePreset>> = {
  "efficient-sam": {
    description: "SGD, SAM, ASAM, LookSAM, GSAM, MSAM, SS-SAM (rst), AE-SAM on one small run",
    configs: [
      "sgd",
      "sam-sgd",
      "asam-sgd",
      "looksam-sgd",
      "gsamopt-sgd",
      "msam-sgd",
      "vassore-sgd --crt rst --rst_schedule cosine --rst_p_start 0.8 --rst_p_end 0.2 --rst_epochs 2",
      "vassore-sgd --crt ae_sam",
    ].join(";"),
    trainFlags: [
      ["--model", "wideresnet10x1"],
      ["--epochs", "2"],
      ["--batch_size", "32"],
      ["--train_images", "384"],
      ["--test_images", "256"],
    ],
  },
};

/** Flags compare sets itself for every run, so they cannot be passed through. */
const RESERVED = ["--opt", "--output_name", "--results_csv", "--resume", "--resume_path"];

/** One configuration: the text it was given as, and the training flags it adds. */
export interface CompareConfig {
  label: string;
  args: string[];
}

/** A parsed `deno task compare` command line. */
export interface CompareArgs {
  configs: CompareConfig[];
  outputDir: string;
  /** Flags passed to every training run (defaults included), before the configuration's own. */
  trainArgs: string[];
  warmup: boolean;
  help: boolean;
}

/** What one measured run gave (NaN where it failed). */
export interface CompareResult {
  config: string;
  /** The run directory. */
  dir: string;
  exitCode: number;
  /** Max top-1 test accuracy (%). */
  acc: number;
  bwp: number;
  /** Seconds around the whole run (data, model, training, evaluation, checkpoints). */
  wallSeconds: number;
  /** Training images per second (training steps only, as in the results CSV). */
  imagesPerSecond: number;
}

/** A table row: a result and its cost relative to the baseline's. */
export interface CompareRow extends CompareResult {
  /** wall time / the baseline's wall time. */
  wallRatio: number;
  /** Training time per image / the baseline's (the inverse ratio of images/s). */
  trainRatio: number;
}

/** The usage text. */
export const USAGE =
  `Usage: deno task compare [--configs "<opt> [flags];<opt> [flags];..."] [--output_dir DIR]
                         [--no-warmup] [training flags...]

Trains the same model, data and seed with each configuration back to back and prints
max test accuracy, bwp overhead, wall time and time relative to SGD.

  --configs SPEC    configurations separated by ';', each an --opt value and its own flags
                    (default: "${DEFAULT_CONFIGS}")
  --preset NAME     a named set of configurations and training flags (${Object.keys(PRESETS).join(", ")});
                    --configs and training flags given with it win
  --output_dir DIR  where the runs, results.csv, results.svg, compare.md and compare.csv go
                    (default: logs/compare-<date>-<time>)
  --no-warmup       skip the two-step warm-up run of each configuration (pipeline compilation
                    then counts against the first run using each kernel)
  training flags    passed to every run, e.g. --model, --epochs, --dataset, --seed, --lr
                    (defaults: ${DEFAULT_TRAIN_FLAGS.map(([f, v]) => `${f} ${v}`).join(" ")})
`;

/** Splits `--configs` text into configurations: `;` separates them, whitespace separates flags. */
export function parseConfigs(spec: string): CompareConfig[] {
  const configs = spec.split(";").map((s) => s.trim()).filter(Boolean).map((label) => {
    const words = label.split(/\s+/);
    // "sam-sgd --rho 0.05" and "--opt sam-sgd --rho 0.05" mean the same.
    const args = words[0].startsWith("-") ? words : ["--opt", ...words];
    return { label, args };
  });
  if (!configs.length) throw new UsageError("samwise compare: --configs names no configuration");
  for (const c of configs) {
    if (!c.args.includes("--opt")) {
      throw new UsageError(`samwise compare: configuration "${c.label}" names no --opt`);
    }
  }
  return configs;
}

function flagIndex(argv: readonly string[], flag: string): number {
  return argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
}

/** A timestamped default output directory, so repeated comparisons never mix their results. */
export function defaultOutputDir(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `logs/compare-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-` +
    `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
}

/** Parses compare's own flags; everything else is collected for the training runs. */
export function parseCompareArgs(argv: readonly string[]): CompareArgs {
  let spec: string | null = null, outputDir = "", warmup = true, help = false;
  let preset: ComparePreset | null = null;
  const pass: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string => {
      if (a.startsWith(`${flag}=`)) return a.slice(flag.length + 1);
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`samwise compare: ${flag} needs a value`);
      return v;
    };
    if (a === "--configs" || a.startsWith("--configs=")) spec = value("--configs");
    else if (a === "--preset" || a.startsWith("--preset=")) {
      const name = value("--preset");
      preset = PRESETS[name] ?? null;
      if (!preset) {
        throw new UsageError(
          `samwise compare: --preset must be one of ${Object.keys(PRESETS).join(", ")}, got "${name}"`,
        );
      }
    } else if (a === "--output_dir" || a.startsWith("--output_dir=")) outputDir = value("--output_dir");
    else if (a === "--no-warmup") warmup = false;
    else if (a === "--help" || a === "-h") help = true;
    else if (RESERVED.some((f) => a === f || a.startsWith(`${f}=`))) {
      throw new UsageError(
        `samwise compare: ${a.split("=")[0]} is set per configuration; put optimizers in --configs`,
      );
    } else pass.push(a);
  }
  const defaults = (preset?.trainFlags ?? DEFAULT_TRAIN_FLAGS).filter(([f]) => flagIndex(pass, f) < 0).flat();
  return {
    configs: parseConfigs(spec ?? preset?.configs ?? DEFAULT_CONFIGS),
    outputDir: outputDir || defaultOutputDir(),
    trainArgs: [...defaults, ...pass],
    warmup,
    help,
  };
}

/** A run directory name from a configuration: its index and its text, filesystem-safe. */
export function runName(index: number, label: string): string {
  const slug = label.replace(/--/g, "").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "");
  return `${String(index + 1).padStart(2, "0")}_${slug.slice(0, 80)}`;
}

/** Whether a configuration is plain SGD (the ratio baseline). */
function isSgd(label: string): boolean {
  const words = label.split(/\s+/);
  const opt = words[0] === "--opt" ? words[1] : words[0];
  return opt === "sgd";
}

/**
 * Adds the ratios to the baseline: the first successful plain-SGD configuration, or the first
 * successful one when there is none. Returns the rows and the baseline's label ("" if none).
 */
export function withRatios(results: readonly CompareResult[]): { rows: CompareRow[]; baseline: string } {
  const ok = results.filter((r) => r.exitCode === 0);
  const base = ok.find((r) => isSgd(r.config)) ?? ok[0];
  const rows = results.map((r) => ({
    ...r,
    wallRatio: base && r.exitCode === 0 ? r.wallSeconds / base.wallSeconds : NaN,
    trainRatio: base && r.exitCode === 0 ? base.imagesPerSecond / r.imagesPerSecond : NaN,
  }));
  return { rows, baseline: base?.config ?? "" };
}

function fixed(x: number, d: number): string {
  return Number.isFinite(x) ? x.toFixed(d) : "-";
}

/** The table's column titles; `base` names the ratio baseline. */
export function tableHeader(base: string): string[] {
  const b = isSgd(base) ? "SGD" : base || "baseline";
  return [
    "config",
    "max test acc1 (%)",
    "bwp overhead",
    "wall time (s)",
    `time / ${b}`,
    "train images/s",
    `train time / ${b}`,
  ];
}

/** A row's cells, formatted; a failed run says so in place of its numbers. */
export function tableCells(r: CompareRow): string[] {
  if (r.exitCode !== 0) {
    return [r.config, `failed (exit ${r.exitCode})`, "-", fixed(r.wallSeconds, 1), "-", "-", "-"];
  }
  return [
    r.config,
    fixed(r.acc, 2),
    fixed(r.bwp, 3),
    fixed(r.wallSeconds, 1),
    fixed(r.wallRatio, 2),
    fixed(r.imagesPerSecond, 1),
    fixed(r.trainRatio, 2),
  ];
}

/** The table as aligned plain text (for the terminal) or as a Markdown table. */
export function formatTable(
  rows: readonly CompareRow[],
  baseline: string,
  format: "text" | "markdown",
): string {
  const header = tableHeader(baseline);
  const cells = rows.map(tableCells);
  if (format === "markdown") {
    const line = (c: string[]) => `| ${c.map((x) => x.replace(/\|/g, "\\|")).join(" | ")} |`;
    const rule = `|${header.map((_, i) => (i ? " ---: " : " --- ")).join("|")}|`;
    return [line(header), rule, ...cells.map(line)].join("\n") + "\n";
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n") + "\n";
}

/** The table as CSV with unformatted numbers (empty where a run failed). */
export function tableCsv(rows: readonly CompareRow[]): string {
  const n = (x: number) => (Number.isFinite(x) ? x : "");
  return stringify([
    [
      "config",
      "exit_code",
      "max_test_acc1",
      "bwp_overhead",
      "wall_s",
      "wall_ratio",
      "images_per_s",
      "train_ratio",
      "run_dir",
    ],
    ...rows.map((r) => [
      r.config,
      r.exitCode,
      n(r.acc),
      n(r.bwp),
      n(r.wallSeconds),
      n(r.wallRatio),
      n(r.imagesPerSecond),
      n(r.trainRatio),
      r.dir,
    ]),
  ]);
}

/** Reads what a finished run wrote to its `summary.json`. */
async function readSummary(dir: string): Promise<{ acc: number; bwp: number; imagesPerSecond: number }> {
  const s = await readRunSummary(dir);
  if (!s) throw new Error("no such file (the run did not finish)");
  return {
    acc: Number(s["top-1 test acc"]),
    bwp: Number(s.bwp_overhead),
    imagesPerSecond: Number(s["images/s"]),
  };
}

/** "wideresnet10x1 on FashionMNIST_subset, 2 epochs, batch 64, seed 3107": the plot's title. */
function describeRun(
  c: { model: string; dataset: string; epochs: number; batch_size: number; seed: number },
) {
  const epochs = `${c.epochs} epoch${c.epochs === 1 ? "" : "s"}`;
  return `${c.model} on ${c.dataset}, ${epochs}, batch ${c.batch_size}, seed ${c.seed}`;
}

/** Where compare's output lines go (tests collect them). */
export interface CompareIO {
  out(line: string): void;
}

/**
 * Runs the comparison for `argv`; returns the exit code: 0, 1 when a run failed, 2 for a bad
 * command line (every configuration is checked before anything trains), 130 when interrupted.
 */
export async function compare(
  argv: readonly string[],
  io: CompareIO = { out: (l) => console.log(l) },
): Promise<number> {
  let args: CompareArgs;
  let title = "";
  /** Each configuration parsed once; every run trains a copy with its own output paths. */
  const parsed: ParsedArgs[] = [];
  try {
    args = parseCompareArgs(argv);
    if (args.help) {
      io.out(USAGE.trimEnd());
      return 0;
    }
    // Check every configuration now: a typo in the last one must not surface after an hour.
    for (const c of args.configs) {
      try {
        const p = await parseTrainArgs([...args.trainArgs, ...c.args]);
        if (p.helpText !== undefined) {
          throw new UsageError(`samwise compare: "${c.label}" asks for --help or --list`);
        }
        parsed.push(p);
        title ||= describeRun(p.config);
      } catch (e) {
        if (e instanceof UsageError || e instanceof OptionError) {
          throw new UsageError(
            `${e.message.replace(/^samwise train: /, "samwise compare: ")} (in "${c.label}")`,
          );
        }
        throw e;
      }
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof PluginError || e instanceof DatasetError) {
      console.error(e.message.startsWith("samwise") ? e.message : `samwise compare: ${e.message}`);
      return 2;
    }
    throw e;
  }

  for (const notice of new Set(parsed.flatMap((p) => p.notices))) console.error(notice);
  const out = args.outputDir;
  await Deno.mkdir(out, { recursive: true });
  const csv = `${out}/results.csv`;
  /** Configuration `i` trained into `<dir>/<name>`, its row appended to `<dir>/results.csv`. */
  const runSetup = (i: number, dir: string, name: string, over: Partial<TrainConfig> = {}): TrainSetup => ({
    ...parsed[i],
    config: {
      ...parsed[i].config,
      ...over,
      output_dir: dir,
      output_name: name,
      results_csv: `${dir}/results.csv`,
      comp_info: null,
    },
  });

  if (args.warmup) {
    const dir = `${out}/.warmup`;
    io.out(`samwise compare: warming up (two steps of each of ${args.configs.length} configurations)`);
    for (const [i, c] of args.configs.entries()) {
      const batch = parsed[i].config.batch_size;
      const tiny = { epochs: 1, start_epoch: 0, train_images: 2 * batch, test_images: batch, hessian: false };
      const code = await trainSetup(runSetup(i, dir, `w${i}`, tiny), { out: () => {} });
      if (code !== 0) io.out(`samwise compare: warm-up of "${c.label}" exited with ${code}`);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }

  const results: CompareResult[] = [];
  for (const [i, c] of args.configs.entries()) {
    const name = runName(i, c.label);
    io.out(`\nsamwise compare: [${i + 1}/${args.configs.length}] ${c.label}`);
    const t0 = performance.now();
    let exitCode: number;
    try {
      exitCode = await trainSetup(runSetup(i, out, name));
    } catch (e) {
      // An unexpected failure in one configuration should not lose the others' results.
      io.out(`samwise compare: "${c.label}" failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
      exitCode = 1;
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    const dir = `${out}/${name}`;
    const r: CompareResult = {
      config: c.label,
      dir,
      exitCode,
      acc: NaN,
      bwp: NaN,
      wallSeconds,
      imagesPerSecond: NaN,
    };
    if (exitCode === 0) {
      try {
        Object.assign(r, await readSummary(dir));
      } catch (e) {
        r.exitCode = 1;
        io.out(`samwise compare: ${dir}/summary.json unreadable: ${e instanceof Error ? e.message : e}`);
      }
      // The trainer may already write the report; write it here when it has not.
      const has = await Deno.stat(`${dir}/report.html`).then(() => true, () => false);
      if (!has) await writeRunPlots(dir).catch((e) => io.out(`samwise compare: no report for ${dir}: ${e}`));
    }
    results.push(r);
    if (exitCode === 130) break;
  }

  const { rows, baseline } = withRatios(results);
  const text = formatTable(rows, baseline, "text");
  const md = `# samwise compare\n\nTraining flags: \`${args.trainArgs.join(" ")}\`\n\n` +
    formatTable(rows, baseline, "markdown") +
    `\nRatios are relative to \`${
      baseline || "-"
    }\`. Wall time covers the whole run (data, model, training, ` +
    `evaluation, checkpoints); train time only the training steps.\n`;
  await writeFileAtomic(`${out}/compare.md`, md);
  await writeFileAtomic(`${out}/compare.csv`, tableCsv(rows));
  const written = [`${out}/compare.md`, `${out}/compare.csv`];
  if (results.some((r) => r.exitCode === 0)) {
    written.push(await writeResultsPlot(csv, `Accuracy against cost: ${title}`));
  }
  io.out(`\n${text}\nWritten: ${written.join(", ")}`);
  if (results.some((r) => r.exitCode === 130)) return 130;
  return results.length === args.configs.length && results.every((r) => r.exitCode === 0) ? 0 : 1;
}

if (import.meta.main) Deno.exit(await compare(Deno.args));
