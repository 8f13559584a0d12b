// The results row, column by column, against the seed's definitions and rows the seed wrote
// (experiments/performance_results/*.csv of the seed). CPU only: no training, measured numbers
// are given, so each formula is checked exactly.
import { registerBuiltins } from "../plugins/builtins.ts";
import { loadPlugin, Registry, resolveConfig } from "../src/plugins/mod.ts";
import { pyFloat } from "../src/plugins/report.ts";
import {
  meanImagesPerSecond,
  resultsRow,
  type RunMeasurements,
  summaryRecord,
  toMiB,
} from "../src/train/results_row.ts";
import { appendResult, readResults, RESULT_COLUMNS } from "../src/train/results_csv.ts";
import { configLabel, resultPoints } from "../src/plot/results_plot.ts";
import { assert, assertEquals } from "./assert.ts";

/** Rows the seed wrote (its published CSVs), header first. */
const SEED_CSV = [
  RESULT_COLUMNS.join(","),
  "sgd,lr=0.05;,baseline,,81.96,0.7086,,,,1.0,1.0,12471.82,276.24,2751,3160,200,True",
  "sam-sgd,lr=0.05;rho=0.2;,baseline,,84.8,0.4545,,,,2.0,2.0,1295.65,528.14,2894,3418,200,True",
  "vasso-sgd,lr=0.05;rho=0.2;theta=0.4;,baseline,,84.66,0.269,,,,2.0,2.0,675.34,536.79,3035,3578,200,True",
  "vassore-sgd,lr=0.05;rho=0.2;theta=0.4;,naive,k=2,84.32,0.4418,,,,1.5,1.5,5477.04,404.99,3179,3904,200,True",
  "vassore-sgd,lr=0.05;rho=0.2;theta=0.4;,random,p=0.5,84.34,0.4349,,,,1.4994,1.4994,5406.28,406.28,3178,3906,200,True",
  "vassoremu-sgd,lr=0.05;rho=0.1;theta=0.4;lam=0.1;z=1.5;,gSAMflat,z=1.5,96.34,0.0563,23.8117,41.3763,0.5755,1.0518,1.0518,2798.3,66.29,,,200,False",
  "vasso-sgd,lr=0.05;rho=0.2;theta=0.4;,schedule,s=[160-200],84.22,0.251,,,,1.2,1.2,10574.26,328.48,3034,3578,200,True",
].join("\n") + "\n";

/** The seed's formats of the columns samwise computes: Python floats, ints, or empty. */
const FLOAT = /^-?\d+\.\d+(e[+-]\d\d)?$/;
const INT = /^\d+$/;

function measurements(over: Partial<RunMeasurements> = {}): RunMeasurements {
  return {
    history: [
      { train_loss: 1.5, train_acc1: 40, test_loss: 1.75, test_acc1: 38, images_per_s: 100 },
      { train_loss: 0.5, train_acc1: 90, test_loss: 0.5563, test_acc1: 84.5, images_per_s: 300.5 },
    ],
    maxAcc: 84.5,
    trainingSeconds: 3977.4,
    overheads: { fwp: 1.5, bwp: 1.5 },
    hessian: null,
    memory: { allocatedBytes: 2751 * 1024 ** 2 + 12345, reservedBytes: 3160 * 1024 ** 2 },
    ...over,
  };
}

function row(
  args: Record<string, unknown>,
  m = measurements(),
  registry = registerBuiltins(new Registry()),
  exclusive = true,
) {
  return resultsRow({ epochs: 200, exclusive_run: exclusive }, resolveConfig(args, registry), m);
}

const seedRows = (() => {
  const lines = SEED_CSV.trim().split("\n").slice(1);
  return lines.map((l) => Object.fromEntries(l.split(",").map((v, i) => [RESULT_COLUMNS[i], v])));
})();

Deno.test("pyFloat prints floats as Python's repr (and pandas' CSV writer) does", () => {
  const cases: [number, string][] = [
    [0.05, "0.05"],
    [1, "1.0"],
    [2, "2.0"],
    [0, "0.0"],
    [-0.5, "-0.5"],
    [1e-3, "0.001"],
    [1e-4, "0.0001"],
    [1e-5, "1e-05"],
    [1.5e-7, "1.5e-07"],
    [2798.3, "2798.3"],
    [1e15, "1000000000000000.0"],
    [1e16, "1e+16"],
    [1.25e22, "1.25e+22"],
    [NaN, "nan"],
    [Infinity, "inf"],
  ];
  for (const [x, py] of cases) assertEquals(pyFloat(x), py, `pyFloat(${x})`);
});

Deno.test("hyperparameters, criterion, crt_parameter: the seed's cells for each optimizer and criterion", () => {
  const cases: [Record<string, unknown>, string, string, string][] = [
    [{ opt: "sgd" }, "lr=0.05;", "baseline", ""],
    [{ opt: "adamw", lr: 1 }, "lr=1.0;", "baseline", ""],
    [{ opt: "sam-sgd", rho: 0.2 }, "lr=0.05;rho=0.2;", "baseline", ""],
    [{ opt: "vasso-sgd", rho: 0.2 }, "lr=0.05;rho=0.2;theta=0.4;", "baseline", ""],
    [{ opt: "vassore-sgd", rho: 0.2, crt: "naive", crt_k: 2 }, "lr=0.05;rho=0.2;theta=0.4;", "naive", "k=2"],
    [
      { opt: "vassore-sgd", rho: 0.2, crt: "random", crt_p: 0.5 },
      "lr=0.05;rho=0.2;theta=0.4;",
      "random",
      "p=0.5",
    ],
    [
      { opt: "vassoremu-sgd", crt: "gSAMflat", crt_z: 1.5, lam: 0.1 },
      "lr=0.05;rho=0.1;theta=0.4;lam=0.1;z=1.5;",
      "gSAMflat",
      "z=1.5",
    ],
    [
      { opt: "vassore-sgd", crt: "gSAMsharp", crt_z: 1.5, lam: 0.2 },
      "lr=0.05;rho=0.1;theta=0.4;lam=0.2;z=1.5;",
      "gSAMsharp",
      "z=1.5",
    ],
    [
      { opt: "vassoremu-sgd", crt: "gSAMratio", crt_z: 1.5, lam: 0.1, z_two: 0.5 },
      "lr=0.05;rho=0.1;theta=0.4;lam=0.1;z=1.5;z2=0.5;",
      "gSAMratio",
      "z=1.5",
    ],
    [{ opt: "vassoremu-sgd", crt: "cosSim" }, "lr=0.05;rho=0.1;theta=0.4;>0?0", "cosSim", ">0?=0"],
    [
      { opt: "vassore-sgd", crt: "cosSim", crt_c: 0.5 },
      "lr=0.05;rho=0.1;theta=0.4;>0?0.5",
      "cosSim",
      ">0?=0.5",
    ],
    [
      { opt: "vasso-sgd", rho: 0.2, crt: "schedule", crt_s: "[160-200]" },
      "lr=0.05;rho=0.2;theta=0.4;",
      "schedule",
      "s=[160-200]",
    ],
  ];
  for (const [args, hyper, crt, param] of cases) {
    const r = row(args);
    const what = JSON.stringify(args);
    assertEquals(r.optimizer, args.opt, what);
    assertEquals(r.hyperparameters, hyper, what);
    assertEquals(r.criterion, crt, what);
    assertEquals(r.crt_parameter, param, what);
  }
  // Where the seed wrote a row with the same configuration, the first four cells are the same.
  const same = (args: Record<string, unknown>, i: number) => {
    const r = row(args);
    for (const c of ["optimizer", "hyperparameters", "criterion", "crt_parameter"] as const) {
      assertEquals(String(r[c]), seedRows[i][c], `${c} of seed row ${i}`);
    }
  };
  same({ opt: "sgd" }, 0);
  same({ opt: "sam-sgd", rho: 0.2 }, 1);
  same({ opt: "vasso-sgd", rho: 0.2 }, 2);
  same({ opt: "vassore-sgd", rho: 0.2, crt: "naive", crt_k: 2 }, 3);
  same({ opt: "vassore-sgd", rho: 0.2, crt: "random", crt_p: 0.5 }, 4);
  same({ opt: "vassoremu-sgd", crt: "gSAMflat", crt_z: 1.5, lam: 0.1 }, 5);
  same({ opt: "vasso-sgd", rho: 0.2, crt: "schedule", crt_s: "[160-200]" }, 6);
});

Deno.test("measured columns: the seed's formulas and units", () => {
  const m = measurements({ hessian: [23.81174, 30, 35, 38, 41.37626] });
  const r = row({ opt: "vassore-sgd", crt: "naive" }, m);
  // overfitting indicator: last epoch's test loss minus train loss, 4 decimals.
  assertEquals(r["overfitting indicator"], "0.0563");
  // images/s: mean over epochs of each epoch's images/s, 2 decimals.
  assertEquals(meanImagesPerSecond(m.history), 200.25);
  assertEquals(r["images/s"], "200.25");
  // runtime: training time in minutes, 2 decimals.
  assertEquals(r.runtime, pyFloat(Math.round(3977.4 / 60 * 100) / 100));
  assertEquals(r.runtime, "66.29");
  // memory: int(bytes / 1024**2).
  assertEquals(r.max_allocated_memory, 2751);
  assertEquals(r.max_reserved_memory, 3160);
  assertEquals(toMiB(1024 ** 2 - 1), 0);
  assertEquals(r["top-1 test acc"], "84.5");
  assertEquals([r.fwp_overhead, r.bwp_overhead], ["1.5", "1.5"]);
  // l1, l5 rounded to 4 decimals; l1/l5 of the rounded values, as the seed.
  assertEquals([r.l1, r.l5, r["l1/l5"]], ["23.8117", "41.3763", "0.5755"]);
  assertEquals([r.epochs, r.exclusive_run], [200, "True"]);
  const sgd = row(
    { opt: "sgd" },
    measurements({ overheads: { fwp: 1, bwp: 1 }, memory: null }),
    undefined,
    false,
  );
  assertEquals([sgd.fwp_overhead, sgd.bwp_overhead], ["1.0", "1.0"]);
  assertEquals([sgd.max_allocated_memory, sgd.max_reserved_memory, sgd.l1, sgd["l1/l5"]], ["", "", "", ""]);
  assertEquals(sgd.exclusive_run, "False");
  // Every cell has the format the seed's cell of that column has.
  for (const [i, ours] of [sgd, r].entries()) {
    for (const col of RESULT_COLUMNS) {
      const seedCells = seedRows.map((s) => s[col]).filter((v) => v !== "");
      const cell = String(ours[col]);
      if (cell === "") continue;
      if (seedCells.every((v) => FLOAT.test(v))) assert(FLOAT.test(cell), `${col} of row ${i}: ${cell}`);
      if (seedCells.every((v) => INT.test(v))) assert(INT.test(cell), `${col} of row ${i}: ${cell}`);
      if (col === "exclusive_run") assert(/^(True|False)$/.test(cell), cell);
    }
  }
});

Deno.test("summary.json keeps wall seconds, bytes, the accuracy gap, adapter and backend", () => {
  const m = measurements();
  const r = row({ opt: "sam-sgd" }, m);
  const s = summaryRecord(r, m, { adapter: "llvmpipe", backend: "WebGPU", history: [] });
  assertEquals(s.runtime, 66.29);
  assertEquals(s.wall_seconds, 3977.4);
  assertEquals(s.max_allocated_bytes, 2751 * 1024 ** 2 + 12345);
  assertEquals(s.max_allocated_memory, 2751);
  assertEquals(s.accuracy_gap, 90 - 84.5);
  assertEquals(s.hyperparameters, "lr=0.05;rho=0.1;");
  assertEquals([s.adapter, s.backend], ["llvmpipe", "WebGPU"]);
});

Deno.test("a third-party plugin without a report field: its options, documented fallback", async () => {
  const registry = registerBuiltins(new Registry());
  await loadPlugin(new URL("../plugins/examples/ae_sam.ts", import.meta.url).href, registry);
  const r = row({ opt: "vassoremu-sgd", crt: "ae_sam_example" }, measurements(), registry);
  assertEquals(r.hyperparameters, "lr=0.05;rho=0.1;theta=0.4;ae_delta=0.9;ae_c=0.0;ae_warmup=5;");
  assertEquals(r.crt_parameter, "ae_delta=0.9");
  assertEquals(r.criterion, "ae_sam_example");
});

Deno.test("a samwise row appends to the seed's CSV; the plot reads old and new rows", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/cifar10_rn18_results.csv`;
  await Deno.writeTextFile(path, SEED_CSV);
  await appendResult(path, row({ opt: "vassoremu-sgd", crt: "gSAMflat", crt_z: 1.5 }));
  // An older samwise row (criterion "none", seconds, bytes) still parses and plots.
  const text = await Deno.readTextFile(path);
  await Deno.writeTextFile(
    path,
    text + "sgd,lr=0.05,none,none,80.1,9.5,,,,1,1,5.3,812.5,123456789,234567890,3,\n",
  );
  const rows = await readResults(path);
  assertEquals(rows.length, seedRows.length + 2);
  const ours = rows[seedRows.length];
  assertEquals(ours.hyperparameters, "lr=0.05;rho=0.1;theta=0.4;lam=0.1;z=1.5;");
  assertEquals(ours.crt_parameter, "z=1.5");
  assertEquals(resultPoints(rows).length, rows.length);
  assertEquals(configLabel(ours), "vassoremu-sgd gSAMflat (z=1.5)");
  assertEquals(configLabel(rows[0]), "sgd");
  assertEquals(configLabel(rows[rows.length - 1]), "sgd");
  await Deno.remove(dir, { recursive: true });
});
