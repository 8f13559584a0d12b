/**
 * Axis arithmetic: data extents, "nice" tick positions (1, 2, 5 times a power of ten), linear
 * maps from data to pixels, tick labels, and min-max decimation of long series.
 *
 * @module
 */

/** A closed interval [lo, hi]. */
export type Domain = readonly [number, number];

/** The extent of the finite values, or null when there are none. */
export function extent(values: Iterable<number>): Domain | null {
  let lo = Infinity, hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Ticks of an axis: the (widened) domain they span and the tick values. */
export interface Ticks {
  domain: Domain;
  values: number[];
  step: number;
}

/** The 1-2-5 step nearest to `span / count`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

/**
 * About `count` ticks covering `d`, the domain widened to whole steps. A zero-width domain is
 * widened first (a run of one epoch, a constant metric), so every axis has a span. With
 * `integer` (epochs, iterations) the step is a whole number.
 */
export function niceTicks(d: Domain, count = 5, integer = false): Ticks {
  let [lo, hi] = d;
  if (!(hi > lo)) {
    const pad = integer || lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = integer ? Math.max(1, niceStep(hi - lo, count)) : niceStep(hi - lo, count);
  // Rounding guards: 0.30000000000000004 must not push a tick past the domain.
  const eps = step * 1e-9;
  const start = Math.floor((lo + eps) / step) * step, end = Math.ceil((hi - eps) / step) * step;
  const values: number[] = [];
  for (let v = start; v <= end + eps; v += step) values.push(Math.abs(v) < eps ? 0 : v);
  return { domain: [start, end], values, step };
}

/** A linear map from `d` onto the pixel range `r` (which may be reversed, as for y). */
export function linear(d: Domain, r: Domain): (x: number) => number {
  const span = d[1] - d[0] || 1;
  return (x) => r[0] + ((x - d[0]) / span) * (r[1] - r[0]);
}

/** A tick label with as many decimals as the step needs (and k/M for large integers). */
export function formatTick(v: number, step: number): string {
  if (Math.abs(v) >= 1e6 && step >= 1e5) return `${trim((v / 1e6).toFixed(step >= 1e6 ? 0 : 1))}M`;
  if (Math.abs(v) >= 1e4 && step >= 1e3) return `${trim((v / 1e3).toFixed(step >= 1e3 ? 0 : 1))}k`;
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return (Math.abs(v) < step * 1e-6 ? 0 : v).toFixed(decimals);
}

function trim(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/**
 * Thins a series sorted by x to at most about `max` points: the points are cut into buckets of
 * equal count and each bucket keeps its lowest and highest point (in x order), so spikes, such
 * as a large gradient norm, survive where averaging would flatten them.
 */
export function decimate(points: readonly (readonly [number, number])[], max: number): [number, number][] {
  if (points.length <= max) return points.map(([x, y]) => [x, y]);
  const buckets = Math.max(1, Math.floor(max / 2));
  const size = points.length / buckets;
  const out: [number, number][] = [];
  for (let b = 0; b < buckets; b++) {
    const from = Math.floor(b * size), to = Math.min(points.length, Math.floor((b + 1) * size));
    let lo = from, hi = from;
    for (let i = from; i < to; i++) {
      if (points[i][1] < points[lo][1]) lo = i;
      if (points[i][1] > points[hi][1]) hi = i;
    }
    for (const i of lo === hi ? [lo] : lo < hi ? [lo, hi] : [hi, lo]) out.push([points[i][0], points[i][1]]);
  }
  return out;
}
