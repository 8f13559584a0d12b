/**
 * The sweep report: the results CSV aggregated over seeds, one row per configuration, as the
 * seed's experiment tables (mean and standard deviation of top-1, bwp overhead, wall time and its
 * ratio to SGD's), and the accuracy-against-overhead plot with one-standard-deviation error bars.
 *
 * The CSV has no seed column (the seed's own columns), so rows whose optimizer, hyperparameters,
 * criterion, criterion parameters and epochs agree are one configuration, its rows its seeds.
 * @module
 */
import { chart, type PointLabel, type Series } from "../plot/chart.ts";
import { configLabel } from "../plot/results_plot.ts";
import { el, escapeXml, PALETTE, text } from "../plot/svg.ts";

/** One configuration over its seeds. */
export interface ConfigSummary {
  label: string;
  optimizer: string;
  epochs: string;
  n: number;
  accMean: number;
  /** Sample standard deviation (n - 1); 0 for a single run. */
  accStd: number;
  /** Mean bwp overhead (inner backward passes per step). */
  bwpMean: number;
  /** Mean training time in minutes (the CSV's `runtime`, as the seed writes it). */
  runtimeMean: number;
  /** Mean runtime over the mean runtime of the first SGD configuration; NaN without one. */
  runtimeRatio: number;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

/** Groups results rows by configuration (first-seen order) and summarises each. */
export function summarize(rows: readonly Record<string, string>[]): ConfigSummary[] {
  const groups = new Map<string, Record<string, string>[]>();
  for (const r of rows) {
    const key = [r.optimizer, r.hyperparameters, r.criterion, r.crt_parameter, r.epochs].join("\u0000");
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out = [...groups.values()].map((g): ConfigSummary => {
    const acc = g.map((r) => Number(r["top-1 test acc"]));
    return {
      label: configLabel(g[0]) + (g[0].hyperparameters ? ` ${g[0].hyperparameters}` : ""),
      optimizer: g[0].optimizer,
      epochs: g[0].epochs,
      n: g.length,
      accMean: mean(acc),
      accStd: std(acc),
      bwpMean: mean(g.map((r) => Number(r.bwp_overhead))),
      runtimeMean: mean(g.map((r) => Number(r.runtime))),
      runtimeRatio: NaN,
    };
  });
  const sgd = out.find((c) => c.optimizer === "sgd");
  for (const c of out) c.runtimeRatio = sgd ? c.runtimeMean / sgd.runtimeMean : NaN;
  return out;
}

const HEADER = [
  "configuration",
  "seeds",
  "top-1 mean",
  "top-1 std",
  "bwp overhead",
  "wall time (min)",
  "time / SGD",
];

function cells(c: ConfigSummary): string[] {
  return [
    c.label,
    String(c.n),
    c.accMean.toFixed(2),
    c.accStd.toFixed(2),
    c.bwpMean.toFixed(3),
    c.runtimeMean.toFixed(2),
    Number.isFinite(c.runtimeRatio) ? `${c.runtimeRatio.toFixed(2)}x` : "-",
  ];
}

/** The table as Markdown (also readable as text). */
export function reportTable(summary: readonly ConfigSummary[]): string {
  const rows = [HEADER, ...summary.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 ? "-".repeat(w) : "-".repeat(w - 1) + ":")).join(" | ")} |`;
  return [line(HEADER), rule, ...summary.map((c) => line(cells(c)))].join("\n") + "\n";
}

/** Accuracy (mean, with +-1 std error bars) against bwp overhead, one marker per configuration. */
export function reportChart(
  summary: readonly ConfigSummary[],
  title = "Accuracy against cost, over seeds",
): string {
  const optimizers = [...new Set(summary.map((c) => c.optimizer))];
  const colour = (c: ConfigSummary) => PALETTE[optimizers.indexOf(c.optimizer) % PALETTE.length];
  const shapes = ["circle", "square", "triangle", "diamond"] as const;
  const series: Series[] = [];
  optimizers.forEach((opt, i) => {
    series.push({
      name: opt,
      points: summary.filter((c) => c.optimizer === opt).map((c) => [c.bwpMean, c.accMean]),
      line: false,
      marker: shapes[i % shapes.length],
      markerSize: 4.5,
      color: PALETTE[i % PALETTE.length],
      className: "config",
    });
  });
  // Error bars as two-point vertical lines: the chart draws lines through points sorted by x.
  for (const c of summary) {
    if (c.accStd > 0) {
      series.push({
        name: `${c.label} std`,
        points: [[c.bwpMean, c.accMean - c.accStd], [c.bwpMean, c.accMean + c.accStd]],
        color: colour(c),
        hideInLegend: true,
      });
    }
  }
  const labels: PointLabel[] = summary.map((c) => ({
    x: c.bwpMean,
    y: c.accMean,
    text: `${c.label} (n=${c.n})`,
    color: colour(c),
  }));
  return chart({
    title,
    subtitle:
      "mean max top-1 over seeds, bars +-1 standard deviation; bwp overhead = backward passes per step / SGD's",
    xLabel: "bwp overhead (1 = SGD, 2 = SAM)",
    yLabel: "max top-1 test accuracy (%)",
    series,
    labels,
    xDomain: [0.9, 2.1],
    width: 880,
    height: 500,
  });
}

/** A self-contained HTML page: the table and the plot inline (XHTML-compatible markup). */
export function reportHtml(summary: readonly ConfigSummary[], source: string): string {
  const rows = [
    el("tr", {}, HEADER.map((h) => el("th", {}, text(h)))),
    ...summary.map((c) => el("tr", {}, cells(c).map((v) => el("td", {}, text(v))))),
  ];
  const style = "body{font-family:Helvetica,Arial,sans-serif;margin:24px}table{border-collapse:collapse}" +
    "th,td{padding:2px 12px 2px 0;font-size:13px;text-align:right}th:first-child,td:first-child{text-align:left}";
  return "<!DOCTYPE html>\n" + el("html", { xmlns: "http://www.w3.org/1999/xhtml", lang: "en" }, [
    el("head", {}, [
      el("meta", { charset: "utf-8" }),
      el("title", {}, text(`samwise report ${source}`)),
      el("style", {}, escapeXml(style)),
    ]),
    el("body", {}, [
      el("h1", {}, text(`Report: ${source}`)),
      el("table", {}, rows),
      reportChart(summary).trimEnd(),
    ]),
  ]) + "\n";
}
