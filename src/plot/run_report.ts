/**
 * The per-run report: `<runDir>/report.html`, one self-contained page (inline SVG, no scripts)
 * with the run's configuration and results, train/test loss and accuracy per epoch, and the
 * criterion's decision trace: the values it decided on per step with every step that computed a
 * fresh inner gradient marked. Criteria that log nothing (naive, random, schedule) get the fired
 * steps over iterations and the running fraction fired. Plain SGD/AdamW runs have no decision trace.
 *
 * Everything comes from what the run wrote (`src/train/run_log.ts`): the metrics from
 * `log.jsonl`, and from `config.json`'s `plugins` record the criterion, its options and its
 * descriptor's `report.trace` (which metric the decision compares, legend names, thresholds such
 * as gSAM's tau / phi). The report never loads a plugin, so a third-party criterion's report is
 * as complete as a built-in's.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";
import { chart, type HLine, type Series } from "./chart.ts";
import {
  type DecisionTrace,
  type EpochRecord,
  readRun,
  type RunData,
  type RunPlugins,
  STEP_RECORD_KEYS,
  type StepRecord,
} from "../train/run_log.ts";
import { el, escapeXml, text } from "./svg.ts";

/** The `class` of fired-step markers (one element per fired step, unless there are very many). */
export const FIRED_CLASS = "fired";

/** Train and test loss per epoch (1-based on the axis). */
export function lossChart(epochs: readonly EpochRecord[]): string {
  return chart({
    title: "Loss",
    xLabel: "epoch",
    yLabel: "cross-entropy",
    series: [
      { name: "train", points: epochs.map((e) => [e.epoch + 1, e.train_loss]), marker: "circle" },
      { name: "test", points: epochs.map((e) => [e.epoch + 1, e.test_loss]), marker: "square" },
    ],
    width: 480,
    height: 300,
    xInteger: true,
  });
}

/** Train and test top-1 accuracy per epoch. */
export function accuracyChart(epochs: readonly EpochRecord[]): string {
  return chart({
    title: "Top-1 accuracy",
    xLabel: "epoch",
    yLabel: "accuracy (%)",
    series: [
      { name: "train", points: epochs.map((e) => [e.epoch + 1, e.train_acc1]), marker: "circle" },
      { name: "test", points: epochs.map((e) => [e.epoch + 1, e.test_acc1]), marker: "square" },
    ],
    width: 480,
    height: 300,
    xInteger: true,
  });
}

/** The numeric criterion metrics present in the log, in first-seen order. */
export function metricNames(steps: readonly StepRecord[]): string[] {
  const names = new Set<string>();
  for (const s of steps) {
    for (const [k, v] of Object.entries(s)) {
      if (!STEP_RECORD_KEYS.has(k) && typeof v === "number") names.add(k);
    }
  }
  return [...names];
}

function optim(config: Record<string, unknown>): Record<string, unknown> {
  return (config.optim ?? {}) as Record<string, unknown>;
}

/** The `plugins` record of `config.json`, or null for a run written before samwise recorded it. */
function plugins(config: Record<string, unknown>): RunPlugins | null {
  return (config.plugins ?? null) as RunPlugins | null;
}

/** The reference lines of a trace: metric-scaled lines as series, constant ones as hLines. */
function traceLines(
  trace: DecisionTrace,
  steps: readonly StepRecord[],
): { series: Series[]; hLines: HLine[] } {
  const series: Series[] = [], hLines: HLine[] = [];
  for (const line of trace.lines ?? []) {
    if (line.metric !== undefined) {
      const m = line.metric, scale = line.scale ?? 1;
      series.push({
        name: line.label,
        points: steps.filter((s) => typeof s[m] === "number").map((
          s,
        ) => [s.iteration, (s[m] as number) * scale]),
        dash: line.dash ?? "5 3",
        color: "#888888",
      });
    } else if (line.y !== undefined && Number.isFinite(line.y)) {
      hLines.push({ y: line.y, label: line.label });
    }
  }
  return { series, hLines };
}

/**
 * The decision trace over iterations, or null for a run without SAM-family steps. Every fired
 * step gets one marker of class {@link FIRED_CLASS}: on the decision metric's curve when the step
 * logged it, otherwise (warm-up steps, criteria without metrics) on a rug along the bottom.
 */
export function decisionChart(
  steps: readonly StepRecord[],
  config: Record<string, unknown> = {},
): string | null {
  const sam = steps.filter((s) => s.sam);
  if (!sam.length) return null;
  const fired = sam.filter((s) => s.fired);
  const crt = plugins(config)?.criterion ?? String(optim(config).crt ?? "criterion");
  const trace = plugins(config)?.trace ?? {};
  const names = trace.names ?? {};
  const subtitle = `${fired.length} of ${sam.length} SAM steps computed a fresh inner gradient ` +
    `(${(100 * fired.length / sam.length).toFixed(1)}%; ${steps.length - sam.length} plain steps)`;
  const metrics = metricNames(sam);
  const series: Series[] = [];
  const hLines: HLine[] = [];
  let yLabel: string;
  // The metric the markers sit on: the one the rule compares with a threshold (its descriptor says).
  const primary = trace.primary !== undefined && metrics.includes(trace.primary) ? trace.primary : metrics[0];
  if (primary) {
    for (const m of metrics) {
      series.push({
        name: names[m] ?? m,
        points: sam.filter((s) => typeof s[m] === "number").map((s) => [s.iteration, s[m] as number]),
      });
    }
    const lines = traceLines(trace, sam);
    series.push(...lines.series);
    hLines.push(...lines.hLines);
    yLabel = trace.yLabel ?? names[primary] ?? primary;
  } else {
    let n = 0;
    series.push({
      name: "fraction fired so far",
      points: sam.map((s, i) => [s.iteration, (n += s.fired ? 1 : 0) / (i + 1)]),
    });
    yLabel = "fraction of SAM steps fired";
  }
  const onCurve = primary ? fired.filter((s) => typeof s[primary] === "number") : [];
  const onRug = primary ? fired.filter((s) => typeof s[primary] !== "number") : fired;
  if (onCurve.length) {
    series.push({
      name: "fired",
      points: onCurve.map((s) => [s.iteration, s[primary!] as number]),
      line: false,
      marker: "circle",
      color: "#d55e00",
      className: FIRED_CLASS,
    });
  }
  if (onRug.length) {
    series.push({
      name: primary ? "fired (no metric logged)" : "fired",
      points: onRug.map((s) => [s.iteration, 0]),
      rug: true,
      color: "#cc79a7",
      className: FIRED_CLASS,
    });
  }
  return chart({
    title: `Decisions of ${crt}`,
    subtitle,
    xLabel: "iteration",
    yLabel,
    series,
    hLines,
    xInteger: true,
    width: 980,
    height: 360,
    yDomain: primary ? undefined : [0, 1],
  });
}

/** The criterion's own options as "name=value", as the run recorded them ("none" without). */
function criterionParameters(p: RunPlugins | null): string {
  if (!p?.criterion) return "none";
  return Object.entries(p.criterion_options).map(([k, v]) => `${k}=${v}`).join("; ") || "none";
}

function fact(name: string, value: unknown): string {
  return el("tr", {}, [
    el("th", {}, text(name)),
    el("td", {}, text(value === undefined || value === "" ? "-" : String(value))),
  ]);
}

const STYLE = `body{font-family:Helvetica,Arial,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 12px}table{border-collapse:collapse;margin:0 0 16px}
th,td{text-align:left;padding:2px 12px 2px 0;font-size:13px}th{color:#555;font-weight:normal}
.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #ddd}
p.note{color:#555;font-size:13px}`;

/** The report page of a run (XHTML-compatible markup, so it is also well-formed XML). */
export function runReportHtml(run: RunData): string {
  const c = run.config, o = optim(c), s = run.summary, p = plugins(c);
  const name = String(c.output_name ?? run.dir.split("/").filter(Boolean).pop() ?? "run");
  const facts = [
    fact("model", c.model),
    fact("dataset", c.dataset),
    fact("optimizer", o.opt),
    fact("criterion", p ? p.criterion ?? "none" : o.crt),
    fact("criterion parameters", s?.crt_parameter ?? criterionParameters(p)),
    fact("lr / rho / theta", `${o.lr} / ${o.rho} / ${o.theta}`),
    fact("epochs, batch size, seed", `${c.epochs}, ${c.batch_size}, ${c.seed}`),
    fact("adapter", c.adapter),
  ];
  if (s) {
    facts.push(
      fact("max top-1 test accuracy (%)", s["top-1 test acc"]),
      fact("fwp / bwp overhead", `${s.fwp_overhead} / ${s.bwp_overhead}`),
      fact("training images/s", s["images/s"]),
      // summary.json files before the seed's runtime-in-minutes column kept wall seconds in `runtime`.
      fact("runtime (s)", s.wall_seconds ?? s.runtime),
    );
  } else {
    facts.push(fact("status", `unfinished: ${run.epochs.length} epochs logged`));
  }
  const charts: string[] = [];
  if (run.epochs.length) charts.push(lossChart(run.epochs), accuracyChart(run.epochs));
  const decisions = decisionChart(run.steps, c);
  if (decisions) charts.push(decisions);
  const note = run.epochs.length ? "" : el("p", { class: "note" }, text("No epoch has finished yet."));
  return "<!DOCTYPE html>\n" + el("html", { xmlns: "http://www.w3.org/1999/xhtml", lang: "en" }, [
    el("head", {}, [
      el("meta", { charset: "utf-8" }),
      el("title", {}, text(`samwise run ${name}`)),
      el("style", {}, escapeXml(STYLE)),
    ]),
    el("body", {}, [
      el("h1", {}, text(name)),
      el("table", {}, facts),
      note,
      charts.length ? el("div", { class: "charts" }, charts.map((svg) => svg.trimEnd())) : "",
    ]),
  ]) + "\n";
}

/**
 * Reads `<runDir>/log.jsonl` (with config.json and summary.json when present) and writes
 * `<runDir>/report.html`; returns its path. Throws when the directory has no log. The trainer
 * calls it at the end of a run; a failure there should be reported, not fail the run.
 */
export async function writeRunPlots(runDir: string): Promise<string> {
  const run = await readRun(runDir);
  const path = `${runDir}/report.html`;
  await writeFileAtomic(path, runReportHtml(run));
  return path;
}
