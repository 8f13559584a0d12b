// Sweep grids and reports without a scheduler: expansion, stable run ids, one-line errors, the
// sbatch script, run states, the local backend's skip and resume, and the per-configuration report.
import { main as sweepMain, parseSweepArgs } from "../src/cli/sweep.ts";
import { main as reportMain } from "../src/cli/report.ts";
import { expandFlags, type Grid, parseGrid, readGrid, resolveRuns } from "../src/sweep/grid.ts";
import { runStatus, thisHost } from "../src/sweep/runs.ts";
import { arraySpec, compressRanges, sbatchScript } from "../src/sweep/slurm.ts";
import { reportChart, summarize } from "../src/sweep/report.ts";
import { parseTrainArgs, UsageError } from "../src/cli/args.ts";
import { appendResult, readResults, RESULT_COLUMNS, type ResultRow } from "../src/train/results_csv.ts";
import { assertWellFormed } from "../src/plot/xml.ts";
import { assert, assertEquals } from "./assert.ts";
import { skipWithoutGpu } from "./harness.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { defaultRegistry } from "../src/plugins/mod.ts";

// Like the CLI entry points, register the built-in plugins in the default registry.
registerBuiltins(defaultRegistry());

/** The training parser the sweep CLI passes (src/cli/sweep.ts registers the built-ins). */
const parse = (argv: string[]) => parseTrainArgs(argv);

/** The error `fn` throws (synchronously), checked to be a one-line UsageError. */
function assertThrows(fn: () => unknown, cls: typeof UsageError): Error {
  try {
    fn();
  } catch (e) {
    assert(e instanceof cls, String(e));
    assert(!(e as Error).message.includes("\n"), (e as Error).message);
    return e as Error;
  }
  throw new Error("expected an error");
}

/** The error `fn` rejects with, checked to be a one-line UsageError. */
async function assertRejects(fn: () => Promise<unknown>, cls: typeof UsageError): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    assert(e instanceof cls, String(e));
    assert(!(e as Error).message.includes("\n"), (e as Error).message);
    return e as Error;
  }
  throw new Error("expected an error");
}

const TINY = { model: "wideresnet10x1", batch_size: 16, train_images: 32, test_images: 16, epochs: 1 };

function grid(json: Record<string, unknown>, dir = "/tmp/x"): Grid {
  return parseGrid(`${dir}/g.json`, { output_dir: dir, ...json });
}

Deno.test("grid: base, then configs, then the axes' product, later keys winning", () => {
  const g = grid({
    base: { ...TINY, lr: 0.1 },
    configs: [{ opt: "sgd" }, { opt: "sam-sgd", lr: 0.2 }],
    axes: { seed: [1, 2, 3], rho: [0.05, 0.1] },
  });
  const runs = expandFlags(g);
  assertEquals(runs.length, 12);
  assertEquals(runs[0], { ...TINY, lr: 0.1, opt: "sgd", seed: 1, rho: 0.05 });
  assertEquals(runs[11], { ...TINY, lr: 0.2, opt: "sam-sgd", seed: 3, rho: 0.1 });
});

Deno.test("run ids come from the resolved configuration: key order and spelled-out defaults keep them", async () => {
  const a = await resolveRuns(
    grid({ base: { ...TINY, opt: "vassoremu-sgd", crt: "naive", crt_k: 2 } }),
    parse,
  );
  const b = await resolveRuns(
    grid({
      base: {
        crt_k: 2,
        crt: "naive",
        opt: "vassoremu-sgd",
        ...TINY,
        momentum: 0.9,
        lr_scheduler: "CosineLRscheduler",
      },
    }, "/tmp/elsewhere"),
    parse,
  );
  const c = await resolveRuns(
    grid({ base: { ...TINY, opt: "vassoremu-sgd", crt: "naive", crt_k: 3 } }),
    parse,
  );
  assertEquals(a[0].id, b[0].id); // also independent of output_dir
  assert(a[0].id !== c[0].id, "a changed criterion option changes the id");
  assert(/^vassoremu-sgd-naive_seed3107_[0-9a-f]{10}$/.test(a[0].id), a[0].id);
});

Deno.test("grid errors: one line naming the file and the key, flag or run", async () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ axes: { seed: [] } }, /axes\.seed must be a non-empty array/],
    [{ base: { output_name: "x" } }, /base\.output_name: the sweep sets --output_name itself/],
    [{ colour: 1 }, /unknown key "colour"/],
    [{ configs: [] }, /configs must be a non-empty array/],
    [{ base: { model: { a: 1 } } }, /base\.model must be a string/],
  ];
  for (const [json, re] of bad) {
    const e = assertThrows(() => grid(json), UsageError);
    assert(re.test(e.message) && e.message.startsWith("samwise sweep: /tmp/x/g.json: "), e.message);
  }
  const e = await assertRejects(
    () => resolveRuns(grid({ base: TINY, axes: { theta: [0.4, 1.5] } }), parse),
    UsageError,
  );
  assert(
    /run 1 \(.*--theta 1\.5\): --theta must be in \[0, 1\]/.test(e.message) && !e.message.includes("\n"),
    e.message,
  );
  const dup = await assertRejects(
    () => resolveRuns(grid({ base: TINY, axes: { seed: [1, 1] } }), parse),
    UsageError,
  );
  assert(/runs 0 and 1 resolve to the same configuration/.test(dup.message), dup.message);
  const missing = await assertRejects(() => readGrid("/nonexistent/grid.json"), UsageError);
  assertEquals(missing.message, "samwise sweep: /nonexistent/grid.json: no such grid file");
});

Deno.test("sweep command line: bad flags in one line; scheduler options only after --", () => {
  assertEquals(parseSweepArgs(["g.json", "--backend", "slurm", "--", "--gpus=1"]).sbatchArgs, ["--gpus=1"]);
  assertEquals(parseSweepArgs(["status", "g.json"]).command, "status");
  assertEquals(parseSweepArgs(["task", "g.json", "3"]).index, 3);
  for (
    const [argv, re] of [
      [["g.json", "--workers", "0"], /--workers must be an integer >= 1, got 0/],
      [["g.json", "--backend", "k8s"], /--backend must be local or slurm, got k8s/],
      [["g.json", "--time=1"], /unknown option --time \(scheduler options go after --\)/],
      [["g.json", "--", "--gpus=1"], /options after -- are for sbatch: add --backend slurm/],
      [[], /expected a grid file/],
    ] as [string[], RegExp][]
  ) {
    const e = assertThrows(() => parseSweepArgs(argv), UsageError);
    assert(re.test(e.message), e.message);
  }
});

Deno.test("the sbatch script: an array over the runs to do, options passed through, task i runs run i", () => {
  assertEquals(arraySpec([0, 1, 2, 3], 4, 2), "0-3%2");
  assertEquals(arraySpec([1, 2, 3, 7, 9, 10], 12), "1-3,7,9-10");
  assertEquals(compressRanges([5]), "5");
  const g = grid({ name: "claim", base: TINY });
  const runs = [{ index: 1, id: "a", argv: [], config: null as never }, {
    index: 3,
    id: "b",
    argv: [],
    config: null as never,
  }];
  const s = sbatchScript(g, runs, 4, {
    parallel: 1,
    sbatchArgs: ["--gpus=1", "--time=02:00:00"],
    deno: "/opt/deno",
  });
  const lines = s.split("\n");
  assert(lines.includes("#SBATCH --array=1,3%1"), s);
  assert(lines.includes("#SBATCH --gpus=1") && lines.includes("#SBATCH --time=02:00:00"), s);
  assert(lines.includes("#SBATCH --job-name=samwise-claim"), s);
  assert(
    /^exec \/opt\/deno run -A \S+\/src\/cli\/sweep\.ts task \/tmp\/x\/g\.json "\$SLURM_ARRAY_TASK_ID"$/m.test(
      s,
    ),
    s,
  );
});

Deno.test("run states from the run directory: done, failed (marked or dead worker), running, pending", async () => {
  const dir = await Deno.makeTempDir();
  const mk = async (name: string, files: Record<string, unknown>) => {
    await Deno.mkdir(`${dir}/${name}`);
    for (const [f, v] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}/${f}`, JSON.stringify(v));
    }
    return `${dir}/${name}`;
  };
  const host = thisHost();
  assertEquals(runStatus(await mk("done", { "summary.json": {} })), "done");
  assertEquals(
    runStatus(await mk("failed", { "sweep-state.json": { state: "failed", host, pid: 1, code: 3 } })),
    "failed",
  );
  assertEquals(
    runStatus(await mk("live", { "sweep-state.json": { state: "running", host, pid: Deno.pid } })),
    "running",
  );
  assertEquals(
    runStatus(await mk("dead", { "sweep-state.json": { state: "running", host, pid: 2 ** 22 + 1 } })),
    "failed",
  );
  const slurm = await mk("queued", { "sweep-state.json": { state: "running", host, pid: 1, slurm: "7_2" } });
  assertEquals(runStatus(slurm, new Set(["7_2"])), "running");
  assertEquals(runStatus(slurm, new Set()), "failed");
  assertEquals(runStatus(`${dir}/never`), "pending");
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "local backend: runs the grid into one CSV, a rerun runs nothing, status counts them",
  ignore: skipWithoutGpu(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/g.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ output_dir: `${dir}/out`, base: TINY, axes: { opt: ["sgd", "sam-sgd"] } }),
    );
    const lines: string[] = [];
    const say = (l: string) => lines.push(l);
    assertEquals(await sweepMain([path, "--dry-run"], say), 0);
    assert(/^0\tsgd_seed3107_[0-9a-f]{10}\tpending\t--model wideresnet10x1 /.test(lines[0]), lines[0]);
    assertEquals(await sweepMain([path], say), 0);
    assertEquals((await readResults(`${dir}/out/results.csv`)).map((r) => r.optimizer).sort(), [
      "sam-sgd",
      "sgd",
    ]);
    lines.length = 0;
    assertEquals(await sweepMain([path], say), 0);
    assert(/all 2 runs done; nothing to run/.test(lines[0]), lines[0]);
    assertEquals((await readResults(`${dir}/out/results.csv`)).length, 2);
    lines.length = 0;
    await sweepMain(["status", path], say);
    assert(lines[0].endsWith("2 runs: 2 done, 0 running, 0 failed, 0 pending"), lines[0]);
    await Deno.remove(dir, { recursive: true });
  },
});

function row(opt: string, acc: number, runtime: number, bwp: number, crt = "none"): ResultRow {
  const r = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, ""])) as ResultRow;
  return {
    ...r,
    optimizer: opt,
    hyperparameters: opt === "sgd" ? "lr=0.05" : "theta=0.4",
    criterion: crt,
    crt_parameter: crt === "naive" ? "crt_k=2" : "none",
    "top-1 test acc": acc,
    bwp_overhead: bwp,
    runtime,
    epochs: 4,
  };
}

Deno.test("report: mean and sample std over seeds, time relative to SGD, error bars in the plot", async () => {
  const dir = await Deno.makeTempDir();
  const csv = `${dir}/results.csv`;
  for (const [a, t] of [[80, 100], [82, 110], [84, 90]]) await appendResult(csv, row("sgd", a, t, 1));
  for (const [a, t] of [[85, 150], [86, 160]]) {
    await appendResult(csv, row("vassoremu-sgd", a, t, 1.5, "naive"));
  }
  const s = summarize(await readResults(csv));
  assertEquals(s.map((c) => [c.label, c.n]), [["sgd lr=0.05", 3], [
    "vassoremu-sgd naive (crt_k=2) theta=0.4",
    2,
  ]]);
  assertEquals(s[0].accMean, 82);
  assertEquals(s[0].accStd, 2);
  assert(Math.abs(s[1].accStd - Math.SQRT1_2) < 1e-12);
  assertEquals(s[1].runtimeRatio, 155 / 100);
  const svg = reportChart(s);
  assertWellFormed(svg);
  // One vertical 1.5 px bar per configuration with a spread, none without.
  const bars = (doc: string) =>
    (doc.match(/<path d="M([\d.]+) [\d.]+L\1 [\d.]+" stroke="[^"]+" stroke-width="1.5"/g) ?? []).length;
  assertEquals(bars(svg), 2);
  assertEquals(bars(reportChart(s.map((c) => ({ ...c, accStd: 0 })))), 0);
  const lines: string[] = [];
  assertEquals(await reportMain([csv], (l) => lines.push(l)), 0);
  assert(
    /\| sgd lr=0\.05 +\| +3 \| +82\.00 \| +2\.00 \| +1\.000 \| +100\.00 \| +1\.00x \|/.test(lines[0]),
    lines[0],
  );
  // The CSV's runtime is in minutes (as the seed writes it), and the header says so.
  assert(lines[0].includes("wall time (min)"), lines[0]);
  assert(lines[0].includes("1.55x"), lines[0]);
  assertWellFormed(await Deno.readTextFile(`${dir}/results.report.html`));
  assertWellFormed(await Deno.readTextFile(`${dir}/results.report.svg`));
  await Deno.writeTextFile(`${dir}/other.csv`, "a,b\n1,2\n");
  assertEquals(await reportMain([`${dir}/other.csv`], () => {}), 2);
  assertEquals(await reportMain([`${dir}/missing.csv`], () => {}), 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test({
  name: "local backend: SIGTERM checkpoints the running run (exit 130 recorded) and starts no other",
  ignore: skipWithoutGpu(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const path = `${dir}/g.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ output_dir: `${dir}/out`, base: { ...TINY, epochs: 30 }, axes: { seed: [1, 2] } }),
    );
    const [first, second] = await resolveRuns(await readGrid(path), parse);
    const cli = new URL("../src/cli/sweep.ts", import.meta.url).pathname;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", cli, path],
      stdout: "null",
      stderr: "null",
    })
      .spawn();
    const firstDir = `${dir}/out/${first.id}`;
    for (let i = 0; i < 1500; i++) {
      try {
        Deno.statSync(`${firstDir}/checkpoint.json`);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    child.kill("SIGTERM");
    assertEquals((await child.status).code, 1);
    assertEquals(runStatus(firstDir), "failed");
    const marker = JSON.parse(await Deno.readTextFile(`${firstDir}/sweep-state.json`));
    assertEquals(marker.code, 130); // the trainer's interrupted exit, after its checkpoint
    assertEquals(runStatus(`${dir}/out/${second.id}`), "pending");
    await Deno.remove(dir, { recursive: true });
  },
});
