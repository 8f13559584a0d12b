// Plots: the SVG writer's escaping, axis arithmetic, the well-formedness checker itself, and the
// charts built from synthetic logs and results: well-formed, one marker per fired step, one
// point per results row. No GPU needed.
import { assert, assertEquals } from "./assert.ts";
import {
  assertWellFormed,
  checkXml,
  configLabel,
  decimate,
  decisionChart,
  el,
  escapeXml,
  FIRED_CLASS,
  formatTick,
  niceTicks,
  parseRunLog,
  POINT_CLASS,
  resultsChart,
  runReportHtml,
  type StepRecord,
  writeResultsPlot,
  writeRunPlots,
} from "../src/plot/mod.ts";
import { chart } from "../src/plot/chart.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { Registry, resolveConfig, runPlugins } from "../src/plugins/mod.ts";
import { appendResult, RESULT_COLUMNS, type ResultRow } from "../src/train/results_csv.ts";
import { plotPath } from "../src/cli/plot.ts";

function count(doc: string, needle: string): number {
  return doc.split(needle).length - 1;
}

/** A gSAMflat-like log: `warmup` SAM steps that fire without metrics, then decisions with metrics. */
function gsamLog(warmup: number, decided: number): { steps: StepRecord[]; fired: number } {
  const steps: StepRecord[] = [];
  let fired = 0;
  for (let i = 1; i <= warmup + decided; i++) {
    const r: StepRecord = {
      type: "step",
      epoch: 0,
      batch: i - 1,
      iteration: i,
      sam: true,
      fired: true,
      lr: 0.05,
    };
    if (i > warmup) {
      const g = 1 + Math.sin(i), tau = 1;
      Object.assign(r, { crt_gnorm: g, crt_tau: tau, fired: tau > 1.45 * g });
    }
    if (r.fired) fired++;
    steps.push(r);
  }
  return { steps, fired };
}

/** What the trainer writes to config.json for these options: `optim` and the `plugins` record. */
function runConfig(optim: Record<string, unknown>, registry = registerBuiltins(new Registry())) {
  return { optim, plugins: runPlugins(resolveConfig(optim, registry)) };
}

const GSAM_CONFIG = runConfig({ opt: "vassoremu-sgd", crt: "gSAMflat", crt_z: 1.5, lam: 0.1 });

Deno.test("escapeXml and el escape text and attributes; empty elements self-close", () => {
  assertEquals(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&#39;");
  assertEquals(
    el("text", { x: 1.23456, y: -0.0001, title: 'say "hi"' }, "&lt;"),
    '<text x="1.23" y="0" title="say &quot;hi&quot;">&lt;</text>',
  );
  assertEquals(el("circle", { r: 2, hidden: undefined }), '<circle r="2"/>');
});

Deno.test("niceTicks covers the domain with 1-2-5 steps; formatTick uses the step's decimals", () => {
  const t = niceTicks([0.13, 0.87], 4);
  assertEquals(t.step, 0.2);
  assertEquals(t.domain, [0, 1]);
  assertEquals(t.values.map((v) => formatTick(v, t.step)), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
  const one = niceTicks([3, 3], 5, true);
  assert(one.domain[0] < 3 && one.domain[1] > 3 && Number.isInteger(one.step), JSON.stringify(one));
  assertEquals(formatTick(25000, 5000), "25k");
  assertEquals(formatTick(1.5, 0.5), "1.5");
});

Deno.test("decimate keeps each bucket's extremes, so a spike survives", () => {
  const pts = Array.from({ length: 10_000 }, (_, i) => [i, i === 4321 ? 100 : 1] as [number, number]);
  const d = decimate(pts, 200);
  assert(d.length <= 200, `${d.length} points`);
  assert(d.some(([x, y]) => x === 4321 && y === 100), "spike lost");
  assertEquals(decimate(pts.slice(0, 5), 200).length, 5);
});

Deno.test("checkXml accepts well-formed documents and names the first problem otherwise", () => {
  assertEquals(
    assertWellFormed('<?xml version="1.0"?><!-- c --><a x="1"><b/>t &amp; &#39;<c y=\'2\'></c></a>').root,
    "a",
  );
  const bad: [string, RegExp][] = [
    ["<a><b></a>", /closes <b>/],
    ["<a>", /never closed/],
    ["<a/><b/>", /second root/],
    ['<a x="1" x="2"/>', /duplicate/],
    ["<a x=1/>", /not quoted/],
    ["<a>fish & chips</a>", /entity/],
    ["<a>1 < 2</a>", /not starting a tag/],
    ["text<a/>", /outside the root/],
    ['<a x="1"y="2"/>', /no space/],
  ];
  for (const [doc, re] of bad) {
    const r = checkXml(doc);
    assert("problem" in r && re.test(r.problem.message), `${doc}: ${JSON.stringify(r)}`);
  }
});

Deno.test("chart: well-formed with title, axes, legend; hostile text is escaped", () => {
  const svg = chart({
    title: `loss <&> "quotes"`,
    xLabel: "x",
    yLabel: "y",
    series: [
      { name: "a&b", points: [[0, 1], [1, 2], [2, NaN], [3, 1.5]] },
      { name: "pts", points: [[1, 1]], line: false, marker: "triangle", className: "p" },
    ],
    hLines: [{ y: 1.2, label: "h" }],
    labels: [{ x: 1, y: 1, text: "<label>" }, { x: 1, y: 1.01, text: "second" }],
  });
  const s = assertWellFormed(svg);
  assertEquals(s.root, "svg");
  assert(svg.includes("loss &lt;&amp;&gt; &quot;quotes&quot;") && svg.includes("&lt;label&gt;"), "escaping");
  assertEquals(count(svg, 'class="p"'), 1);
  assert((s.elements.get("text") ?? 0) > 8, "tick labels missing");
});

Deno.test("decision chart: one fired marker per fired step, on the ||g|| curve or on the rug", () => {
  const { steps, fired } = gsamLog(100, 150);
  assert(fired > 100 && fired < 250, `synthetic log fired ${fired}`);
  const svg = decisionChart(steps, GSAM_CONFIG)!;
  assertWellFormed(svg);
  assertEquals(count(svg, `class="${FIRED_CLASS}"`), fired);
  assert(svg.includes("tau / phi: fires below"), "gSAMflat threshold line missing");
  assert(svg.includes(`${fired} of 250 SAM steps`), "subtitle");
});

Deno.test("decision chart: criteria without metrics mark fired steps over iterations; SGD has none", () => {
  const steps: StepRecord[] = Array.from({ length: 40 }, (_, i) => ({
    type: "step",
    epoch: 0,
    batch: i,
    iteration: i + 1,
    sam: true,
    fired: (i + 1) % 2 === 0 || i === 0,
    lr: 0.1,
  }));
  const svg = decisionChart(steps, runConfig({ opt: "vassore-sgd", crt: "naive", crt_k: 2 }))!;
  assertWellFormed(svg);
  assertEquals(count(svg, `class="${FIRED_CLASS}"`), 21);
  assert(svg.includes("fraction fired so far"), "running fraction missing");
  assertEquals(decisionChart(steps.map((s) => ({ ...s, sam: false, fired: false }))), null);
});

Deno.test("decision chart: very many fired steps become one path instead of elements", () => {
  const { steps } = gsamLog(6000, 10);
  const svg = decisionChart(steps, GSAM_CONFIG)!;
  assertWellFormed(svg);
  assert(svg.includes(`class="${FIRED_CLASS}-many"`), "no compact path");
  assert(svg.length < 400_000, `${svg.length} bytes`);
});

Deno.test("cosSim decision chart: cosine curve and the c line", () => {
  const steps: StepRecord[] = Array.from({ length: 30 }, (_, i) => ({
    type: "step",
    epoch: 0,
    batch: i,
    iteration: i + 1,
    sam: true,
    fired: i === 0 || Math.cos(i) <= 0,
    lr: 0.1,
    ...(i ? { crt_cos: Math.cos(i) } : {}),
  }));
  const svg = decisionChart(steps, runConfig({ opt: "vassoremu-sgd", crt: "cosSim", crt_c: 0 }))!;
  assertWellFormed(svg);
  assertEquals(count(svg, `class="${FIRED_CLASS}"`), steps.filter((s) => s.fired).length);
  assert(svg.includes("c = 0: fires at or below"), "c line missing");
});

Deno.test("gSAM thresholds come from the descriptor's trace: tau / phi and tau / phi' with the run's options", () => {
  const flat = GSAM_CONFIG.plugins.trace.lines!;
  assertEquals(flat.map((l) => [l.metric, l.label]), [["crt_tau", "tau / phi: fires below"]]);
  assert(Math.abs(flat[0].scale! - 1 / (0.9 * 1.5 + 0.1)) < 1e-12, `scale ${flat[0].scale}`);
  // gSAMratio's phi' uses z_two, whose default is the seed's 0.5.
  const ratio = runConfig({ opt: "vassoremu-sgd", crt: "gSAMratio", crt_z: 1.5, lam: 0.1 }).plugins.trace
    .lines!;
  assertEquals(ratio.length, 2);
  assert(Math.abs(ratio[1].scale! - 1 / (0.9 / 0.5 + 0.1)) < 1e-12, `scale ${ratio[1].scale}`);
  // A plain optimizer runs no criterion: nothing to trace, no criterion parameters.
  const plain = runConfig({ opt: "sgd" }).plugins;
  assertEquals([plain.criterion, plain.criterion_options, plain.trace], [null, {}, {}]);
});

Deno.test("a third-party criterion's report: its trace and options come from config.json, no registry", () => {
  const registry = registerBuiltins(new Registry());
  registry.register({
    name: "mycrit",
    kind: "criterion",
    description: "test criterion",
    options: [{ name: "my_x", type: "number", default: 3, help: "test" }],
    report: {
      trace: (o) => ({
        primary: "my_stat",
        names: { my_stat: "my statistic" },
        lines: [{ label: `x = ${o.number("my_x")}: my line`, y: o.number("my_x") }],
      }),
    },
    create: () => ({ shouldPerturb: () => true }),
  }, "test");
  const config = runConfig({ opt: "vassoremu-sgd", crt: "mycrit", my_x: 0.25 }, registry);
  const steps: StepRecord[] = Array.from({ length: 10 }, (_, i) => ({
    type: "step",
    epoch: 0,
    batch: i,
    iteration: i + 1,
    sam: true,
    fired: i % 3 === 0,
    lr: 0.1,
    other: i,
    my_stat: i / 10,
  }));
  const svg = decisionChart(steps, config)!;
  assert(svg.includes("my statistic") && svg.includes("x = 0.25: my line"), "trace from the descriptor");
  assert(svg.includes("Decisions of mycrit"), "title");
  const html = runReportHtml({ dir: "/x", steps, epochs: [], config, summary: null });
  assert(html.includes("my_x=0.25"), "criterion parameters from the run's plugins record");
});

Deno.test("parseRunLog splits records and tolerates a torn last line only", () => {
  const text = '{"type":"step","iteration":1}\n{"type":"epoch","epoch":0}\n{"type":"st';
  const { steps, epochs } = parseRunLog(text);
  assertEquals([steps.length, epochs.length], [1, 1]);
  let threw = false;
  try {
    parseRunLog('{"type":"step"\n{"type":"epoch","epoch":0}\n{"type":"epoch","epoch":1}\n');
  } catch (e) {
    threw = /line 1/.test((e as Error).message);
  }
  assert(threw, "a corrupt middle line must throw naming it");
});

Deno.test("writeRunPlots writes a well-formed report with curves and the decision trace", async () => {
  const dir = await Deno.makeTempDir();
  const { steps, fired } = gsamLog(100, 60);
  const epochs = [0, 1, 2].map((e) => ({
    type: "epoch",
    epoch: e,
    train_loss: 2 - e * 0.5,
    train_acc1: 30 + 10 * e,
    test_loss: 1.8 - e * 0.4,
    test_acc1: 35 + 10 * e,
    max_acc: 35 + 10 * e,
    inner_backward: 50 * (e + 1),
    iterations: 53 * (e + 1),
  }));
  await Deno.writeTextFile(
    `${dir}/log.jsonl`,
    [...steps, ...epochs].map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  await Deno.writeTextFile(
    `${dir}/config.json`,
    JSON.stringify({ ...GSAM_CONFIG, model: "m<1>", output_name: "run" }),
  );
  const path = await writeRunPlots(dir);
  assertEquals(path, `${dir}/report.html`);
  const html = await Deno.readTextFile(path);
  const s = assertWellFormed(html);
  assertEquals([s.root, s.elements.get("svg")], ["html", 3]);
  assertEquals(count(html, `class="${FIRED_CLASS}"`), fired);
  assert(html.includes("m&lt;1&gt;") && html.includes("unfinished"), "facts");
  assertEquals(
    runReportHtml({ dir, steps: [], epochs: [], config: {}, summary: null }).includes("<svg"),
    false,
  );
  await Deno.remove(dir, { recursive: true });
});

function row(opt: string, crt: string, param: string, acc: number, bwp: number): ResultRow {
  const r = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, ""])) as ResultRow;
  return {
    ...r,
    optimizer: opt,
    criterion: crt,
    crt_parameter: param,
    "top-1 test acc": acc,
    bwp_overhead: bwp,
  };
}

Deno.test("results plot: one labelled point per row, written next to the CSV", async () => {
  const dir = await Deno.makeTempDir();
  const csv = `${dir}/results.csv`;
  const rows = [
    row("sgd", "none", "none", 90.1, 1),
    row("sam-sgd", "baseline", "none", 91.5, 2),
    row("vassoremu-sgd", "gSAMflat", "crt_z=1.5; lam=0.1", 91.2, 1.3),
    row("vassoremu-sgd", "gSAMflat", "crt_z=1.5; lam=0.1", 91.0, 1.31),
    row("vassoremu-sgd", "naive", "crt_k=2", 90.8, 1.5),
  ];
  for (const r of rows) await appendResult(csv, r);
  const path = await writeResultsPlot(csv);
  assertEquals(path, `${dir}/results.svg`);
  const svg = await Deno.readTextFile(path);
  assertWellFormed(svg);
  assertEquals(count(svg, `class="${POINT_CLASS}"`), rows.length);
  assert(svg.includes("vassoremu-sgd gSAMflat (crt_z=1.5; lam=0.1) x2"), "repeated configuration label");
  assert(svg.includes(">sam-sgd baseline<") && svg.includes(">sgd<"), "labels");
  assertEquals(configLabel({ optimizer: "sgd", criterion: "none", crt_parameter: "none" }), "sgd");
  assertWellFormed(resultsChart([]));

  // The plot CLI finds the CSV through its directory, and the report through a run directory.
  await Deno.remove(path);
  assertEquals(await plotPath(dir), path);
  let msg = "";
  await plotPath(`${dir}/nothing`).catch((e) => (msg = e.message));
  assert(/no such file/.test(msg), msg);
  await Deno.remove(dir, { recursive: true });
});
