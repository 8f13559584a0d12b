/**
 * The results CSV as one scatter plot: top-1 test accuracy against backward-pass overhead
 * (bwp: 1 for SGD, 2 for SAM), one point per row, coloured by optimizer and labelled by
 * configuration (optimizer, criterion, criterion parameters). The cheap-SAM goal is a point up
 * and to the left: SAM's accuracy at an overhead near 1.
 *
 * @module
 */
import { readResults } from "../train/results_csv.ts";
import { parseOptSpec } from "../plugins/opt_spec.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { chart, type PointLabel, type Series } from "./chart.ts";
import { PALETTE } from "./svg.ts";

/** The class of every point of the results plot. */
export const POINT_CLASS = "result";

/** One row of the results CSV, as the plot uses it. */
export interface ResultPoint {
  label: string;
  optimizer: string;
  bwp: number;
  acc: number;
}

/**
 * The configuration a row was trained with, e.g. "vassoremu-sgd gSAMflat (z=1.5)". A plain
 * optimizer's criterion (`baseline` as the seed writes it, `none` in older samwise files) is left out.
 */
export function configLabel(row: Record<string, string>): string {
  const parts = [row.optimizer || "?"];
  const plain = isPlainOptimizer(row.optimizer ?? "");
  if (row.criterion && row.criterion !== "none" && !(plain && row.criterion === "baseline")) {
    parts.push(row.criterion);
  }
  if (row.crt_parameter && row.crt_parameter !== "none") parts.push(`(${row.crt_parameter})`);
  return parts.join(" ");
}

/** Whether a row's `optimizer` cell is a plain base optimizer (empty: yes; unparsable: no). */
function isPlainOptimizer(opt: string): boolean {
  if (!opt) return true;
  try {
    return parseOptSpec(opt).variant === null;
  } catch {
    return false;
  }
}

/** The rows with a numeric accuracy and bwp overhead (others, e.g. hand-edited rows, are dropped). */
export function resultPoints(rows: readonly Record<string, string>[]): ResultPoint[] {
  return rows.map((r) => ({
    label: configLabel(r),
    optimizer: r.optimizer || "?",
    bwp: Number(r.bwp_overhead),
    acc: Number(r["top-1 test acc"]),
  })).filter((p) => Number.isFinite(p.acc) && Number.isFinite(p.bwp) && p.bwp > 0);
}

/**
 * The scatter plot as an SVG document: one series (colour, marker shape) per optimizer, one
 * point per row, each configuration labelled once ("x n" when it was run n times).
 */
export function resultsChart(
  rows: readonly Record<string, string>[],
  title = "Accuracy against cost",
): string {
  const points = resultPoints(rows);
  const optimizers = [...new Set(points.map((p) => p.optimizer))];
  const shapes = ["circle", "square", "triangle", "diamond"] as const;
  const series: Series[] = optimizers.map((opt, i) => ({
    name: opt,
    points: points.filter((p) => p.optimizer === opt).map((p) => [p.bwp, p.acc]),
    line: false,
    marker: shapes[i % shapes.length],
    markerSize: 4.5,
    color: PALETTE[i % PALETTE.length],
    className: POINT_CLASS,
  }));
  const counts = new Map<string, number>();
  for (const p of points) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  const labels: PointLabel[] = [];
  const labelled = new Set<string>();
  for (const p of points) {
    if (labelled.has(p.label)) continue;
    labelled.add(p.label);
    const n = counts.get(p.label)!;
    labels.push({
      x: p.bwp,
      y: p.acc,
      text: n > 1 ? `${p.label} x${n}` : p.label,
      color: PALETTE[optimizers.indexOf(p.optimizer) % PALETTE.length],
    });
  }
  return chart({
    title,
    subtitle: `${points.length} run${
      points.length === 1 ? "" : "s"
    }; bwp overhead = backward passes per step relative to SGD`,
    xLabel: "bwp overhead (1 = SGD, 2 = SAM)",
    yLabel: "max top-1 test accuracy (%)",
    series,
    labels,
    // A little room left of SGD's 1 and right of SAM's 2, so their markers are not cut by the axes.
    xDomain: [0.9, 2.1],
    width: 820,
    height: 480,
  });
}

/** Where {@link writeResultsPlot} writes: the CSV's path with `.svg` for `.csv` (results.svg). */
export function resultsPlotPath(csvPath: string): string {
  return csvPath.replace(/\.csv$/i, "") + ".svg";
}

/** Reads the results CSV at `csvPath` and writes the plot next to it; returns the SVG's path. */
export async function writeResultsPlot(csvPath: string, title?: string): Promise<string> {
  const rows = await readResults(csvPath);
  const path = resultsPlotPath(csvPath);
  await writeFileAtomic(path, resultsChart(rows, title));
  return path;
}
