/**
 * `deno task plot <runDir|results.csv>...`: writes the plots of finished (or running) runs and
 * of results CSVs.
 *
 * - a run directory (it has `log.jsonl`): `<runDir>/report.html`, the loss and accuracy curves
 *   and the criterion's decision trace;
 * - a results CSV, or a directory holding `results.csv` but no log (e.g. a compare output
 *   directory): `results.svg` next to the CSV, accuracy against bwp overhead.
 *
 * @module
 */
import { writeRunPlots } from "../plot/run_report.ts";
import { writeResultsPlot } from "../plot/results_plot.ts";

/** The usage text. */
export const USAGE = `Usage: deno task plot <runDir|results.csv>...

  runDir       a run directory (with log.jsonl): writes <runDir>/report.html
  results.csv  a results CSV (or a directory holding one): writes results.svg next to it
`;

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Plots one path; returns what was written. Throws a one-line Error for a path it cannot plot. */
export async function plotPath(path: string): Promise<string> {
  const p = path.replace(/\/+$/, "") || "/";
  const st = await Deno.stat(p).catch(() => null);
  if (!st) throw new Error(`${path}: no such file or directory`);
  if (st.isFile) {
    if (p.toLowerCase().endsWith(".csv")) return await writeResultsPlot(p);
    if (p.endsWith("log.jsonl")) return await writeRunPlots(p.slice(0, -"/log.jsonl".length) || ".");
    throw new Error(`${path}: expected a run directory or a .csv file`);
  }
  if (await exists(`${p}/log.jsonl`)) return await writeRunPlots(p);
  if (await exists(`${p}/results.csv`)) return await writeResultsPlot(`${p}/results.csv`);
  throw new Error(`${path}: neither a run directory (no log.jsonl) nor a directory with results.csv`);
}

/** Runs the CLI; returns the exit code (2 when any path could not be plotted). */
export async function main(argv: readonly string[]): Promise<number> {
  if (!argv.length || argv.includes("--help") || argv.includes("-h")) {
    (argv.length ? console.log : console.error)(USAGE.trimEnd());
    return argv.length ? 0 : 2;
  }
  let code = 0;
  for (const path of argv) {
    try {
      console.log(`wrote ${await plotPath(path)}`);
    } catch (e) {
      console.error(`samwise plot: ${e instanceof Error ? e.message : e}`);
      code = 2;
    }
  }
  return code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
