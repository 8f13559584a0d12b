/**
 * `deno task sweep`: runs a grid of training runs on this machine or through SLURM.
 *
 * ```sh
 * deno task sweep GRID.json [--dry-run] [--backend local|slurm] [--workers N] [--parallel P] [-- SBATCH_OPTIONS...]
 * deno task sweep status GRID.json
 * deno task sweep task GRID.json INDEX     # what each SLURM array task runs
 * ```
 * Finished runs are skipped and killed ones resume from their checkpoint, so running the same
 * command again is always safe. Bad input: one line naming the flag or file, exit code 2.
 * @module
 */
import { parseTrainArgs, UsageError } from "./args.ts";
import { type Grid, readGrid, resolveRuns, type SweepRun } from "../sweep/grid.ts";
import { resultsCsv, runDir, type RunStatus, runStatus } from "../sweep/runs.ts";
import { runLocal } from "../sweep/local.ts";
import { executeRun } from "../sweep/runs.ts";
import { adapterFromScheduler, queuedTasks, sbatchScript, submit, submittedJobs } from "../sweep/slurm.ts";
import { renderNodeGpus } from "../gpu/device.ts";
import { defaultRegistry, OptionError, PluginError } from "../plugins/mod.ts";
import { registerBuiltins } from "../../plugins/builtins.ts";

// Composition root: the built-in plugins join the process-wide registry before a grid is resolved.
registerBuiltins(defaultRegistry());

/** Parsed `deno task sweep` command line. */
export interface SweepArgs {
  command: "run" | "status" | "task";
  grid: string;
  index?: number;
  dryRun: boolean;
  backend: "local" | "slurm";
  workers: number;
  parallel?: number;
  sbatchArgs: string[];
}

function usage(what: string): never {
  throw new UsageError(`samwise sweep: ${what}`);
}

function positiveInt(flag: string, v: string | undefined): number {
  const x = Number(v);
  if (v === undefined || !Number.isInteger(x) || x < 1) {
    usage(`${flag} must be an integer >= 1, got ${v ?? "nothing"}`);
  }
  return x;
}

/** Parses the sweep command line (see the module documentation). */
export function parseSweepArgs(argv: readonly string[]): SweepArgs {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? [...argv] : argv.slice(0, dash);
  const sbatchArgs = dash < 0 ? [] : argv.slice(dash + 1);
  const a: SweepArgs = { command: "run", grid: "", dryRun: false, backend: "local", workers: 1, sbatchArgs };
  const positional: string[] = [];
  for (let i = 0; i < own.length; i++) {
    const w = own[i];
    const [flag, inline] = w.startsWith("--") && w.includes("=")
      ? [w.slice(0, w.indexOf("=")), w.slice(w.indexOf("=") + 1)]
      : [w, undefined];
    const value = () => inline ?? own[++i];
    if (flag === "--dry-run") a.dryRun = true;
    else if (flag === "--backend") {
      const b = value();
      if (b !== "local" && b !== "slurm") usage(`--backend must be local or slurm, got ${b ?? "nothing"}`);
      a.backend = b;
    } else if (flag === "--workers") a.workers = positiveInt("--workers", value());
    else if (flag === "--parallel") a.parallel = positiveInt("--parallel", value());
    else if (flag.startsWith("-")) usage(`unknown option ${flag} (scheduler options go after --)`);
    else positional.push(w);
  }
  if (positional[0] === "status" || positional[0] === "task") {
    a.command = positional.shift() as "status" | "task";
  }
  if (positional.length === 0) usage("expected a grid file: deno task sweep GRID.json");
  a.grid = positional[0];
  if (a.command === "task") {
    const x = Number(positional[1]);
    if (!Number.isInteger(x) || x < 0) {
      usage(`task: expected a run index >= 0, got ${positional[1] ?? "nothing"}`);
    }
    a.index = x;
  } else if (positional.length > 1) usage(`unexpected argument ${positional[1]}`);
  if (a.sbatchArgs.length && a.backend !== "slurm") {
    usage("options after -- are for sbatch: add --backend slurm");
  }
  if (a.workers > 1 && a.backend !== "local") {
    usage("--workers is for --backend local (slurm uses --parallel)");
  }
  return a;
}

/** Counts of each run state, from the run directories and (for slurm) squeue. */
export async function sweepStatus(grid: Grid, runs: readonly SweepRun[]): Promise<Record<RunStatus, number>> {
  const queued = await queuedTasks(await submittedJobs(grid));
  const active = new Set(queued.keys());
  const counts: Record<RunStatus, number> = { done: 0, running: 0, failed: 0, pending: 0 };
  for (const r of runs) counts[runStatus(runDir(grid, r), active)]++;
  return counts;
}

/** Runs the sweep CLI; returns the exit code. */
export async function main(argv: string[], out: (l: string) => void = console.log): Promise<number> {
  try {
    const a = parseSweepArgs(argv);
    const grid = await readGrid(a.grid);
    const runs = await resolveRuns(grid, (a) => parseTrainArgs(a));
    if (a.command === "status") {
      const c = await sweepStatus(grid, runs);
      out(
        `${grid.name}: ${runs.length} runs: ${c.done} done, ${c.running} running, ${c.failed} failed, ${c.pending} pending`,
      );
      return 0;
    }
    if (a.command === "task") {
      const run = runs[a.index!];
      if (!run) usage(`task: run index ${a.index} is beyond the grid's ${runs.length} runs`);
      const adapter = adapterFromScheduler((k) => Deno.env.get(k), renderNodeGpus().length);
      const outcome = await executeRun(grid, run, { adapter });
      out(`run ${run.index} ${run.id}: ${outcome}`);
      return outcome.startsWith("failed") ? 1 : 0;
    }
    const todo = runs.filter((r) => runStatus(runDir(grid, r)) !== "done");
    if (a.dryRun) {
      for (const r of runs) {
        out(`${r.index}\t${r.id}\t${runStatus(runDir(grid, r))}\t${r.argv.join(" ")}`);
      }
      if (a.backend === "slurm") {
        out(
          todo.length
            ? sbatchScript(grid, todo, runs.length, a).trimEnd()
            : "# every run is done: nothing to submit",
        );
      }
      return 0;
    }
    if (todo.length === 0) {
      out(`${grid.name}: all ${runs.length} runs done; nothing to run. Results: ${resultsCsv(grid)}`);
      return 0;
    }
    if (a.backend === "slurm") {
      const job = await submit(grid, sbatchScript(grid, todo, runs.length, a));
      out(
        `${grid.name}: submitted job ${job} with ${todo.length} of ${runs.length} runs; ` +
          `deno task sweep status ${a.grid}`,
      );
      return 0;
    }
    out(
      `${grid.name}: ${todo.length} of ${runs.length} runs to do, ${a.workers} worker(s); results in ${
        resultsCsv(grid)
      }`,
    );
    const outcomes = await runLocal(grid, todo, { workers: a.workers, say: out });
    const failed = outcomes.filter((o) => o.outcome.startsWith("failed")).length;
    if (failed) out(`${failed} run(s) failed: see train.log in their run directories; rerun to resume`);
    return failed ? 1 : 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof OptionError || e instanceof PluginError) {
      console.error(e.message.startsWith("samwise") ? e.message : `samwise sweep: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
