/**
 * Shared helpers for `deno bench` files: GPU setup and a throughput report printed at exit.
 *
 * `deno bench` reports time per iteration; researchers want GFLOP/s and images/s, so each
 * bench registers what one iteration does and the table is printed when the process ends.
 * @module
 */
import { init, runtime } from "../mod.ts";

await init();

interface Row {
  name: string;
  unit: string;
  work: number;
  samples: number[];
}
const rows = new Map<string, Row>();

/**
 * Registers a GPU benchmark: `body` records work for one iteration; the iteration ends when
 * the GPU has finished it (one fence, included in the time, as in a training loop's sync).
 * `work` is the amount done per iteration in `unit`s (e.g. FLOP for "GFLOP/s" scaled by 1e9).
 */
export function gpuBench(
  name: string,
  opts: { group?: string; baseline?: boolean; unit?: string; work?: number; n?: number },
  body: () => void | Promise<void>,
): void {
  const row: Row = { name, unit: opts.unit ?? "", work: opts.work ?? 0, samples: [] };
  rows.set(name, row);
  let warmed = false;
  Deno.bench({
    name,
    group: opts.group,
    baseline: opts.baseline,
    n: opts.n,
    async fn(b) {
      if (!warmed) { // compile pipelines and fill the buffer pool outside the timed region
        await body();
        await runtime().sync();
        warmed = true;
      }
      b.start();
      const t0 = performance.now();
      await body();
      await runtime().sync();
      row.samples.push(performance.now() - t0);
      b.end();
    },
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

globalThis.addEventListener("unload", () => {
  const lines = [`\nsamwise throughput on ${runtime().adapterName}`];
  for (const r of rows.values()) {
    if (!r.samples.length) continue;
    const ms = median(r.samples);
    const rate = r.work ? `  ${(r.work / (ms / 1000)).toFixed(2)} ${r.unit}` : "";
    lines.push(`  ${r.name.padEnd(44)} ${ms.toFixed(2).padStart(9)} ms/iter${rate}`);
  }
  console.log(lines.join("\n"));
});
