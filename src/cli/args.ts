/**
 * The training command line: the seed's flags and defaults, plus every option that the loaded
 * optimizer and criterion plugins declare, all checked before any work starts.
 *
 * Plugins must be loaded before parsing so their options appear in `--help` and are
 * accepted, so `--plugin` values are picked out of argv first.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { DATASET_NAMES, type DatasetName, DEFAULT_DATADIR, defaultDatasetName } from "../data/mod.ts";
import { isModelName } from "../models/mod.ts";
import { choicesHelp, listText, unknownModelMessage, WIDERESNET_PATTERN } from "./choices.ts";
import {
  defaultRegistry,
  listOptions,
  loadPlugin,
  OptionError,
  type Registry,
  resolveConfig,
} from "../plugins/mod.ts";
import { OPT_DEFAULTS, type ResolvedConfig } from "../plugins/resolve.ts";
import type { TrainConfig, TrainSetup } from "../train/config.ts";
import { UsageError } from "../train/errors.ts";
import { parseOptSpec } from "../plugins/opt_spec.ts";

export { UsageError };

/** The model and epochs used on the embedded subset when the user chose neither. */
export const EMBEDDED_DEFAULTS = { model: "wideresnet16x1", epochs: 3, batch_size: 64 } as const;

function intIn(flag: string, min: number, max = Infinity) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(
        `${flag} must be an integer in [${min}, ${max === Infinity ? "inf" : max}]`,
      );
    }
    return x;
  };
}

function numIn(flag: string, min: number, exclusiveMin = false) {
  return (v: string) => {
    const x = Number(v);
    if (v.trim() === "" || !Number.isFinite(x) || (exclusiveMin ? x <= min : x < min)) {
      throw new InvalidArgumentError(`${flag} must be a number ${exclusiveMin ? ">" : ">="} ${min}`);
    }
    return x;
  };
}

/** Picks `--plugin X` / `--plugin=X` values out of argv. */
export function pluginArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    if (a === "--plugin" && argv[i + 1] !== undefined) out.push(argv[i + 1]);
    else if (a.startsWith("--plugin=")) out.push(a.slice("--plugin=".length));
  });
  return out;
}

/** Builds the commander program: core flags typed, plugin flags from the registry. */
export function buildCommand(registry: Registry) {
  const cmd = new Command("train")
    .description(
      "Train an image classifier with SGD/AdamW, SAM, VaSSO, VaSSORe or VaSSOReMu on WebGPU.\n" +
        "With no --dataset and no CIFAR-10 under --datadir, trains on the embedded Fashion-MNIST subset.",
    )
    .option(
      "--model <name>",
      `model, one of the Models below (${WIDERESNET_PATTERN} included)`,
      (v: string) => {
        if (!isModelName(v)) throw new InvalidArgumentError(unknownModelMessage(v));
        return v;
      },
      "resnet18",
    )
    .addOption(
      new Option(
        "--dataset <name>",
        "dataset, one of the Datasets below (default CIFAR10_cutout when present)",
      )
        .choices(DATASET_NAMES),
    )
    .option(
      "--datadir <dir>",
      "directory holding cifar-10-batches-bin/, cifar-100-binary/, tiny-imagenet-200/ or idx files",
      DEFAULT_DATADIR,
    )
    .option("--batch_size <n>", "images per step", intIn("--batch_size", 1), 128)
    .option(
      "--accum_steps <n>",
      "split each step's batch into n micro-batches whose gradients are summed (same result, less memory)",
      intIn("--accum_steps", 1),
      1,
    )
    .option("--epochs <n>", "epochs of training", intIn("--epochs", 1), 200)
    .option(
      "--seed <n>",
      "seed of initialisation, shuffling, augmentation, criteria",
      intIn("--seed", 0),
      3107,
    )
    .addOption(
      new Option("--lr_scheduler <name>", "learning-rate schedule").choices(
        ["CosineLRscheduler", "MultiStepLRscheduler"] as const,
      ).default("CosineLRscheduler" as const),
    )
    .addOption(
      new Option(
        "--lr_step <when>",
        "advance the schedule after each epoch as the seed, or every iteration",
      ).choices(["epoch", "iteration"] as const).default("epoch" as const),
    )
    .option("--warmup_epoch <n>", "linear warm-up epochs (cosine)", intIn("--warmup_epoch", 0), 0)
    .option("--warmup_init_lr <x>", "learning rate at the start of warm-up", numIn("--warmup_init_lr", 0), 0)
    .option("--eta_min <x>", "final learning rate of the cosine schedule", numIn("--eta_min", 0), 0)
    .option(
      "--milestone <epochs...>",
      "MultiStepLRscheduler milestones",
      (v: string, prev: number[] | undefined) => {
        const x = intIn("--milestone", 0)(v);
        return prev && prev !== DEFAULT_MILESTONES ? [...prev, x] : [x];
      },
      DEFAULT_MILESTONES,
    )
    .option("--gamma <x>", "MultiStepLRscheduler factor", numIn("--gamma", 0, true), 0.2)
    .option("--output_dir <dir>", "directory of run directories and results.csv", "logs")
    .option("--output_name <name>", "run directory name (default: auto, as the seed)")
    .option("--resume", "continue the run in --resume_path (or the run directory) from its checkpoint", false)
    .option("--resume_path <dir>", "run directory to resume")
    .option(
      "--log_freq <n>",
      "steps between progress lines when stderr is not a terminal",
      intIn("--log_freq", 1),
      10,
    )
    .option(
      "--results_csv <file>",
      "results CSV to append the final row to (default <output_dir>/results.csv)",
    )
    .option(
      "--plugin <path-or-url>",
      "load an optimizer/criterion plugin module (repeatable)",
      collect,
      [] as string[],
    )
    .option(
      "--train_images <n>",
      "use only the first n training images (0: all)",
      intIn("--train_images", 0),
      0,
    )
    .option("--test_images <n>", "use only the first n test images (0: all)", intIn("--test_images", 0), 0)
    .option(
      "--decoded_cache <dir>",
      "TinyImageNet: keep decoded images in <dir>, so later runs read them instead of decoding the JPEGs",
    )
    .option(
      "--hessian",
      "report the top Hessian eigenvalues l1, l5 at the end (default: resnet18 on CIFAR-10)",
    )
    .option("--no-hessian", "skip the Hessian eigenvalues")
    .option("--exclusive_run", "mark the results row as measured on an otherwise idle machine", false)
    .option("--drop_last", "drop the last incomplete training batch of each epoch (the seed's default)", true)
    .option("--no-drop_last", "keep the last incomplete training batch")
    .option(
      "--start_epoch <n>",
      "first epoch to train (0-based, as the seed's range(start_epoch, epochs)); --resume overrides it",
      intIn("--start_epoch", 0),
      0,
    )
    .option(
      "--dataset_nn_combination <name>",
      "the seed's result naming: append the row to NAME_results.csv and a summary to comp_NAME.info " +
        "(in the working directory) unless --results_csv is given",
    )
    .option(
      "--var_delta <x>",
      "accepted for the seed's scripts; no effect (the seed's variance rule is commented out)",
      numIn("--var_delta", 0),
      1.0,
    )
    .option("--logging_mode", "the seed's logger switch: samwise always logs epochs and per-step decisions")
    .option(
      "--extensive_metrics_mode",
      "also log every step's training loss (step_loss records in log.jsonl)",
    )
    .option(
      "--performance_scores_mode",
      "timing-only run: no per-step records in log.jsonl and no Hessian unless --hessian",
    )
    .option("--wandb", "the seed's W&B switch: W&B is unreachable here; metrics stay in the run directory")
    .option("--wandb_project <name>", "W&B project (recorded in config.json)", "VASSO")
    .option("--wandb_name <name>", "W&B run name (recorded in config.json)", "Default")
    .option(
      "--num_workers <n>",
      "ignored (DataLoader threads: no meaning on WebGPU)",
      intIn("--num_workers", 0),
      8,
    )
    .option("--pin_memory", "ignored (CUDA pinned memory: no meaning on WebGPU)")
    .option("--dist_url <url>", "ignored (DDP: no meaning on WebGPU)", "env://")
    .option("--distributed_val", "ignored (DDP evaluation: no meaning on WebGPU)")
    .option(
      "--list",
      "print every optimizer and criterion (built-in and --plugin) with options and cost, and exit",
    )
    .option(
      "--init_from <file.safetensors>",
      "start from these weights (a PyTorch state_dict saved with safetensors; names and shapes must match)",
    )
    .option("--adapter <i>", "GPU index to run on (0: WebGPU's default adapter)", intIn("--adapter", 0), 0)
    .addHelpText("after", choicesHelp(registry))
    .exitOverride()
    .configureOutput({ writeErr: () => {}, outputError: () => {} });

  const core = new Set(cmd.options.map((x) => x.long));
  for (const o of listOptions(registry)) {
    // A plugin may not redefine a core flag: commander would throw a bare error (or shadow it).
    if (core.has(o.flag) || core.has(`--no-${o.name}`)) {
      throw new UsageError(
        `samwise train: option ${o.flag} of plugin ${
          o.owners.join(", ")
        } clashes with the core flag ${o.flag}`,
      );
    }
    const desc = o.help + (o.rangeText ? ` (range ${o.rangeText})` : "");
    if (o.type === "boolean") {
      cmd.addOption(new Option(`${o.flag}`, desc));
      cmd.addOption(new Option(`--no-${o.name}`, `turn ${o.flag} off`).hideHelp());
    } else {
      const arg = o.type === "numbers" ? `<${o.name}...>` : `<${o.type === "string" ? "value" : o.type}>`;
      const opt = new Option(`${o.flag} ${arg}`, desc);
      opt.default(Array.isArray(o.default) ? o.default.join(" ") : o.default);
      if (o.choices && o.name !== "opt" && o.name !== "crt") opt.choices(o.choices as string[]);
      cmd.addOption(opt);
    }
  }
  return cmd;
}

const DEFAULT_MILESTONES = [60, 120, 160];

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/**
 * Seed-style automatic run name: dataset_bsz_epoch_model_lr_opt[_rho][_theta]_seed. A SAM-family
 * `--opt` adds rho, and theta when its sharpness plugin declares `theta` (the VaSSO family, as
 * the seed's `'vasso' in opt`); `sharpnessOptions` are the names that plugin declares.
 */
export function autoName(
  c: Omit<TrainConfig, "output_name">,
  sharpnessOptions: readonly string[] = [],
): string {
  const opt = String(c.optim.opt ?? OPT_DEFAULTS.opt);
  const parts = [c.dataset, `bsz${c.batch_size}`, `epoch${c.epochs}`, c.model, `lr${c.optim.lr}`, opt];
  const { variant } = parseOptSpec(opt);
  if (variant !== null) {
    parts.push(`rho${c.optim.rho}`);
    if (sharpnessOptions.includes("theta")) parts.push(`theta${c.optim.theta}`);
  }
  if (c.optim.crt && c.optim.crt !== OPT_DEFAULTS.crt) parts.push(`crt${c.optim.crt}`);
  parts.push(`seed${c.seed}`);
  return parts.join("_");
}

export type { TrainConfig, TrainSetup };

/** The result of {@link parseTrainArgs}: what the trainer needs, plus what the CLI prints. */
export interface ParsedArgs extends TrainSetup {
  /** Set when --help or --version printed something and there is nothing to run. */
  helpText?: string;
  /** One-line notices for the user (ignored seed flags, W&B), printed before training. */
  notices: string[];
}

/** The seed's flags that mean nothing on WebGPU: accepted, and named in one warning line. */
export const IGNORED_SEED_FLAGS = ["num_workers", "pin_memory", "dist_url", "distributed_val"] as const;

/**
 * Parses and validates a training command line. Loads `--plugin` modules first. Throws
 * {@link UsageError} (one line naming the flag) for anything invalid; returns `helpText` for --help.
 */
export async function parseTrainArgs(
  argv: readonly string[],
  registry = defaultRegistry(),
): Promise<ParsedArgs> {
  for (const spec of pluginArgs(argv)) await loadPlugin(spec, registry);
  const cmd = buildCommand(registry);
  let helpText: string | undefined;
  cmd.configureOutput({
    writeOut: (s) => (helpText = (helpText ?? "") + s),
    writeErr: () => {},
    outputError: () => {},
  });
  try {
    cmd.parse([...argv], { from: "user" });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") {
      return {
        config: null as unknown as TrainConfig,
        resolved: null as unknown as ResolvedConfig,
        registry,
        helpText,
        notices: [],
      };
    }
    throw new UsageError(`samwise train: ${String(err.message ?? e).replace(/^error: /, "")}`);
  }
  // Commander keeps underscores in attribute names (--batch_size -> batch_size).
  const o = cmd.opts() as Record<string, unknown>;
  if (o.list) {
    return {
      config: null as unknown as TrainConfig,
      resolved: null as unknown as ResolvedConfig,
      registry,
      helpText: listText(registry) + "\n",
      notices: [],
    };
  }
  const given = (name: string) => cmd.getOptionValueSource(name) === "cli";

  // Optimizer and criterion options: validated by the plugin registry (ranges, choices, combos).
  const optim: Record<string, unknown> = {};
  for (const info of listOptions(registry)) {
    const v = o[info.name];
    if (v !== undefined) optim[info.name] = Array.isArray(v) ? v.join(" ") : v;
  }
  let resolved: ResolvedConfig;
  try {
    resolved = resolveConfig(optim, registry);
  } catch (e) {
    if (e instanceof OptionError) throw new UsageError(`samwise train: ${e.message}`);
    throw e;
  }
  const typed: Record<string, unknown> = {
    opt: resolved.optimizer.opt,
    crt: resolved.criterion.descriptor.name,
  };
  for (const info of listOptions(registry)) {
    if (info.name !== "opt" && info.name !== "crt") typed[info.name] = resolved.options.get(info.name);
  }

  const datadir = String(o.datadir);
  for (const flag of ["output_dir", "output_name", "datadir", "results_csv", "resume_path", "init_from"]) {
    if (o[flag] !== undefined && String(o[flag]).trim() === "") {
      throw new UsageError(`samwise train: --${flag} must not be empty`);
    }
  }
  const datadirStat = await Deno.stat(datadir).catch(() => null);
  if (datadirStat && !datadirStat.isDirectory) {
    throw new UsageError(`samwise train: --datadir ${datadir} is a file, not a directory`);
  }
  let dataset = o.dataset as DatasetName | undefined;
  let embeddedDefault = false;
  if (!dataset) {
    const found = await defaultDatasetName({ datadir });
    embeddedDefault = found.startsWith("FashionMNIST_subset");
    dataset = embeddedDefault ? "FashionMNIST_subset" : "CIFAR10_cutout";
  }
  const model = embeddedDefault && !given("model") ? EMBEDDED_DEFAULTS.model : String(o.model);
  const epochs = embeddedDefault && !given("epochs") ? EMBEDDED_DEFAULTS.epochs : Number(o.epochs);
  const batch = embeddedDefault && !given("batch_size") ? EMBEDDED_DEFAULTS.batch_size : Number(o.batch_size);
  const outputDir = String(o.output_dir);
  const timingOnly = Boolean(o.performance_scores_mode);
  const hessian = o.hessian === undefined
    ? model === "resnet18" && dataset.startsWith("CIFAR10_") && !timingOnly
    : Boolean(o.hessian);
  const combination = (o.dataset_nn_combination as string | undefined) ?? null;
  const resultsCsv = (o.results_csv as string | undefined) ??
    (combination !== null ? `${combination}_results.csv` : `${outputDir}/results.csv`);
  const base: Omit<TrainConfig, "output_name"> = {
    model,
    dataset,
    datadir,
    batch_size: batch,
    accum_steps: Number(o.accum_steps),
    epochs,
    seed: Number(o.seed),
    lr_scheduler: o.lr_scheduler as TrainConfig["lr_scheduler"],
    lr_step: o.lr_step as TrainConfig["lr_step"],
    warmup_epoch: Number(o.warmup_epoch),
    warmup_init_lr: Number(o.warmup_init_lr),
    eta_min: Number(o.eta_min),
    milestone: o.milestone as number[],
    gamma: Number(o.gamma),
    output_dir: outputDir,
    resume: Boolean(o.resume),
    resume_path: (o.resume_path as string | undefined) ?? null,
    log_freq: Number(o.log_freq),
    results_csv: resultsCsv,
    plugin: o.plugin as string[],
    train_images: Number(o.train_images),
    test_images: Number(o.test_images),
    decoded_cache: (o.decoded_cache as string | undefined) ?? null,
    hessian,
    exclusive_run: Boolean(o.exclusive_run),
    drop_last: Boolean(o.drop_last),
    start_epoch: Number(o.start_epoch),
    var_delta: Number(o.var_delta),
    dataset_nn_combination: combination,
    comp_info: combination !== null && !given("results_csv") ? `comp_${combination}.info` : null,
    logging_mode: Boolean(o.logging_mode),
    extensive_metrics_mode: Boolean(o.extensive_metrics_mode),
    performance_scores_mode: timingOnly,
    wandb: Boolean(o.wandb),
    wandb_project: String(o.wandb_project),
    wandb_name: String(o.wandb_name),
    init_from: (o.init_from as string | undefined) ?? null,
    adapter_index: Number(o.adapter),
    optim: typed,
    embeddedDefault,
  };
  if (base.start_epoch >= base.epochs) {
    throw new UsageError(
      `samwise train: --start_epoch ${base.start_epoch} must be below --epochs ${base.epochs}`,
    );
  }
  if (combination !== null && !/^[^\/\\]+$/.test(combination)) {
    throw new UsageError(
      `samwise train: --dataset_nn_combination must be a plain name (it names NAME_results.csv), got "${combination}"`,
    );
  }
  if (base.warmup_epoch >= base.epochs && base.warmup_epoch > 0) {
    throw new UsageError(
      `samwise train: --warmup_epoch ${base.warmup_epoch} must be below --epochs ${base.epochs}`,
    );
  }
  const config: TrainConfig = {
    ...base,
    output_name: (o.output_name as string | undefined) ??
      autoName(base, resolved.optimizer.sharpness?.descriptor.options?.map((x) => x.name)),
  };
  if (/[\/\\]|^\.\.?$/.test(config.output_name)) {
    throw new UsageError(
      `samwise train: --output_name must be a plain directory name, got "${config.output_name}"`,
    );
  }
  const notices: string[] = [];
  const ignored = IGNORED_SEED_FLAGS.filter(given).map((f) => `--${f}`);
  if (ignored.length) {
    notices.push(
      `samwise train: ignoring ${ignored.join(", ")}: CUDA/DataLoader/DDP settings with no meaning on WebGPU`,
    );
  }
  if (config.wandb) {
    const dir = config.resume && config.resume_path
      ? config.resume_path
      : `${outputDir}/${config.output_name}`;
    notices.push(
      `samwise train: --wandb: Weights & Biases is unreachable from samwise; the metrics go to ${dir}/log.jsonl ` +
        `(project "${config.wandb_project}", name "${config.wandb_name}" recorded in config.json)`,
    );
  }
  return { config, resolved, registry, notices };
}
