// Results CSV (concurrent appends, header checks), atomic writes and LR schedules.
import { appendResult, readResults, RESULT_COLUMNS, type ResultRow } from "../src/train/results_csv.ts";
import { writeFileAtomic } from "../src/io/atomic.ts";
import {
  buildSchedule,
  cosineSchedule,
  multiStepSchedule,
  type SeedScheduleOptions,
} from "../src/train/lr_schedule.ts";
import { assert, assertClose, assertEquals, assertRejects } from "./assert.ts";

function row(i: number): ResultRow {
  const r = Object.fromEntries(RESULT_COLUMNS.map((c) => [c, ""])) as ResultRow;
  r.optimizer = "vassoremu-sgd";
  r.hyperparameters = `rho=0.1, theta=0.4, run ${i}`; // a comma inside a field must be quoted
  r["top-1 test acc"] = 90 + i / 100;
  r.epochs = 3;
  return r;
}

Deno.test("results CSV: header once, quoted fields, 12 concurrent appends all land intact", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/results.csv`;
  await Promise.all(Array.from({ length: 12 }, (_, i) => appendResult(path, row(i))));
  const rows = await readResults(path);
  assertEquals(rows.length, 12);
  assertEquals(Object.keys(rows[0]), [...RESULT_COLUMNS]);
  const runs = rows.map((r) => Number(r.hyperparameters.split("run ")[1])).sort((a, b) => a - b);
  assertEquals(runs, [...Array(12).keys()]);
  const leftovers = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "results.csv");
  assertEquals(leftovers, [], "temp or lock files left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("results CSV: a file with other columns is refused, not mixed", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/results.csv`;
  await Deno.writeTextFile(path, "a,b,c\n1,2,3\n");
  await assertRejects(() => appendResult(path, row(0)), /other columns/);
  assertEquals(await Deno.readTextFile(path), "a,b,c\n1,2,3\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("atomic write replaces the whole file and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  await writeFileAtomic(`${dir}/f`, "old");
  await writeFileAtomic(`${dir}/f`, "new contents");
  assertEquals(await Deno.readTextFile(`${dir}/f`), "new contents");
  assertEquals([...Deno.readDirSync(dir)].length, 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("cosine schedule: linear warm-up, cosine to eta_min, per iteration", () => {
  const s = cosineSchedule({
    baseLr: 0.1,
    epochs: 10,
    itersPerEpoch: 5,
    warmupEpochs: 2,
    warmupInitLr: 0.01,
    etaMin: 0.001,
  });
  assertClose(s.at(0, 0), 0.01, 1e-12);
  assertClose(s.at(1, 0), 0.01 + 0.09 * 5 / 10, 1e-12);
  assertClose(s.at(2, 0), 0.1, 1e-12);
  const mid = 10 + 20; // halfway through the 40 cosine iterations
  assertClose(s.at(Math.floor(mid / 5), mid % 5), 0.001 + 0.099 / 2, 1e-12);
  assert(s.at(9, 4) > 0.001 && s.at(9, 4) < 0.0012, "ends near eta_min");
});

Deno.test("multi-step schedule multiplies by gamma at each milestone", () => {
  const s = multiStepSchedule(0.1, [60, 120, 160], 0.2);
  assertClose(s.at(59, 0), 0.1, 1e-12);
  assertClose(s.at(60, 0), 0.02, 1e-12);
  assertClose(s.at(130, 3), 0.004, 1e-12);
  assertClose(s.at(199, 0), 0.1 * 0.2 ** 3, 1e-12);
});

const SEED_COSINE: SeedScheduleOptions = {
  scheduler: "CosineLRscheduler",
  baseLr: 0.1,
  epochs: 5,
  warmupEpoch: 2,
  warmupInitLr: 0.01,
  etaMin: 0.001,
  milestone: [],
  gamma: 1,
};

/** Every step's rate over a whole run, as a (epoch, step) -> lr table. */
function perStep(o: SeedScheduleOptions, step: "epoch" | "iteration", iters: number): number[][] {
  const s = buildSchedule(o, step, iters);
  return Array.from({ length: o.epochs }, (_, e) => Array.from({ length: iters }, (_, i) => s.at(e, i)));
}

Deno.test("lr --lr_step epoch: the seed's cosine, stepped after each epoch, step by step", () => {
  // The seed: lr starts at the base rate; after epoch e it sets get_lr(e). By hand from its formulas:
  // get_lr(0) = 0.01 (warm-up start), get_lr(1) = 0.01 + 0.09 / 2, get_lr(2) = cosine at 0 = 0.1,
  // get_lr(3) = 0.001 + 0.099 * (1 + cos(pi / 3)) / 2 = 0.07525.
  const want = [0.1, 0.01, 0.055, 0.1, 0.07525];
  const got = perStep(SEED_COSINE, "epoch", 3);
  got.forEach((epoch, e) =>
    epoch.forEach((lr, i) => assertClose(lr, want[e], 1e-12, `epoch ${e} step ${i}`))
  );
});

Deno.test("lr --lr_step epoch: the seed's MultiStep decays the epoch after epoch > milestone", () => {
  const o: SeedScheduleOptions = {
    ...SEED_COSINE,
    scheduler: "MultiStepLRscheduler",
    epochs: 7,
    warmupEpoch: 0,
  };
  o.milestone = [2, 4];
  o.gamma = 0.5;
  // get_lr(e) = 0.1 * 0.5^(#milestones m with e > m): get_lr(2) = 0.1, get_lr(3) = 0.05, get_lr(5) = 0.025.
  const want = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025];
  perStep(o, "epoch", 2).forEach((epoch, e) =>
    epoch.forEach((lr, i) => assertClose(lr, want[e], 1e-12, `epoch ${e} step ${i}`))
  );
  // With a warm-up the seed's MultiStep warms up too: get_lr(0) = 0.01, get_lr(1) = 0.055.
  const warm = perStep({ ...o, warmupEpoch: 2 }, "epoch", 1).map((e) => e[0]);
  [0.1, 0.01, 0.055, 0.1, 0.05, 0.05, 0.025].forEach((w, e) => assertClose(warm[e], w, 1e-12, `warm ${e}`));
});

Deno.test("lr --lr_step iteration keeps the per-iteration schedule without lag", () => {
  const it = perStep(SEED_COSINE, "iteration", 5);
  assertClose(it[0][0], 0.01, 1e-12);
  assertClose(it[1][0], 0.01 + 0.09 * 5 / 10, 1e-12);
  assertClose(it[2][0], 0.1, 1e-12);
  assert(it[0][1] > it[0][0], "moves within an epoch");
  const ms = perStep(
    { ...SEED_COSINE, scheduler: "MultiStepLRscheduler", milestone: [2], gamma: 0.5 },
    "iteration",
    2,
  );
  assertEquals(ms.map((e) => e[0]), [0.1, 0.1, 0.05, 0.05, 0.05]);
});
