/**
 * The results-CSV row of a finished run, every cell the seed's quantity in the seed's format
 * (its `training_result_save`, `hyperparameters`, `criteria_parameters` and `train.py`), and the
 * run's `summary.json`, which keeps what samwise measures beyond the seed's columns.
 *
 * | column | value |
 * | --- | --- |
 * | optimizer | `--opt` |
 * | hyperparameters | cumulative, from the plugins' descriptors: `lr=0.05;rho=0.1;theta=0.4;lam=0.1;z=1.5;` |
 * | criterion | `--crt` (`baseline` when none) |
 * | crt_parameter | the criterion's short pair (`k=2`, `z=1.5`, `s=[100-200]`, `>0?=0`), empty for baseline |
 * | top-1 test acc | maximum over epochs of the test top-1 accuracy, % |
 * | overfitting indicator | last epoch's test loss minus its train loss |
 * | l1, l5, l1/l5 | top Hessian eigenvalues (empty without `--hessian`) |
 * | fwp_overhead, bwp_overhead | forward / backward passes per step relative to SGD |
 * | images/s | mean over epochs of each epoch's training images/s |
 * | runtime | training time in minutes (all epochs with their evaluation, not the Hessian) |
 * | max_allocated_memory, max_reserved_memory | peak GPU memory in integer MiB (empty where not measured) |
 * | epochs | `--epochs` |
 * | exclusive_run | `True` / `False` |
 *
 * Floats are written as Python's `repr` writes them (`1.0`, `0.0563`), as pandas did for the seed.
 *
 * @module
 */
import type { ResolvedConfig } from "../plugins/resolve.ts";
import { crtParameterCell, hyperparametersCell, pyFloat } from "../plugins/report.ts";
import { parseOptSpec } from "../plugins/opt_spec.ts";
import type { ResultRow } from "./results_csv.ts";

/** The per-epoch numbers the row needs (a subset of the trainer's epoch metrics). */
export interface EpochFigures {
  train_loss: number;
  train_acc1: number;
  test_loss: number;
  test_acc1: number;
  images_per_s: number;
}

/** What a finished run measured, in samwise's own units. */
export interface RunMeasurements {
  history: readonly EpochFigures[];
  /** Maximum test top-1 accuracy over epochs, %. */
  maxAcc: number;
  /** Wall-clock seconds of training (epochs and their evaluation, across interruptions). */
  trainingSeconds: number;
  overheads: { fwp: number; bwp: number };
  /** Top Hessian eigenvalues, descending (at least 5), or null when not computed. */
  hessian: readonly number[] | null;
  /** Peak GPU memory in bytes, or null where not measured. */
  memory: { allocatedBytes: number; reservedBytes: number } | null;
}

/** What the row needs of the configuration besides the resolved plugins. */
export interface RowConfig {
  epochs: number;
  exclusive_run: boolean;
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

const MIB = 1024 ** 2;

/** The seed's `int(bytes / 1024**2)`. */
export function toMiB(bytes: number): number {
  return Math.floor(bytes / MIB);
}

/** Mean of each epoch's images/s, as the seed's `np.mean(images_per_second_list)`. */
export function meanImagesPerSecond(history: readonly EpochFigures[]): number {
  return history.reduce((s, m) => s + m.images_per_s, 0) / history.length;
}

/** The results row (see the module documentation). Throws if no epoch was measured. */
export function resultsRow(c: RowConfig, cfg: ResolvedConfig, m: RunMeasurements): ResultRow {
  if (!m.history.length) throw new Error("results row: no finished epoch to report");
  const last = m.history[m.history.length - 1];
  const h = m.hessian;
  const l1 = h ? round(h[0], 4) : null, l5 = h ? round(h[4], 4) : null;
  return {
    "optimizer": cfg.optimizer.opt,
    "hyperparameters": hyperparametersCell(cfg),
    "criterion": cfg.criterion.descriptor.name,
    "crt_parameter": crtParameterCell(cfg),
    "top-1 test acc": pyFloat(round(m.maxAcc, 4)),
    "overfitting indicator": pyFloat(round(last.test_loss - last.train_loss, 4)),
    "l1": l1 === null ? "" : pyFloat(l1),
    "l5": l5 === null ? "" : pyFloat(l5),
    "l1/l5": l1 === null || l5 === null ? "" : pyFloat(round(l1 / l5, 4)),
    "fwp_overhead": pyFloat(round(m.overheads.fwp, 4)),
    "bwp_overhead": pyFloat(round(m.overheads.bwp, 4)),
    "images/s": pyFloat(round(meanImagesPerSecond(m.history), 2)),
    "runtime": pyFloat(round(m.trainingSeconds / 60, 2)),
    "max_allocated_memory": m.memory ? toMiB(m.memory.allocatedBytes) : "",
    "max_reserved_memory": m.memory ? toMiB(m.memory.reservedBytes) : "",
    "epochs": c.epochs,
    "exclusive_run": c.exclusive_run ? "True" : "False",
  };
}

/**
 * The run's `summary.json`: the row's columns as numbers where they are numbers, plus what the
 * seed's columns do not hold: wall seconds, memory in bytes, the accuracy gap (last train
 * accuracy minus the maximum test accuracy, the seed's `comp_*.info` difference), adapter and
 * backend, and the per-epoch history.
 */
export function summaryRecord(
  row: ResultRow,
  m: RunMeasurements,
  extra: { adapter: string; backend: string; history: readonly unknown[] },
): Record<string, unknown> {
  const cells: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    cells[k] = typeof v === "string" && v !== "" && Number.isFinite(Number(v)) && !/[=;]/.test(v)
      ? Number(v)
      : v;
  }
  const last = m.history[m.history.length - 1];
  return {
    ...cells,
    wall_seconds: round(m.trainingSeconds, 2),
    max_allocated_bytes: m.memory?.allocatedBytes ?? null,
    max_reserved_bytes: m.memory?.reservedBytes ?? null,
    accuracy_gap: round(last.train_acc1 - m.maxAcc, 4),
    adapter: extra.adapter,
    backend: extra.backend,
    history: extra.history,
  };
}

/** Python's `str(datetime.timedelta(seconds=s))`: `H:MM:SS.ffffff`, `1 day, H:MM:SS`. */
export function formatTimedelta(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  const days = Math.floor(us / 86_400e6);
  const rest = us - days * 86_400e6;
  const h = Math.floor(rest / 3600e6),
    m = Math.floor((rest % 3600e6) / 60e6),
    sec = Math.floor((rest % 60e6) / 1e6);
  const frac = rest % 1e6;
  const clock = `${h}:${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}` +
    (frac ? `.${String(frac).padStart(6, "0")}` : "");
  return days ? `${days} day${days === 1 ? "" : "s"}, ${clock}` : clock;
}

/** The seed's `args.opt.split("-")[0]`: the variant of a SAM-family `--opt`, or the base alone. */
function optimiserName(opt: string): string {
  const { variant, base } = parseOptSpec(opt);
  return variant ?? base;
}

/**
 * The seed's `comp_NAME.info` entry (its `comp_file_logging`), appended for
 * `--dataset_nn_combination NAME`. The reuse and overhead lines appear, as in the seed, only for a
 * criterion with a parameter (not baseline); the reuse line always ends its line (the seed's
 * lost its newline for criteria other than naive and random).
 */
export function compInfoText(
  c: { optim: Record<string, unknown> },
  row: ResultRow,
  m: RunMeasurements,
): string {
  const last = m.history[m.history.length - 1];
  const f4 = (x: number) => x.toFixed(4);
  const reuse = row.crt_parameter !== "";
  const lines = [
    `OPTIMISER: ${optimiserName(String(row.optimizer))} - theta = ${pyFloat(Number(c.optim.theta))} `,
    ...(reuse ? [`Reuse method: ${row.criterion} - ${row.crt_parameter} `] : []),
    `Max Test Accuracy: ${f4(m.maxAcc)}, Last Train Accuracy: ${f4(last.train_acc1)}, ` +
    `Difference (Train Accuracy - Test Accuracy) = ${f4(last.train_acc1 - m.maxAcc)} `,
    `Last Test Loss: ${f4(last.test_loss)}, Last Train Loss: ${f4(last.train_loss)}, ` +
    `Difference (test loss - train loss) = ${f4(last.test_loss - last.train_loss)} `,
    ...(reuse ? [`Backprop Overhead x SGD: ${m.overheads.bwp.toFixed(2)} `] : []),
    `Training Time: ${formatTimedelta(m.trainingSeconds)} `,
  ];
  return lines.join("\n") + "\n\n";
}
