/**
 * A per-epoch progress bar on stderr: images/s, loss, ETA. On a terminal it redraws one
 * line; otherwise (CI, redirected output) it prints a plain line every `plainEvery` steps.
 * @module
 */

/** Formats seconds as m:ss or h:mm:ss. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(sec).padStart(2, "0")}`;
}

/** Progress of one epoch. */
export class ProgressBar {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #t0 = performance.now();
  #lastPlain = 0;

  constructor(
    readonly label: string,
    readonly total: number,
    readonly plainEvery = 50,
  ) {}

  /** Reports `done` of `total` steps after `images` images, with the latest known loss. */
  update(done: number, images: number, loss: number | null): void {
    const s = (performance.now() - this.#t0) / 1000;
    const ips = images / Math.max(s, 1e-9);
    const eta = (s / Math.max(done, 1)) * (this.total - done);
    const lossText = loss === null ? "-" : loss.toFixed(4);
    const stats = `${done}/${this.total} ${ips.toFixed(1)} img/s loss ${lossText} ETA ${formatDuration(eta)}`;
    if (this.#tty) {
      const width = 24, filled = Math.round((width * done) / Math.max(this.total, 1));
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      Deno.stderr.writeSync(new TextEncoder().encode(`\r${this.label} [${bar}] ${stats}\x1b[K`));
    } else if (done - this.#lastPlain >= this.plainEvery || done === this.total) {
      this.#lastPlain = done;
      Deno.stderr.writeSync(new TextEncoder().encode(`${this.label} ${stats}\n`));
    }
  }

  /** Ends the bar's line on a terminal. */
  done(): void {
    if (this.#tty) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
}
