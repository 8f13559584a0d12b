/**
 * What a training run is configured by: {@link TrainConfig} (every flag, typed) and
 * {@link TrainSetup}, the configuration with its plugins resolved, which `runTraining` takes.
 * The CLI (`src/cli/args.ts`) produces both from argv; `compare` and sweeps derive them.
 *
 * @module
 */
import type { DatasetName } from "../data/mod.ts";
import type { Registry } from "../plugins/registry.ts";
import type { ResolvedConfig } from "../plugins/resolve.ts";

/** Everything a training run is configured by. */
export interface TrainConfig {
  model: string;
  dataset: DatasetName;
  datadir: string;
  batch_size: number;
  /** Micro-batches per step (gradient accumulation, `src/step/accumulate.ts`); 1: none. */
  accum_steps: number;
  epochs: number;
  seed: number;
  lr_scheduler: "CosineLRscheduler" | "MultiStepLRscheduler";
  /** When the schedule advances: after each epoch as the seed (default), or every iteration. */
  lr_step: "epoch" | "iteration";
  warmup_epoch: number;
  warmup_init_lr: number;
  eta_min: number;
  milestone: number[];
  gamma: number;
  output_dir: string;
  output_name: string;
  resume: boolean;
  resume_path: string | null;
  log_freq: number;
  results_csv: string;
  plugin: string[];
  /** Use only the first N training / test images (0: all), for quick runs. */
  train_images: number;
  test_images: number;
  /** TinyImageNet: directory of the decoded-image cache (null: decode every run). */
  decoded_cache: string | null;
  hessian: boolean;
  exclusive_run: boolean;
  /** The seed's `drop_last` (default true): the last incomplete training batch of an epoch is dropped. */
  drop_last: boolean;
  /** The seed's `start_epoch`: the first (0-based) epoch trained, without `--resume`. */
  start_epoch: number;
  /** The seed's `--var_delta`: accepted, unused (its variance rule is commented out in the seed). */
  var_delta: number;
  /** The seed's `--dataset_nn_combination`: names `NAME_results.csv` and `comp_NAME.info`. */
  dataset_nn_combination: string | null;
  /** `comp_NAME.info` for `--dataset_nn_combination NAME`, else null. */
  comp_info: string | null;
  /** The seed's `--logging_mode`: samwise always logs epochs and per-step decisions; no effect. */
  logging_mode: boolean;
  /** The seed's `--extensive_metrics_mode`: also log every step's training loss (`step_loss` records). */
  extensive_metrics_mode: boolean;
  /** The seed's `--performance_scores_mode`: a timing-only run, no per-step records, no default Hessian. */
  performance_scores_mode: boolean;
  /** The seed's W&B flags, recorded in config.json; the metrics go to the run directory only. */
  wandb: boolean;
  wandb_project: string;
  wandb_name: string;
  /** A PyTorch state_dict (safetensors) to start from instead of the seeded initialisation. */
  init_from: string | null;
  /** `--adapter i`: which GPU to run on (0: WebGPU's default); see `selectAdapter` in src/gpu/device.ts. */
  adapter_index: number;
  /** Optimizer and criterion options by name (`opt`, `crt`, `lr`, `rho`, `crt_k`, ...), typed. */
  optim: Record<string, unknown>;
  /** True when no dataset was given and none was found, so the embedded subset is used. */
  embeddedDefault: boolean;
}

/** A configuration with its plugins resolved: what `runTraining` trains. */
export interface TrainSetup {
  config: TrainConfig;
  /** `config.optim` checked and resolved to plugin descriptors. */
  resolved: ResolvedConfig;
  /** Where the plugins were looked up (the engine is built from it). */
  registry: Registry;
}
