/**
 * The `local` sweep backend: N workers on this machine take the unfinished runs in order, each
 * worker on its own adapter when the machine has several GPUs (worker w uses `--adapter w mod G`).
 * @module
 */
import { renderNodeGpus } from "../gpu/device.ts";
import type { Grid, SweepRun } from "./grid.ts";
import { executeRun, type RunOutcome, stopRequested } from "./runs.ts";

/** One finished attempt. */
export interface LocalOutcome {
  run: SweepRun;
  outcome: RunOutcome;
}

/**
 * Runs every run of `runs` not yet done with `workers` concurrent trainers; returns the outcomes in
 * completion order. `say` gets one line per run. After SIGINT/SIGTERM the running runs checkpoint
 * and no new one starts (rerun the sweep to continue).
 */
export async function runLocal(
  grid: Grid,
  runs: readonly SweepRun[],
  opts: { workers?: number; say?: (line: string) => void; gpus?: number } = {},
): Promise<LocalOutcome[]> {
  const workers = Math.max(1, opts.workers ?? 1);
  const gpus = Math.max(1, opts.gpus ?? renderNodeGpus().length);
  const queue = [...runs];
  const outcomes: LocalOutcome[] = [];
  const worker = async (w: number) => {
    for (let run = queue.shift(); run && !stopRequested(); run = queue.shift()) {
      const outcome = await executeRun(grid, run, { adapter: w % gpus });
      outcomes.push({ run, outcome });
      opts.say?.(`[${outcomes.length}/${runs.length}] run ${run.index} ${run.id}: ${outcome}`);
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return outcomes;
}
