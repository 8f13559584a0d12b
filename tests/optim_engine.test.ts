// The step engine itself: exact restore of w, fused dispatches over flat buffers (independent of
// the number of tensors), one submit per step and no readbacks of its own, the extra buffers each
// optimizer allocates, flat memory over steps, one decision per step, and checkpoint/resume.
import * as sw from "../mod.ts";
import { createEngine, loadPlugin, type ParamSet, Registry, type StepEngine } from "../src/plugins/mod.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { gpuTest } from "./harness.ts";
import { disposeSet, makeSet, mlpModel, type Model, readFlat, split } from "./optim_fixtures.test.ts";
import { makeMlp } from "./optim_reference.test.ts";

function closureFor(model: Model, set: ParamSet, t: () => number) {
  return () => sw.tidy(() => sw.backward(model.gpuLoss(set, t())));
}

gpuTest("w is restored exactly from the saved copy: with lr 0 the weights never move", async () => {
  const model = mlpModel(makeMlp(2));
  const set = makeSet(split(model.w0, model.sizes), model.shapes);
  const w0 = await readFlat(set.params);
  const engine = createEngine({ opt: "sam-sgd", set, options: { lr: 0, weight_decay: 0, rho: 0.7 } });
  let t = 0;
  for (; t < 10; t++) await engine.step(closureFor(model, set, () => t));
  const w = await readFlat(set.params);
  assert(w.every((x, i) => Object.is(x, w0[i])), "weights changed: the restore is not exact");
  engine.dispose();
  disposeSet(set);
  model.dispose();
});

gpuTest("a failing outer pass still restores w", async () => {
  const set = makeSet([Float64Array.from([1, 2, 3])], [[3]]);
  const k = sw.tensor([1, 1, 1], [3]).keep();
  const engine = createEngine({ opt: "vasso-sgd", set, options: { rho: 0.5 } });
  await assertRejects(
    () =>
      engine.step((pass) => {
        sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], k))));
        if (pass.pass === "outer") throw new Error("boom");
      }),
    /boom/,
  );
  assertEquals([...await set.params[0].data()], [1, 2, 3]);
  k.dispose();
  engine.dispose();
  disposeSet(set);
});

/** Dispatches, submits and readbacks the engine itself adds to one step (the closure does nothing). */
async function engineCost(
  engine: StepEngine,
): Promise<{ dispatches: number; submits: number; readbacks: number }> {
  const rt = sw.runtime();
  await engine.step(() => {}); // warm-up steps: first-step paths and pipeline compilation
  await engine.step(() => {});
  rt.flush();
  rt.resetCounters();
  await engine.step(() => {});
  const s = rt.stats();
  return { dispatches: s.dispatches + rt.pendingCount, submits: s.submits, readbacks: s.readbacks };
}

gpuTest(
  "fused ops take a constant number of dispatches per parameter group, whatever the tensor count; one submit",
  async () => {
    for (const layout of ["flat", "groups"] as const) {
      for (const opt of ["sam-sgd", "vasso-sgd", "vassoremu-adamw"]) {
        const costs = [];
        // Every group spans more than the 2048 partial sums of a norm, so reductions have one shape.
        for (const n of [2, 10]) {
          const vals = Array.from(
            { length: n },
            (_, i) => Float64Array.from({ length: 6000 / n + i }, () => 0.5),
          );
          const set = makeSet(vals, vals.map((v) => [v.length]), layout);
          const engine = createEngine({ opt, set });
          costs.push(await engineCost(engine));
          engine.dispose();
          disposeSet(set);
        }
        assertEquals(costs[0], costs[1], `${opt} (${layout}): cost depends on the number of tensors`);
        // Flat: two gradient fills, the norm (partials, reduce), the ascent, the base step, the
        // EMA update (the last three each a vec4 pass and a float pass for the n % 4 last
        // elements). Two groups: each of these twice, plus one add joining the two norms.
        const most = layout === "flat" ? 11 : 21;
        assert(costs[0].dispatches <= most, `${opt} (${layout}): ${costs[0].dispatches} dispatches per step`);
        assertEquals(costs[0].submits, 1, `${opt} (${layout}): submits per step`);
        assertEquals(costs[0].readbacks, 0, `${opt} (${layout}): readbacks per step`);
      }
    }
  },
);

gpuTest(
  "extra buffers: SAM a copy of w; VaSSO + ema; VaSSOReMu + g_t; cosSim + g_{t-1}; AdamW two moments",
  () => {
    const floats = 16384; // 64 KiB: a pool bucket of its own, so buffers are counted exactly
    const set = makeSet([new Float64Array(floats)], [[floats]]);
    const rt = sw.runtime();
    const cases: [string, string, Record<string, unknown>, number][] = [
      ["sgd", "baseline", { momentum: 0 }, 0],
      ["sgd", "baseline", { momentum: 0.9 }, 1],
      ["adamw", "baseline", {}, 2],
      ["sam-sgd", "baseline", { momentum: 0 }, 1],
      ["vasso-sgd", "baseline", { momentum: 0 }, 2],
      ["vassore-sgd", "naive", { momentum: 0 }, 2],
      ["vassoremu-sgd", "naive", { momentum: 0 }, 3],
      ["vassore-sgd", "cosSim", { momentum: 0 }, 3],
      ["vassoremu-sgd", "cosSim", { momentum: 0 }, 4],
    ];
    for (const [opt, crt, options, want] of cases) {
      const before = rt.stats().allocatedBytes;
      const engine = createEngine({ opt, crt, options, set });
      const extra = rt.stats().allocatedBytes - before;
      assertEquals(Math.floor(extra / (floats * 4)), want, `${opt} ${crt}: parameter-sized buffers`);
      assert(extra % (floats * 4) <= 1024, `${opt} ${crt}: ${extra % (floats * 4)} bytes of small buffers`);
      engine.dispose();
      assertEquals(rt.stats().allocatedBytes, before, `${opt} ${crt}: dispose frees everything`);
    }
    disposeSet(set);
  },
);

gpuTest("live buffers stay flat over steps (vassoremu-sgd with cosSim on the MLP)", async () => {
  const model = mlpModel(makeMlp(3));
  const set = makeSet(split(model.w0, model.sizes), model.shapes);
  const engine = createEngine({ opt: "vassoremu-sgd", crt: "cosSim", set });
  const rt = sw.runtime();
  let t = 0;
  const live: number[] = [];
  for (; t < 30; t++) {
    const r = await engine.step(() =>
      sw.tidy(() => {
        const loss = model.gpuLoss(set, t);
        sw.backward(loss);
        return loss;
      })
    );
    r.outer.dispose();
    r.inner?.dispose();
    if (t >= 4) live.push(rt.stats().liveBuffers);
  }
  assert(live.every((n) => n === live[0]), `live buffers drift: ${live}`);
  engine.dispose();
  disposeSet(set);
  model.dispose();
});

gpuTest("the criterion decides once per step; every hook sees that decision", async () => {
  const registry = registerBuiltins(new Registry());
  const calls: string[] = [];
  registry.register({
    name: "everyThird",
    kind: "criterion",
    description: "perturb on steps divisible by 3 (test)",
    create: () => ({
      shouldPerturb(ctx) {
        calls.push(`decide ${ctx.step}`);
        return ctx.step % 3 === 0;
      },
      beforeAscent(ctx) {
        calls.push(`ascent ${ctx.step} ${ctx.perturb}`);
      },
      afterStep(ctx) {
        calls.push(`after ${ctx.step} ${ctx.perturb}`);
      },
    }),
  }, "test");
  const set = makeSet([new Float64Array(4)], [[4]]);
  const engine = createEngine({ opt: "vassoremu-sgd", crt: "everyThird", set, registry });
  for (let i = 0; i < 3; i++) await engine.step(() => {});
  assertEquals(calls, [
    "decide 1",
    "ascent 1 true", // the first step always perturbs
    "after 1 true",
    "decide 2",
    "ascent 2 false",
    "after 2 false",
    "decide 3",
    "ascent 3 true",
    "after 3 true",
  ]);
  engine.dispose();
  disposeSet(set);
});

/** The built-ins and the AE-SAM example (`plugins/examples/ae_sam.ts`). */
const registry = registerBuiltins(new Registry());
await loadPlugin(new URL("../plugins/examples/ae_sam.ts", import.meta.url).href, registry);

/** A checkpoint as it would be written to disk: plain arrays and JSON. */
async function snapshot(engine: StepEngine, set: ParamSet) {
  const s = engine.saveState();
  const tensors: Record<string, { data: Float32Array; shape: number[] }[]> = {};
  for (const [k, list] of Object.entries(s.tensors)) {
    tensors[k] = await Promise.all(list.map(async (t) => ({ data: await t.data(), shape: [...t.shape] })));
  }
  return { tensors, json: JSON.parse(JSON.stringify(s.json)), w: await readFlat(set.params) };
}

for (
  const [opt, crt, steps, layout] of [
    ["vassoremu-sgd", "random", 20, "flat"],
    ["vassore-adamw", "cosSim", 20, "groups"],
    ["vassoremu-sgd", "gSAMflat", 110, "flat"],
    // A third-party criterion whose state (a tensor and CPU scalars) is declared, not hand-saved.
    ["vassoremu-sgd", "ae_sam_example", 20, "groups"],
    // Issue 12's built-ins: rst draws from ctx.random(), looksam keeps u, msam reads the momentum.
    ["vassore-sgd", "rst", 20, "flat"],
    ["looksam-sgd", "baseline", 20, "groups"],
    ["msam-sgd", "baseline", 20, "flat"],
  ] as const
) {
  gpuTest(
    `resume (${opt}, ${crt}, ${layout}): save, rebuild, load and continue equals an uninterrupted run`,
    async () => {
      const model = mlpModel(makeMlp(6));
      const half = steps - 8;
      const train = async (engine: StepEngine, set: ParamSet, from: number, to: number) => {
        let seq = "";
        for (let t = from; t < to; t++) {
          const r = await engine.step(closureFor(model, set, () => t));
          seq += r.perturbed ? "P" : "s";
        }
        return seq;
      };
      const spec = { opt, crt, options: { crt_p: 0.5, crt_c: -0.2, ae_warmup: 2 }, seed: 5, registry };
      // Uninterrupted.
      const setA = makeSet(split(model.w0, model.sizes), model.shapes, layout);
      const a = createEngine({ ...spec, set: setA });
      const seqA = (await train(a, setA, 0, steps)).slice(half);
      const wA = await readFlat(setA.params);
      // Interrupted at `half`, resumed into fresh buffers.
      const setB = makeSet(split(model.w0, model.sizes), model.shapes, layout);
      const b = createEngine({ ...spec, set: setB });
      await train(b, setB, 0, half);
      const snap = await snapshot(b, setB);
      b.dispose();
      disposeSet(setB);
      const setC = makeSet(split(snap.w, model.sizes), model.shapes, layout);
      const c = createEngine({ ...spec, set: setC });
      const loaded: Record<string, Tensor[]> = {};
      for (const [k, list] of Object.entries(snap.tensors)) {
        loaded[k] = list.map((x) => sw.tensor(x.data, x.shape));
      }
      c.loadState({ tensors: loaded, json: snap.json });
      Object.values(loaded).flat().forEach((t) => t.dispose());
      const seqC = await train(c, setC, half, steps);
      const wC = await readFlat(setC.params);
      assertEquals(seqC, seqA, "decisions after the resume");
      assertEquals(c.counters, a.counters, "counters");
      assert(wC.every((x, i) => x === wA[i]), "weights differ from the uninterrupted run");
      [a, c].forEach((e) => e.dispose());
      [setA, setC].forEach(disposeSet);
      model.dispose();
    },
  );
}
