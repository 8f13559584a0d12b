/**
 * The results CSV: one row per finished run, with the seed's columns.
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";
import { withFileLock, writeFileAtomic } from "../io/atomic.ts";

/** Column names and order of the results CSV, exactly as the seed writes them. */
export const RESULT_COLUMNS = [
  "optimizer",
  "hyperparameters",
  "criterion",
  "crt_parameter",
  "top-1 test acc",
  "overfitting indicator",
  "l1",
  "l5",
  "l1/l5",
  "fwp_overhead",
  "bwp_overhead",
  "images/s",
  "runtime",
  "max_allocated_memory",
  "max_reserved_memory",
  "epochs",
  "exclusive_run",
] as const;

/** One row: every column, as strings or numbers (empty string where not measured). */
export type ResultRow = Record<(typeof RESULT_COLUMNS)[number], string | number | boolean>;

/**
 * Appends `row` to the CSV at `path` (creating it with a header). Concurrent runs take
 * turns through a lock file and each writes the whole file to a temporary and renames it,
 * so the CSV is never corrupted or half-written. An existing file whose header differs is
 * refused rather than mixed.
 */
export async function appendResult(path: string, row: ResultRow): Promise<void> {
  await withFileLock(path, async () => {
    let text = "";
    try {
      text = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (text) {
      const header = (parse(text.split("\n")[0], { relaxColumnCount: true }) as string[][])[0] ?? [];
      if (header.join(",") !== RESULT_COLUMNS.join(",")) {
        throw new Error(`results file ${path} has other columns (${header.slice(0, 3).join(", ")}, ...)`);
      }
      if (!text.endsWith("\n")) text += "\n";
    } else {
      text = stringify([RESULT_COLUMNS as unknown as string[]]);
    }
    text += stringify([RESULT_COLUMNS.map((c) => row[c])]);
    await writeFileAtomic(path, text);
  });
}

/**
 * Appends `text` to the file at `path` (created if missing), as {@link appendResult} does: under
 * the file's lock, the whole new file written to a temporary and renamed, never half-written.
 */
export async function appendText(path: string, text: string): Promise<void> {
  await withFileLock(path, async () => {
    let old = "";
    try {
      old = await Deno.readTextFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    await writeFileAtomic(path, old + text);
  });
}

/** Reads a results CSV back as rows of strings keyed by column. */
export async function readResults(path: string): Promise<Record<string, string>[]> {
  return parse(await Deno.readTextFile(path), { columns: true }) as Record<string, string>[];
}
