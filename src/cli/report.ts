/**
 * `deno task report RESULTS.csv`: prints one row per configuration over its seeds (mean and std of
 * top-1, bwp overhead, wall time and its ratio to SGD's) and writes `RESULTS.report.svg` and
 * `RESULTS.report.html` (self-contained) next to the CSV. Bad input: one line, exit code 2.
 * @module
 */
import { readResults, RESULT_COLUMNS } from "../train/results_csv.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { reportChart, reportHtml, reportTable, summarize } from "../sweep/report.ts";

/** Runs the report CLI; returns the exit code. */
export async function main(argv: string[], out: (l: string) => void = console.log): Promise<number> {
  const fail = (m: string) => (console.error(`samwise report: ${m}`), 2);
  if (argv.length !== 1 || argv[0].startsWith("-")) return fail("expected one argument: a results CSV file");
  const path = argv[0];
  let rows: Record<string, string>[];
  try {
    rows = await readResults(path);
  } catch (e) {
    return fail(
      `${path}: ${e instanceof Deno.errors.NotFound ? "no such file" : (e as Error).message.split("\n")[0]}`,
    );
  }
  const missing = RESULT_COLUMNS.filter((c) => rows.length && !(c in rows[0]));
  if (missing.length) return fail(`${path}: not a samwise results CSV (no column ${missing[0]})`);
  if (rows.length === 0) return fail(`${path}: no result rows yet`);
  const summary = summarize(rows);
  out(reportTable(summary).trimEnd());
  const stem = path.replace(/\.csv$/i, "");
  await writeFileAtomic(`${stem}.report.svg`, reportChart(summary));
  await writeFileAtomic(`${stem}.report.html`, reportHtml(summary, path));
  out(`plot: ${stem}.report.svg, page: ${stem}.report.html`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
