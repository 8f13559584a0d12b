/**
 * Reading a run directory back for plots: the `log.jsonl` stream (per-step decisions and
 * per-epoch metrics), `config.json` and, when the run finished, `summary.json`.
 *
 * @module
 */

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
  [metric: string]: unknown;
}

/** A per-epoch record of `log.jsonl`; counters (`inner_backward`, `iterations`) are cumulative. */
export interface EpochRecord {
  type: "epoch";
  epoch: number;
  train_loss: number;
  train_acc1: number;
  test_loss: number;
  test_acc1: number;
  max_acc: number;
  inner_backward: number;
  iterations: number;
  [metric: string]: unknown;
}

/** What a run directory holds, as far as plots need it. */
export interface RunData {
  dir: string;
  steps: StepRecord[];
  epochs: EpochRecord[];
  /** `config.json` (empty when missing). */
  config: Record<string, unknown>;
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
      throw new Error(`log.jsonl line ${i + 1} is not JSON`);
    }
    if (r.type === "step") steps.push(r as StepRecord);
    else if (r.type === "epoch") epochs.push(r as EpochRecord);
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

/** Reads `<dir>/log.jsonl` (required), `config.json` and `summary.json` (optional). */
export async function readRun(dir: string): Promise<RunData> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/log.jsonl`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${dir} has no log.jsonl: not a run directory`);
    throw e;
  }
  const { steps, epochs } = parseRunLog(text);
  return {
    dir,
    steps,
    epochs,
    config: (await readJson(`${dir}/config.json`)) ?? {},
    summary: await readJson(`${dir}/summary.json`),
  };
}
