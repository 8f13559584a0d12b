/**
 * An x-y chart as a standalone SVG: title, axes with nice ticks and a light grid, series drawn
 * as lines and/or markers, a rug of markers along the bottom edge for events without a y value,
 * horizontal reference lines, point labels kept from overlapping, and a legend to the right of
 * the plot (outside it, so it never hides data).
 *
 * Every marker of a series carries the series' `className`, so a reader (or a test) can count
 * the events drawn, e.g. the steps where a criterion fired.
 *
 * @module
 */
import { type Attrs, el, num, PALETTE, polylinePath, svgDocument, text } from "./svg.ts";
import { decimate, type Domain, extent, formatTick, linear, niceTicks } from "./scale.ts";

/** Marker shapes; `tick` is a short vertical stroke (used for rugs). */
export type MarkerShape = "circle" | "square" | "triangle" | "diamond" | "cross" | "tick";

/** One series of a chart. */
export interface Series {
  /** Legend text. */
  name: string;
  /** Data points [x, y]; non-finite ones are skipped. Sorted by x for lines. */
  points: readonly (readonly [number, number])[];
  /** Stroke/fill colour; default: the palette colour of the series' index. */
  color?: string;
  /** Draw a line through the points (default true, false for a rug). */
  line?: boolean;
  /** SVG `stroke-dasharray` of the line, e.g. "5 3". */
  dash?: string;
  /** Marker at each point (default none for lines, circle otherwise). */
  marker?: MarkerShape | null;
  /** Marker radius in pixels (default 3). */
  markerSize?: number;
  /** `class` of every marker element. */
  className?: string;
  /** Draw the markers along the bottom edge of the plot at their x, ignoring y. */
  rug?: boolean;
  /** Leave the series out of the legend. */
  hideInLegend?: boolean;
}

/** A horizontal reference line across the plot. */
export interface HLine {
  y: number;
  label?: string;
  color?: string;
  dash?: string;
}

/** Text placed next to a data point. */
export interface PointLabel {
  x: number;
  y: number;
  text: string;
  color?: string;
}

/** What {@link chart} draws. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Fixed or minimum domains; by default the data's extents, widened to nice ticks. */
  xDomain?: Domain;
  yDomain?: Domain;
  /** Whole-number x ticks (epochs, iterations). */
  xInteger?: boolean;
  hLines?: readonly HLine[];
  labels?: readonly PointLabel[];
  /** A line of small print under the title (e.g. what the markers mean). */
  subtitle?: string;
  /** Points per line above which lines are thinned (min/max per bucket); default 2000. */
  maxLinePoints?: number;
  /** Markers per series above which they are drawn as one path instead of elements; default 5000. */
  maxMarkerElements?: number;
}

/** Approximate width in pixels of `s` at the 12 px font (no font metrics without a DOM). */
export function textWidth(s: string, size = 12): number {
  return s.length * size * 0.56;
}

function markerMarkup(shape: MarkerShape, x: number, y: number, r: number, attrs: Attrs): string {
  switch (shape) {
    case "circle":
      return el("circle", { cx: x, cy: y, r, ...attrs });
    case "square":
      return el("rect", { x: x - r, y: y - r, width: 2 * r, height: 2 * r, ...attrs });
    case "triangle":
      return el("path", {
        d: `M${num(x)} ${num(y - r)}L${num(x + r)} ${num(y + r)}L${num(x - r)} ${num(y + r)}Z`,
        ...attrs,
      });
    case "diamond":
      return el("path", {
        d: `M${num(x)} ${num(y - r)}L${num(x + r)} ${num(y)}L${num(x)} ${num(y + r)}L${num(x - r)} ${
          num(y)
        }Z`,
        ...attrs,
      });
    case "cross":
      return el("path", {
        d: `M${num(x - r)} ${num(y - r)}L${num(x + r)} ${num(y + r)}M${num(x - r)} ${num(y + r)}L${
          num(x + r)
        } ${num(y - r)}`,
        ...attrs,
        fill: "none",
        "stroke-width": 1.5,
      });
    case "tick":
      return el("path", { d: `M${num(x)} ${num(y - r)}L${num(x)} ${num(y + r)}`, ...attrs, fill: "none" });
  }
}

interface Box {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function overlaps(a: Box, b: Box): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/**
 * Places point labels: for each (top to bottom) the first candidate position, right of the point,
 * left of it, then right or left at growing vertical offsets, whose box stays inside the plot and
 * covers no earlier label and no data point. A label moved off its point gets a leader line.
 */
function placeLabels(
  labels: readonly { px: number; py: number; text: string; color: string }[],
  points: readonly (readonly [number, number])[],
  plot: Box,
): string[] {
  const lineHeight = 13, gap = 7, r = 5;
  const obstacles: Box[] = points.map(([x, y]) => ({ x0: x - r, x1: x + r, y0: y - r, y1: y + r }));
  const out: string[] = [];
  for (const l of [...labels].sort((a, b) => a.py - b.py)) {
    const w = textWidth(l.text, 11);
    const candidates: { leftward: boolean; dy: number }[] = [];
    for (let k = 0; k <= 12; k++) {
      for (const dy of k ? [k * lineHeight, -k * lineHeight] : [0]) {
        candidates.push({ leftward: false, dy }, { leftward: true, dy });
      }
    }
    const boxOf = (c: { leftward: boolean; dy: number }): Box => {
      const x0 = c.leftward ? l.px - gap - w : l.px + gap, y = l.py + 4 + c.dy;
      return { x0, x1: x0 + w, y0: y - 10, y1: y + 2 };
    };
    const inside = (b: Box) => b.x0 >= plot.x0 && b.x1 <= plot.x1 && b.y0 >= plot.y0 && b.y1 <= plot.y1;
    const choice = candidates.find((c) => {
      const b = boxOf(c);
      return inside(b) && !obstacles.some((o) => overlaps(o, b));
    }) ?? { leftward: l.px + gap + w > plot.x1, dy: 0 };
    const box = boxOf(choice);
    obstacles.push(box);
    const y = box.y1 - 2;
    if (choice.dy !== 0) {
      out.push(el("path", {
        d: `M${num(l.px)} ${num(l.py)}L${num(choice.leftward ? box.x1 : box.x0)} ${num(y - 4)}`,
        stroke: "#999999",
        "stroke-width": 0.7,
        fill: "none",
      }));
    }
    out.push(el("text", {
      x: choice.leftward ? box.x1 : box.x0,
      y,
      "font-size": 11,
      fill: l.color,
      "text-anchor": choice.leftward ? "end" : "start",
    }, text(l.text)));
  }
  return out;
}

/** Draws the chart; returns a standalone SVG document. See the module documentation. */
export function chart(o: ChartOptions): string {
  const width = o.width ?? 640, height = o.height ?? 360;
  const maxLine = o.maxLinePoints ?? 2000, maxMarkers = o.maxMarkerElements ?? 5000;
  const series = o.series.map((s, i) => ({
    ...s,
    color: s.color ?? PALETTE[i % PALETTE.length],
    line: s.line ?? !s.rug,
    points: s.points.filter(([x, y]) => Number.isFinite(x) && (s.rug || Number.isFinite(y))),
  }));
  const legend = series.filter((s) => !s.hideInLegend);
  const legendWidth = legend.length ? Math.max(...legend.map((s) => textWidth(s.name))) + 44 : 0;
  const m = { top: o.subtitle ? 48 : 34, right: 16 + legendWidth, bottom: 44, left: 64 };
  const x0 = m.left, x1 = width - m.right, y0 = m.top, y1 = height - m.bottom;

  const xs = extent([
    ...series.flatMap((s) => s.points.map((p) => p[0])),
    ...(o.labels ?? []).map((l) => l.x),
  ]);
  const ys = extent([
    ...series.filter((s) => !s.rug).flatMap((s) => s.points.map((p) => p[1])),
    ...(o.hLines ?? []).map((h) => h.y),
    ...(o.labels ?? []).map((l) => l.y),
  ]);
  const widen = (d: Domain | null, fixed?: Domain): Domain =>
    fixed ? [Math.min(fixed[0], d?.[0] ?? fixed[0]), Math.max(fixed[1], d?.[1] ?? fixed[1])] : d ?? [0, 1];
  const xt = niceTicks(widen(xs, o.xDomain), Math.max(2, Math.round((x1 - x0) / 90)), o.xInteger);
  const yt = niceTicks(widen(ys, o.yDomain), Math.max(2, Math.round((y1 - y0) / 50)));
  const sx = linear(xt.domain, [x0, x1]), sy = linear(yt.domain, [y1, y0]);

  const parts: string[] = [];
  parts.push(
    el(
      "text",
      { x: width / 2, y: 20, "text-anchor": "middle", "font-size": 14, "font-weight": "bold" },
      text(o.title),
    ),
  );
  if (o.subtitle) {
    parts.push(
      el(
        "text",
        { x: width / 2, y: 36, "text-anchor": "middle", "font-size": 11, fill: "#555555" },
        text(o.subtitle),
      ),
    );
  }

  // Grid and ticks.
  const grid: string[] = [], labels: string[] = [];
  for (const v of xt.values) {
    const x = sx(v);
    grid.push(`M${num(x)} ${num(y0)}V${num(y1)}`);
    labels.push(el("text", { x, y: y1 + 16, "text-anchor": "middle" }, text(formatTick(v, xt.step))));
  }
  for (const v of yt.values) {
    const y = sy(v);
    grid.push(`M${num(x0)} ${num(y)}H${num(x1)}`);
    labels.push(el("text", { x: x0 - 6, y: y + 4, "text-anchor": "end" }, text(formatTick(v, yt.step))));
  }
  parts.push(el("path", { d: grid.join(""), stroke: "#e5e5e5", "stroke-width": 1, fill: "none" }));
  parts.push(
    el("path", { d: `M${num(x0)} ${num(y0)}V${num(y1)}H${num(x1)}`, stroke: "#333333", fill: "none" }),
  );
  parts.push(el("g", { class: "ticks", fill: "#333333" }, labels));
  parts.push(el("text", { x: (x0 + x1) / 2, y: height - 8, "text-anchor": "middle" }, text(o.xLabel)));
  parts.push(el("text", {
    x: 14,
    y: (y0 + y1) / 2,
    "text-anchor": "middle",
    transform: `rotate(-90 14 ${num((y0 + y1) / 2)})`,
  }, text(o.yLabel)));

  for (const h of o.hLines ?? []) {
    const y = sy(h.y), color = h.color ?? "#666666";
    parts.push(
      el("path", {
        d: `M${num(x0)} ${num(y)}H${num(x1)}`,
        stroke: color,
        "stroke-dasharray": h.dash ?? "4 3",
        fill: "none",
      }),
    );
    if (h.label) {
      parts.push(
        el(
          "text",
          { x: x1 - 4, y: y - 4, "text-anchor": "end", "font-size": 11, fill: color },
          text(h.label),
        ),
      );
    }
  }

  // Lines first, then markers, so markers stay visible on top of every line.
  for (const s of series) {
    if (!s.line || s.points.length < 2) continue;
    const pts = decimate(s.points, maxLine).map(([x, y]) => [sx(x), sy(y)] as [number, number]);
    parts.push(el("path", {
      d: polylinePath(pts),
      stroke: s.color,
      "stroke-width": 1.5,
      "stroke-dasharray": s.dash,
      fill: "none",
      "stroke-linejoin": "round",
    }));
  }
  for (const s of series) {
    const shape = s.marker === undefined ? (s.rug ? "tick" : s.line ? null : "circle") : s.marker;
    if (!shape || !s.points.length) continue;
    const r = s.markerSize ?? (shape === "tick" ? 5 : 3);
    const at = (p: readonly [number, number]): [number, number] => [sx(p[0]), s.rug ? y1 - r - 1 : sy(p[1])];
    const style: Attrs = shape === "tick" || shape === "cross"
      ? { stroke: s.color, fill: "none" }
      : { fill: s.color, stroke: "#ffffff", "stroke-width": 0.5 };
    if (s.points.length > maxMarkers) {
      // Tens of thousands of elements make a page slow: one path of short strokes instead.
      const d = s.points.map((p) => {
        const [x, y] = at(p);
        return `M${num(x)} ${num(y - r)}v${num(2 * r)}`;
      }).join("");
      parts.push(
        el("path", {
          d,
          stroke: s.color,
          fill: "none",
          class: s.className ? `${s.className}-many` : undefined,
        }),
      );
    } else {
      parts.push(el(
        "g",
        style,
        s.points.map((p) => {
          const [x, y] = at(p);
          return markerMarkup(shape, x, y, r, { class: s.className });
        }),
      ));
    }
  }

  if (o.labels?.length) {
    parts.push(el(
      "g",
      { class: "labels" },
      placeLabels(
        o.labels.map((l) => ({ px: sx(l.x), py: sy(l.y), text: l.text, color: l.color ?? "#333333" })),
        series.filter((s) => !s.rug).flatMap((s) => s.points.map(([x, y]) => [sx(x), sy(y)] as const)),
        { x0, x1, y0, y1 },
      ),
    ));
  }

  // Legend, right of the plot.
  const lx = x1 + 14;
  const entries = legend.map((s, i) => {
    const y = y0 + 8 + i * 18;
    const shape = s.marker === undefined ? (s.rug ? "tick" : s.line ? null : "circle") : s.marker;
    const sample: string[] = [];
    if (s.line) {
      sample.push(
        el("path", {
          d: `M${num(lx)} ${num(y)}h22`,
          stroke: s.color,
          "stroke-width": 2,
          "stroke-dasharray": s.dash,
          fill: "none",
        }),
      );
    }
    if (shape) {
      const style: Attrs = shape === "tick" || shape === "cross"
        ? { stroke: s.color, fill: "none" }
        : { fill: s.color };
      sample.push(markerMarkup(shape, lx + 11, y, shape === "tick" ? 5 : 3.5, style));
    }
    return sample.join("") + el("text", { x: lx + 28, y: y + 4 }, text(s.name));
  });
  if (entries.length) parts.push(el("g", { class: "legend" }, entries));

  return svgDocument(width, height, parts, o.title);
}
