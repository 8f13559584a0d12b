// Decision sequences of the criteria, against sequences computed from the seed's formulas on its
// 0-based counter c = t - 1: naive (c % k == 0 or c <= 1), random (u < p or c <= 1), the gSAM
// criteria's warm-up c <= 100 (and the reads it does not need), cosSim's c <= 1, schedule's epoch
// ranges, and the BN flags of each pass.
import * as sw from "../mod.ts";
import { createEngine, type ParamSet, type StepEngine } from "../src/plugins/mod.ts";
import { parseSchedule, scheduled } from "../plugins/schedule.ts";
import { assert, assertClose, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import { assertTracesAgree, compare, disposeSet, makeSet, quadraticModel } from "./optim_fixtures.test.ts";
import { makeQuadratic, mulberry32, type RefConfig } from "./optim_reference.test.ts";

/** A one-tensor set whose loss sum(k * w) has the constant gradient k. */
function linear(k: number[]): { set: ParamSet; closure: () => void; dispose(): void } {
  const set = makeSet([new Float64Array(k.length)], [[k.length]]);
  const kt = sw.tensor(k, [k.length]).keep();
  return {
    set,
    closure: () => sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], kt)))),
    dispose() {
      kt.dispose();
      disposeSet(set);
    },
  };
}

/** The seed's naive decisions for `n` SAM steps: `counter % k == 0 or counter <= 1`, counter = t - 1. */
function seedNaive(k: number, n: number): string {
  return Array.from({ length: n }, (_, counter) => (counter % k === 0 || counter <= 1 ? "P" : "s")).join("");
}

/** Runs `n` steps and returns the decision string: P perturbed, s skipped, - plain. */
async function decisions(engine: StepEngine, closure: () => void, n: number): Promise<string> {
  let out = "";
  for (let i = 0; i < n; i++) {
    const r = await engine.step(closure);
    out += r.sam ? (r.perturbed ? "P" : "s") : "-";
  }
  return out;
}

gpuTest("naive k = 2, 3: the seed's decision sequence step for step; bwp = fwp -> 1 + 1/k", async () => {
  const m = linear([1, 2, 3]);
  for (
    const [opt, k, n] of [["vassore-sgd", 2, 200], ["vassoremu-adamw", 2, 200], [
      "vassore-sgd",
      3,
      40,
    ]] as const
  ) {
    const engine = createEngine({ opt, crt: "naive", options: { crt_k: k }, set: m.set });
    const seq = await decisions(engine, m.closure, n);
    const want = seedNaive(k, n);
    assertEquals(seq, want, `${opt} k=${k}`);
    const inner = want.split("").filter((d) => d === "P").length;
    // Steps 1, 2 (warm-up) and every t with (t - 1) % k == 0: k = 2 -> 101 of 200, k = 3 -> 15 of 40.
    assertEquals(inner, k === 2 ? 101 : 15, `${opt} k=${k} inner passes`);
    const { fwp, bwp } = engine.overheads();
    assertClose(bwp, 1 + inner / n, 1e-12, `${opt} bwp`);
    assertClose(fwp, bwp, 0, `${opt} fwp`);
    assertEquals(engine.counters, { iterations: n, samSteps: n, innerForward: inner, innerBackward: inner });
    engine.dispose();
  }
  assertEquals(seedNaive(2, 8), "PPPsPsPs");
  assertEquals(seedNaive(3, 10), "PPsPssPssP");
  m.dispose();
});

gpuTest("random: decisions follow the seeded stream, p of the steps perturb", async () => {
  const m = linear([1, -1]);
  const p = 0.3, n = 300;
  const run = async (seed: number) => {
    const engine = createEngine({
      opt: "vassore-sgd",
      crt: "random",
      options: { crt_p: p },
      set: m.set,
      seed,
    });
    const s = await decisions(engine, m.closure, n);
    engine.dispose();
    return s;
  };
  const a = await run(42), b = await run(42), c = await run(43);
  const r = mulberry32(42);
  // The seed: `rndm < p or counter <= 1`, one draw per SAM step, warm-up included.
  const want = Array.from({ length: n }, (_, counter) => (r() < p || counter <= 1 ? "P" : "s")).join("");
  assertEquals(a, want, "seed 42");
  assertEquals(a, b, "same seed, same decisions");
  assert(a !== c, "another seed gives other decisions");
  const frac = (a.slice(2).match(/P/g)?.length ?? 0) / (n - 2);
  assert(Math.abs(frac - p) < 0.08, `fraction ${frac}`);
  m.dispose();
});

gpuTest(
  "gSAMflat: the first 101 steps perturb (seed counter <= 100); reads start at step 101, awaited a step later",
  async () => {
    // A constant gradient: tau climbs towards ||g|| from below, so tau > phi * ||g|| (phi = 1) never
    // holds and gSAMflat would skip every step but for the warm-up.
    const m = linear([3, 4]); // ||g|| = 5
    const engine = createEngine({
      opt: "vassoremu-sgd",
      crt: "gSAMflat",
      options: { crt_z: 1, lam: 0.1 },
      set: m.set,
    });
    const rt = sw.runtime();
    rt.resetCounters();
    let seq = "";
    const reads: number[] = [];
    for (let t = 1; t <= 120; t++) {
      const before = rt.stats().readbacks;
      const r = await engine.step(m.closure);
      reads.push(rt.stats().readbacks - before);
      seq += r.perturbed ? "P" : "s";
      if (t === 102) {
        assertClose(r.metrics.crt_gnorm, 5, 1e-5, "||g|| read for step 102");
        assertClose(r.metrics.crt_tau, 5 * (1 - 0.9 ** 101), 1e-4, "tau read for step 102");
      }
    }
    assertEquals(seq, "P".repeat(101) + "s".repeat(19));
    assertEquals(reads.slice(0, 100), new Array(100).fill(0), "no readback during the warm-up");
    assertEquals(reads.slice(100), new Array(20).fill(1), "one readback per step from step 101");
    const tau = (await engine.saveState().tensors["crt.tau"][0].data())[0];
    assertClose(tau, 5 * (1 - 0.9 ** 120), 1e-4, "tau after 120 steps");
    engine.dispose();
    m.dispose();
  },
);

gpuTest("gSAMsharp with a large z skips after the warm-up; gSAMratio perturbs on either side", async () => {
  const m = linear([3, 4]);
  const sharp = createEngine({ opt: "vassore-sgd", crt: "gSAMsharp", options: { crt_z: 10 }, set: m.set });
  const s = await decisions(sharp, m.closure, 105);
  // phi' = 0.9 / 10 + 0.1 = 0.19 and tau ~ ||g||: tau < phi' ||g|| is false.
  assertEquals(s, "P".repeat(101) + "ssss");
  sharp.dispose();
  // z_two = 0.5: phi' = 1.9 > 1, so tau < phi' ||g|| holds and gSAMratio perturbs every step.
  const ratio = createEngine({
    opt: "vassore-sgd",
    crt: "gSAMratio",
    options: { crt_z: 1, z_two: 0.5 },
    set: m.set,
  });
  assertEquals(await decisions(ratio, m.closure, 103), "P".repeat(103));
  ratio.dispose();
  m.dispose();
});

Deno.test("schedule: crt_s parsing, half-open ranges, single epochs", () => {
  assertEquals(parseSchedule("[100-200]"), [[100, 200]]);
  assertEquals(parseSchedule("[0-10], [50-60],75,[80]"), [[0, 10], [50, 60], [75, 76], [80, 81]]);
  const r = parseSchedule("[100-200]");
  assertEquals([99, 100, 199, 200].map((e) => scheduled(e, r)), [false, true, true, false]);
  for (const bad of ["[a-b]", "100-", "[5-5]", "[7-3]"]) {
    let msg = "";
    try {
      parseSchedule(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg !== "", `"${bad}" should not parse`);
  }
});

gpuTest("schedule: SAM-family steps only in the scheduled epochs, matching the reference", async () => {
  const model = quadraticModel(makeQuadratic(8));
  const cfg: RefConfig = {
    base: { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: false },
    variant: "vasso",
    rho: 0.05,
    theta: 0.4,
    crt: { kind: "schedule", ranges: [[1, 3], [5, 6]] },
    bnUpdate: "once",
    seed: 1,
  };
  const { gpu, ref } = await compare(model, cfg, { steps: 16, epochLength: 2 });
  assertTracesAgree("schedule", gpu, ref, 1e-5, 1e-5);
  const seq = gpu.steps.map((s) => (s.sam ? (s.perturbed ? "P" : "s") : "-")).join("");
  assertEquals(seq, "--PPPP----PP----");
  assertEquals(gpu.counters, { iterations: 16, samSteps: 6, innerForward: 6, innerBackward: 6 });
  model.dispose();
});

gpuTest(
  "BN flags: with bn_update once only the first forward pass of a step updates statistics",
  async () => {
    const m = linear([1, 1]);
    for (const mode of ["once", "both"] as const) {
      const engine = createEngine({
        opt: "vassore-sgd",
        crt: "naive",
        options: { crt_k: 3, bn_update: mode },
        set: m.set,
      });
      const seen: string[] = [];
      for (let i = 0; i < 3; i++) {
        await engine.step((pass) => {
          seen.push(`${pass.pass}:${pass.updateBnStats ? 1 : 0}`);
          m.closure();
        });
      }
      // Steps 1 and 2 perturb (warm-up), step 3 skips (counter 2, 2 % 3 != 0).
      const want = mode === "once"
        ? ["inner:1", "outer:0", "inner:1", "outer:0", "outer:1"]
        : ["inner:1", "outer:1", "inner:1", "outer:1", "outer:1"];
      assertEquals(seen, want, mode);
      engine.dispose();
    }
    m.dispose();
  },
);
