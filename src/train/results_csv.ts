/**
 * The results CSV: one row per finished run, with the seed's columns.
 * @module
 */
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";
import { writeFileAtomic } from "../io/atomic.ts";
import { withFileLock } from "../io/lock.ts";

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

/** Throws (naming the file) unless `text` starts with the seed's header. */
function checkHeader(path: string, text: string): void {
  let header: string[] = [];
  try {
    header = (parse(text.split("\n")[0], { relaxColumnCount: true }) as string[][])[0] ?? [];
  } catch { /* not CSV at all: reported as other columns */ }
  if (header.join(",") !== RESULT_COLUMNS.join(",")) {
    throw new Error(`results file ${path} has other columns (${header.slice(0, 3).join(", ")}, ...)`);
  }
}

/**
 * Checks, before a run starts, that a row can be appended to `path` at its end: an existing file
 * must have the seed's columns (a directory there is refused too). Throws an Error naming the file.
 */
export async function checkResultsFile(path: string): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw new Error(`results file ${path} cannot be read (${(e as Error).message.split("\n")[0]})`);
  }
  if (text) checkHeader(path, text);
}

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
      checkHeader(path, text);
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
