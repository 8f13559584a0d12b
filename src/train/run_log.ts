/**
 * A run directory's logs: the configuration, a JSONL stream of per-epoch metrics and per-step
 * decisions, and the final summary.
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";

/** Appends JSON lines to `<dir>/log.jsonl`; lines are buffered and written per flush. */
export class JsonlLog {
  #pending: string[] = [];
  constructor(readonly path: string) {}

  /** Queues one record. */
  add(record: Record<string, unknown>): void {
    this.#pending.push(JSON.stringify(record));
  }

  /** Appends queued records in one write (each record is a whole line). */
  async flush(): Promise<void> {
    if (!this.#pending.length) return;
    const text = this.#pending.join("\n") + "\n";
    this.#pending = [];
    await Deno.writeTextFile(this.path, text, { append: true, create: true });
  }

  /** Drops lines past the first `keep` records: used when resuming from an earlier checkpoint. */
  async truncateAfter(predicate: (r: Record<string, unknown>) => boolean): Promise<void> {
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
