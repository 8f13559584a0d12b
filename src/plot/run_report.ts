/**
 * The per-run report: `<runDir>/report.html`, one self-contained page (inline SVG, no scripts)
 * with the run's configuration and results, train/test loss and accuracy per epoch, and the
 * criterion's decision trace: the values it decided on per step (for gSAM* ||g|| and tau, with
 * the threshold tau / phi; for cosSim the cosine and c) with every step that computed a fresh
 * inner gradient marked. Criteria that log nothing (naive, random, schedule) get the fired steps
 * over iterations and the running fraction fired. Plain SGD/AdamW runs have no decision trace.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";
import { defaultRegistry, listOptions } from "../plugins/mod.ts";
import { chart, type HLine, type Series } from "./chart.ts";
import { type EpochRecord, readRun, type RunData, type StepRecord } from "../train/run_log.ts";
import { el, escapeXml, text } from "./svg.ts";

/** Keys of a step record that are not criterion metrics. */
const STEP_KEYS = new Set(["type", "epoch", "batch", "iteration", "sam", "fired", "lr"]);

/** Legend names of the built-in criteria's metrics. */
const METRIC_NAMES: Record<string, string> = {
  crt_gnorm: "||g|| (decision input)",
  crt_tau: "tau",
  crt_cos: "cos(g_t, g_t-1)",
};

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
    for (const [k, v] of Object.entries(s)) if (!STEP_KEYS.has(k) && typeof v === "number") names.add(k);
  }
  return [...names];
}

function optim(config: Record<string, unknown>): Record<string, unknown> {
  return (config.optim ?? {}) as Record<string, unknown>;
}

/**
 * gSAM* thresholds on ||g||: gSAMflat fires when ||g|| < tau / phi, gSAMsharp when
 * ||g|| > tau / phi', gSAMratio on either (phi, phi' from crt_z, lam, z_two in the config).
 */
function gsamThresholds(steps: readonly StepRecord[], config: Record<string, unknown>): Series[] {
  const o = optim(config), crt = String(o.crt ?? "");
  const z = Number(o.crt_z), lam = Number(o.lam), zTwo = Number(o.z_two ?? 1);
  if (!crt.startsWith("gSAM") || !Number.isFinite(z) || !Number.isFinite(lam)) return [];
  const withTau = steps.filter((s) => typeof s.crt_tau === "number");
  const line = (factor: number, name: string): Series => ({
    name,
    points: withTau.map((s) => [s.iteration, (s.crt_tau as number) / factor]),
    dash: "5 3",
    color: "#888888",
  });
  const out: Series[] = [];
  if (crt === "gSAMflat" || crt === "gSAMratio") {
    out.push(line((1 - lam) * z + lam, "tau / phi: fires below"));
  }
  if (crt === "gSAMsharp" || crt === "gSAMratio") {
    out.push({
      ...line((1 - lam) / (crt === "gSAMratio" ? zTwo : z) + lam, "tau / phi': fires above"),
      dash: "2 2",
    });
  }
  return out;
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
  const crt = String(optim(config).crt ?? "criterion");
  const subtitle = `${fired.length} of ${sam.length} SAM steps computed a fresh inner gradient ` +
    `(${(100 * fired.length / sam.length).toFixed(1)}%; ${steps.length - sam.length} plain steps)`;
  const metrics = metricNames(sam);
  const series: Series[] = [];
  const hLines: HLine[] = [];
  let yLabel: string;
  // The metric the markers sit on: the one the rule compares with a threshold.
  const primary = metrics.includes("crt_gnorm")
    ? "crt_gnorm"
    : metrics.includes("crt_cos")
    ? "crt_cos"
    : metrics[0];
  if (primary) {
    for (const m of metrics) {
      series.push({
        name: METRIC_NAMES[m] ?? m,
        points: sam.filter((s) => typeof s[m] === "number").map((s) => [s.iteration, s[m] as number]),
      });
    }
    series.push(...gsamThresholds(sam, config));
    const c = Number(optim(config).crt_c);
    if (primary === "crt_cos" && Number.isFinite(c)) {
      hLines.push({ y: c, label: `c = ${c}: fires at or below` });
    }
    yLabel = primary === "crt_gnorm" ? "gradient norm" : METRIC_NAMES[primary] ?? primary;
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

/** The criterion's own options as "name=value" (from the plugin registry's option owners). */
function criterionParameters(config: Record<string, unknown>): string {
  const o = optim(config), crt = String(o.crt ?? "");
  if (!String(o.opt ?? "").includes("-")) return "none";
  const own = listOptions(defaultRegistry()).filter((i) =>
    i.owners.includes(crt) && !i.owners.includes("engine")
  );
  return own.map((i) => `${i.name}=${o[i.name]}`).join("; ") || "none";
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
  const c = run.config, o = optim(c), s = run.summary;
  const name = String(c.output_name ?? run.dir.split("/").filter(Boolean).pop() ?? "run");
  const facts = [
    fact("model", c.model),
    fact("dataset", c.dataset),
    fact("optimizer", o.opt),
    fact("criterion", String(o.opt ?? "").includes("-") ? o.crt : "none"),
    fact("criterion parameters", s?.crt_parameter ?? criterionParameters(c)),
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
