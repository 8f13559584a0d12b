/**
 * The one definition of what a run directory holds, written by the trainer and read back by
 * reports, `compare` and sweeps:
 *
 * - `config.json`: the {@link TrainConfig} plus the adapter, backend and {@link RunPlugins}
 *   (what the report needs of the plugins, so it never consults a registry);
 * - `log.jsonl`: one JSON record per line, a {@link LogRecord}: per-step decisions
 *   ({@link StepRecord}), per-step losses with `--extensive_metrics_mode`
 *   ({@link StepLossRecord}) and per-epoch metrics ({@link EpochRecord});
 * - `summary.json`: the results row and what samwise measured beyond it, once the run finished.
 *
 * ```ts
 * import { parseRunLog } from "./run_log.ts";
 * const log = parseRunLog('{"type":"epoch","epoch":0,"train_loss":2.1}\n');
 * console.log(log.epochs.length); // 1
 * ```
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";
import type { TrainConfig } from "./config.ts";
import type { DecisionTrace, RunPlugins, TraceLine } from "../plugins/report.ts";

export type { DecisionTrace, RunPlugins, TraceLine };

/** The configuration file of a run directory. */
export const CONFIG_FILE = "config.json";
/** The record stream of a run directory. */
export const LOG_FILE = "log.jsonl";
/** The summary of a finished run; its presence means the run finished. */
export const SUMMARY_FILE = "summary.json";

/** Metrics of one epoch, as logged and printed; counters (`inner_backward`, `iterations`) are cumulative. */
export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_acc1: number;
  train_acc5: number;
  test_loss: number;
  test_acc1: number;
  test_acc5: number;
  max_acc: number;
  lr: number;
  inner_forward: number;
  inner_backward: number;
  iterations: number;
  epoch_time: number;
  images_per_s: number;
}

/** A per-epoch record of `log.jsonl`. */
export interface EpochRecord extends EpochMetrics {
  type: "epoch";
}

/** A per-step record of `log.jsonl` (the criterion's metrics, e.g. `crt_gnorm`, are optional). */
export interface StepRecord {
  type: "step";
  epoch: number;
  batch: number;
  iteration: number;
  /** A SAM-family step (false: a plain base-optimizer step). */
  sam: boolean;
  /** A fresh inner gradient was computed. */
  fired: boolean;
  lr: number;
  /** The criterion's metrics (`ctx.log` in a plugin), by name. */
  [metric: string]: unknown;
}

/** Keys of a {@link StepRecord} that are not criterion metrics. */
export const STEP_RECORD_KEYS: ReadonlySet<string> = new Set([
  "type",
  "epoch",
  "batch",
  "iteration",
  "sam",
  "fired",
  "lr",
]);

/** A step's training loss, logged with `--extensive_metrics_mode`. */
export interface StepLossRecord {
  type: "step_loss";
  epoch: number;
  batch: number;
  iteration: number;
  loss: number;
}

/** Any record of `log.jsonl`. */
export type LogRecord = StepRecord | StepLossRecord | EpochRecord;

/** `config.json`: the configuration as trained, and where. */
export type ConfigRecord = TrainConfig & {
  adapter: string;
  backend: string;
  /** Absent in runs written before samwise recorded it. */
  plugins?: RunPlugins;
};

/** Appends JSON lines to `<dir>/log.jsonl`; lines are buffered and written per flush. */
export class JsonlLog {
  #pending: string[] = [];
  /** @param path the log file (`<dir>/log.jsonl`) */
  constructor(readonly path: string) {}

  /** Queues one record. */
  add(record: LogRecord): void {
    this.#pending.push(JSON.stringify(record));
  }

  /** Appends queued records in one write (each record is a whole line). */
  async flush(): Promise<void> {
    if (!this.#pending.length) return;
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    await Deno.writeTextFile(this.path, text, { append: true, create: true });
  }

  /** Keeps only the records `predicate` accepts: used when resuming from an earlier checkpoint. */
  async truncateAfter(predicate: (r: LogRecord) => boolean): Promise<void> {
    let text = "";
    try {
      text = await Deno.readTextFile(this.path);
    } catch {
      return;
    }
    const kept = text.split("\n").filter((l) => l && predicate(JSON.parse(l)));
    await writeFileAtomic(this.path, kept.length ? kept.join("\n") + "\n" : "");
  }
}

/** Writes `<dir>/<name>` as pretty JSON, atomically. */
export function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  return writeFileAtomic(`${dir}/${name}`, JSON.stringify(value, null, 2) + "\n");
}

/** What a run directory holds, read back. */
export interface RunData {
  dir: string;
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** `config.json` (empty when missing; older runs lack newer keys). */
  config: Partial<ConfigRecord> & Record<string, unknown>;
  /** `summary.json`, or null while the run is unfinished. */
  summary: Record<string, unknown> | null;
}

/**
 * Splits JSONL text into step and epoch records. A torn last line (a run killed mid-write) is
 * ignored; any other unparsable line throws, naming its line number.
 */
export function parseRunLog(text: string): { steps: StepRecord[]; epochs: EpochRecord[] } {
  const steps: StepRecord[] = [], epochs: EpochRecord[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(line);
    } catch {
      if (i >= lines.length - 2) return; // the last line, possibly cut short
      throw new Error(`${LOG_FILE} line ${i + 1} is not JSON`);
    }
    if (r.type === "step") steps.push(r as StepRecord);
    else if (r.type === "epoch") epochs.push(r as unknown as EpochRecord);
  });
  return { steps, epochs };
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: ${e instanceof Error ? e.message : e}`);
  }
}

/** Reads `<dir>/summary.json`, or null when the run has not finished. */
export function readSummary(dir: string): Promise<Record<string, unknown> | null> {
  return readJson(`${dir}/${SUMMARY_FILE}`);
}

/** Reads `<dir>/log.jsonl` (required), `config.json` and `summary.json` (optional). */
export async function readRun(dir: string): Promise<RunData> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/${LOG_FILE}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${dir} has no ${LOG_FILE}: not a run directory`);
    throw e;
  }
  const { steps, epochs } = parseRunLog(text);
  return {
    dir,
    steps,
    epochs,
    config: (await readJson(`${dir}/${CONFIG_FILE}`)) ?? {},
    summary: await readSummary(dir),
  };
}
