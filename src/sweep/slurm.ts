/**
 * The `slurm` sweep backend: one sbatch script with a job array over the unfinished runs; array task
 * `i` runs grid run `i` (`deno task sweep task <grid> i`), skipping it when done and resuming it from
 * its checkpoint when one exists, so resubmitting the same grid is always safe.
 *
 * GPUs: WebGPU does not read `CUDA_VISIBLE_DEVICES`. With `ConstrainDevices=yes` (cgroup.conf) a job
 * sees only the GPUs it was given, so the first visible one is adapter 0 and nothing needs mapping.
 * Without it every GPU is visible and SLURM names the assigned ones by index in `SLURM_STEP_GPUS` /
 * `SLURM_JOB_GPUS` / `CUDA_VISIBLE_DEVICES` / `GPU_DEVICE_ORDINAL`: the task passes the first of them as
 * `--adapter` (see {@link adapterFromScheduler}), which assumes the node's render-node order is
 * SLURM's GPU index order (PCI order, as with `AutoDetect=nvml`).
 * @module
 */
import type { Grid, SweepRun } from "./grid.ts";
import { writeFileAtomic } from "../io/atomic.ts";

/** The array spec for the runs still to do: `0-N%P` when all of them, else a list `3,5,7%P`. */
export function arraySpec(indices: readonly number[], total: number, parallel?: number): string {
  const all = indices.length === total && indices.every((x, i) => x === i);
  const body = all ? `0-${total - 1}` : compressRanges(indices);
  return parallel ? `${body}%${parallel}` : body;
}

/** `[1,2,3,7,9,10]` -> "1-3,7,9-10". */
export function compressRanges(xs: readonly number[]): string {
  const out: string[] = [];
  const s = [...xs].sort((a, b) => a - b);
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    out.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return out.join(",");
}

/** Shell-quotes one word. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sbatch script running `runs` of `grid` (`sbatchArgs`: scheduler options passed through). */
export function sbatchScript(
  grid: Grid,
  runs: readonly SweepRun[],
  total: number,
  opts: { parallel?: number; sbatchArgs?: readonly string[]; deno?: string } = {},
): string {
  const deno = opts.deno ?? Deno.execPath();
  const cli = new URL("../cli/sweep.ts", import.meta.url).pathname;
  const out = grid.outputDir.startsWith("/") ? grid.outputDir : `${Deno.cwd()}/${grid.outputDir}`;
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${shq(`samwise-${grid.name}`)}`,
    `#SBATCH --array=${arraySpec(runs.map((r) => r.index), total, opts.parallel)}`,
    `#SBATCH --output=${shq(`${out}/slurm-%A_%a.out`)}`,
    ...(opts.sbatchArgs ?? []).map((a) => `#SBATCH ${a}`),
    "# Array task i runs grid run i; a finished run is skipped, a killed one resumes (see src/sweep/slurm.ts).",
    `cd ${shq(Deno.cwd())}`,
    `exec ${shq(deno)} run -A ${shq(cli)} task ${shq(grid.path)} "$SLURM_ARRAY_TASK_ID"`,
  ];
  return lines.join("\n") + "\n";
}

/**
 * The adapter index for this task from SLURM's GPU assignment (0 when there is none). `visibleGpus`
 * is the number of GPUs the node shows this process: with one (ConstrainDevices), it is adapter 0.
 */
export function adapterFromScheduler(env: (k: string) => string | undefined, visibleGpus: number): number {
  if (visibleGpus <= 1) return 0;
  for (const k of ["SLURM_STEP_GPUS", "SLURM_JOB_GPUS", "CUDA_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL"]) {
    const first = env(k)?.split(",")[0]?.trim();
    if (first && /^\d+$/.test(first)) return Number(first) < visibleGpus ? Number(first) : 0;
  }
  return 0;
}

/** Runs a command, returning its exit code and output; a missing program is reported, not thrown. */
export async function runCommand(
  cmd: string,
  args: string[],
): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    return { code: r.code, out: new TextDecoder().decode(r.stdout), err: new TextDecoder().decode(r.stderr) };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { code: 127, out: "", err: `${cmd}: not found` };
    throw e;
  }
}

/** The job ids this grid submitted, kept in `<output_dir>/slurm-jobs.json` for `sweep status`. */
export async function submittedJobs(grid: Grid): Promise<string[]> {
  try {
    return JSON.parse(await Deno.readTextFile(`${grid.outputDir}/slurm-jobs.json`)) as string[];
  } catch {
    return [];
  }
}

/** Writes the script to `<output_dir>/sweep.sbatch`, submits it and records the job id. */
export async function submit(grid: Grid, script: string): Promise<string> {
  await Deno.mkdir(grid.outputDir, { recursive: true });
  const path = `${grid.outputDir}/sweep.sbatch`;
  await writeFileAtomic(path, script);
  const r = await runCommand("sbatch", ["--parsable", path]);
  if (r.code !== 0) {
    throw new Error(`sbatch ${path} failed (exit ${r.code}): ${r.err.trim().split("\n")[0] || r.out.trim()}`);
  }
  const job = r.out.trim().split(";")[0];
  const jobs = await submittedJobs(grid);
  await writeFileAtomic(`${grid.outputDir}/slurm-jobs.json`, JSON.stringify([...jobs, job]) + "\n");
  return job;
}

/**
 * The array tasks of `jobs` squeue still lists, as `job_task` keys with their squeue state
 * (PENDING, RUNNING, ...). Empty when squeue is missing or knows none of them.
 */
export async function queuedTasks(jobs: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (jobs.length === 0) return out;
  const r = await runCommand("squeue", ["-h", "-r", "-j", jobs.join(","), "-o", "%F_%K %T"]);
  if (r.code !== 0) return out;
  for (const line of r.out.trim().split("\n").filter(Boolean)) {
    const [key, state] = line.trim().split(/\s+/);
    out.set(key, state);
  }
  return out;
}
