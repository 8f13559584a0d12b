/**
 * Running one sweep run, and reading where each run stands, from its run directory alone, so any
 * worker (a local one, a SLURM array task on another node) can pick a run up or skip it.
 *
 * A run directory `<output_dir>/<id>/` is
 * - done when the trainer wrote `summary.json` (it does so after appending the CSV row);
 * - resumable when it holds a `checkpoint.json` (the run is restarted with `--resume`);
 * - marked by the sweep in `sweep-state.json`: `running` (with host, pid, SLURM job) while a worker
 *   has it, `failed` with the exit code when the trainer failed.
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";
import { thisHost } from "../io/lock.ts";
import type { Grid, SweepRun } from "./grid.ts";

/** What `sweep-state.json` holds. */
export interface RunMarker {
  state: "running" | "failed";
  host: string;
  pid: number;
  /** `SLURM_ARRAY_JOB_ID_SLURM_ARRAY_TASK_ID` when run as an array task. */
  slurm?: string;
  code?: number;
  at: string;
}

/** The four states `deno task sweep status` counts. */
export type RunStatus = "done" | "running" | "failed" | "pending";

/** The run directory of `run`. */
export function runDir(grid: Grid, run: SweepRun): string {
  return `${grid.outputDir}/${run.id}`;
}

/** The results CSV every run of `grid` appends to. */
export function resultsCsv(grid: Grid): string {
  return `${grid.outputDir}/results.csv`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Reads `sweep-state.json` of a run directory, or null. */
export function readMarker(dir: string): RunMarker | null {
  try {
    return JSON.parse(Deno.readTextFileSync(`${dir}/sweep-state.json`)) as RunMarker;
  } catch {
    return null;
  }
}

/** True when process `pid` exists on this host (signal 0 probes without touching it). */
export function pidAlive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return e instanceof Deno.errors.PermissionDenied;
  }
}

/**
 * Where a run stands. `slurmActive` holds the array-task keys (`job_task`) squeue still lists:
 * a `running` marker counts as running while its process lives (same host) or its SLURM task is
 * listed; otherwise the worker died without saying so, which counts as failed (it resumes).
 */
export function runStatus(dir: string, slurmActive: ReadonlySet<string> = new Set()): RunStatus {
  if (exists(`${dir}/summary.json`)) return "done";
  const m = readMarker(dir);
  if (!m) return "pending";
  if (m.state === "failed") return "failed";
  if (m.slurm) return slurmActive.has(m.slurm) ? "running" : "failed";
  if (m.host === thisHost()) return pidAlive(m.pid) ? "running" : "failed";
  return "running"; // another host's process: only it can tell
}

/** This machine's name, as run markers record it: one definition, shared with the lock files. */
export { thisHost };

let stopping = false;

/** True once this process got SIGINT or SIGTERM while a run was going: workers take no new run. */
export function stopRequested(): boolean {
  return stopping;
}

/** How a run ended, for the worker's log line. */
export type RunOutcome = "skipped (done)" | "finished" | "resumed and finished" | `failed (exit ${number})`;

/**
 * Runs `run` to completion as a `deno task train` subprocess (skipping it when done, resuming it
 * from its checkpoint when one exists), appending its row to the grid's results CSV. `adapter`
 * becomes `--adapter`; the child's stdout/stderr go to `<dir>/train.log` (appended across attempts).
 */
export async function executeRun(
  grid: Grid,
  run: SweepRun,
  opts: { adapter?: number; env?: Record<string, string> } = {},
): Promise<RunOutcome> {
  const dir = runDir(grid, run);
  if (exists(`${dir}/summary.json`)) return "skipped (done)";
  await Deno.mkdir(dir, { recursive: true });
  const resume = exists(`${dir}/checkpoint.json`);
  const slurm = Deno.env.get("SLURM_ARRAY_JOB_ID")
    ? `${Deno.env.get("SLURM_ARRAY_JOB_ID")}_${Deno.env.get("SLURM_ARRAY_TASK_ID")}`
    : undefined;
  const marker = (m: Partial<RunMarker>) =>
    writeFileAtomic(
      `${dir}/sweep-state.json`,
      JSON.stringify({ host: thisHost(), pid: Deno.pid, slurm, at: new Date().toISOString(), ...m }) +
        "\n",
    );
  await marker({ state: "running" });
  const args = [
    ...run.argv,
    "--output_dir",
    grid.outputDir,
    "--output_name",
    run.id,
    "--results_csv",
    resultsCsv(grid),
    "--adapter",
    String(opts.adapter ?? 0),
  ];
  if (resume) args.push("--resume", "--resume_path", dir);
  const log = await Deno.open(`${dir}/train.log`, { append: true, create: true });
  await log.write(
    new TextEncoder().encode(`\n== samwise sweep ${new Date().toISOString()}: train ${args.join(" ")}\n`),
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../cli/train.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
  }).spawn();
  // A scancel or kill (SIGTERM to the worker) becomes Ctrl-C for the trainer: checkpoint, then exit
  // 130. Ctrl-C in a terminal already reached the trainer (same process group): a second SIGINT
  // would make it exit without a checkpoint, so it is not forwarded. Either way no new run starts.
  const onTerm = () => {
    stopping = true;
    try {
      child.kill("SIGINT");
    } catch { /* already gone */ }
  };
  const onInt = () => (stopping = true);
  try {
    Deno.addSignalListener("SIGTERM", onTerm);
    Deno.addSignalListener("SIGINT", onInt);
  } catch { /* no signals on this platform */ }
  const copy = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) await log.write(chunk);
  };
  const [status] = await Promise.all([child.status, copy(child.stdout), copy(child.stderr)]);
  try {
    Deno.removeSignalListener("SIGTERM", onTerm);
    Deno.removeSignalListener("SIGINT", onInt);
  } catch { /* ignore */ }
  log.close();
  if (status.code === 0 && exists(`${dir}/summary.json`)) {
    await Deno.remove(`${dir}/sweep-state.json`).catch(() => {});
    return resume ? "resumed and finished" : "finished";
  }
  await marker({ state: "failed", code: status.code });
  return `failed (exit ${status.code})`;
}
