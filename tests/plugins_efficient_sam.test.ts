// Issue 12's efficient-SAM built-ins, each against a float64 reference written from its paper's
// update (plain loops over a flat Float64Array, no engine code): asam, gsamopt, msam, rst; the
// seed's cosSim flag semantics; and --accum_steps (n micro-batches of b equal one batch of n*b).
// LookSAM and AE-SAM built-ins are checked in plugins_examples / plugins_ae_sam next to their examples.
import * as sw from "../mod.ts";
import { createEngine, type ParamSet, Registry } from "../src/plugins/mod.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { rstProbability } from "../plugins/rst.ts";
import { accumulated, combineLossAndHits, microSlice, splitBatch } from "../src/step/accumulate.ts";
import { main } from "../src/cli/train.ts";
import { parseTrainArgs } from "../src/cli/args.ts";
import { readResults } from "../src/train/results_csv.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import { disposeSet, makeSet, quadraticModel, readFlat, split } from "./optim_fixtures.test.ts";
import { f32Values, makeQuadratic, mulberry32, norm, quadraticGrad } from "./optim_reference.test.ts";

const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);
const EPS = 1e-12;
const LR = 0.05;

type Grad = (w: Float64Array) => Float64Array;

/** One step of each method with plain SGD (no momentum, no decay) in float64: the new w. */
const REFERENCE: Record<string, (w: Float64Array, grad: Grad, o: Record<string, number>) => Float64Array> = {
  // ASAM: T = |w| + eta; e = rho T^2 g / ||T g||; descend with the gradient at w + e.
  asam(w, grad, o) {
    const g = grad(w);
    const t = Float64Array.from(w, (x) => Math.abs(x) + o.asam_eta);
    const tg = Float64Array.from(g, (x, i) => t[i] * x);
    const n = norm(tg);
    const gs = grad(Float64Array.from(w, (x, i) => x + o.asam_rho * t[i] * tg[i] / (n + EPS)));
    return Float64Array.from(w, (x, i) => x - LR * gs[i]);
  },
  // GSAM: SAM's ascent; g = g_par + g_perp w.r.t. g_s; descend along g_s - alpha g_perp.
  gsamopt(w, grad, o) {
    const g = grad(w);
    const gn = norm(g);
    const gs = grad(Float64Array.from(w, (x, i) => x + o.rho * g[i] / (gn + EPS)));
    const c = dotp(g, gs) / dotp(gs, gs);
    const perp = Float64Array.from(g, (x, i) => x - c * gs[i]);
    return Float64Array.from(w, (x, i) => x - LR * (gs[i] - o.gsam_alpha * perp[i]));
  },
};

for (
  const [opt, options] of [
    ["asam-sgd", { asam_rho: 0.5, asam_eta: 0.01 }],
    ["gsamopt-sgd", { rho: 0.3, gsam_alpha: 0.4 }],
  ] as const
) {
  gpuTest(`${opt}: matches the float64 reference of the paper's update`, async () => {
    const name = opt.split("-")[0];
    const q = makeQuadratic(11, 1.0);
    const model = quadraticModel(q);
    const set: ParamSet = makeSet(split(model.w0, model.sizes), model.shapes, "groups");
    const engine = createEngine({
      set,
      opt,
      registry: registerBuiltins(new Registry()),
      options: { lr: LR, momentum: 0, weight_decay: 0, ...options },
    });
    let w: Float64Array = Float64Array.from(model.w0);
    let sgd = Float64Array.from(model.w0);
    for (let t = 0; t < 12; t++) {
      const r = await engine.step(() => sw.tidy(() => sw.backward(model.gpuLoss(set, t))));
      assert(r.perturbed, "every step is a SAM step");
      w = REFERENCE[name](w, (x) => quadraticGrad(q, x, t), options);
      sgd = Float64Array.from(sgd, (x, i) => x - LR * quadraticGrad(q, sgd, t)[i]);
    }
    const got = await readFlat(set.params);
    const err = Math.max(...got.map((x, i) => Math.abs(x - w[i])));
    assert(err < 2e-5, `max |w - w_ref| = ${err}`);
    const fromSgd = Math.max(...w.map((x, i) => Math.abs(x - sgd[i])));
    assert(fromSgd > 1e-2, `the method is indistinguishable from SGD (${fromSgd})`);
    assertEquals(engine.overheads().bwp, 2);
    engine.dispose();
    disposeSet(set);
    model.dispose();
  });
}

gpuTest(
  "msam-sgd: e = -rho m / ||m|| along SGD's momentum, no inner pass (bwp 1), float64 reference",
  async () => {
    const q = makeQuadratic(13, 1.0);
    const model = quadraticModel(q);
    const set = makeSet(split(model.w0, model.sizes), model.shapes);
    const [mu, rho] = [0.9, 0.3];
    const engine = createEngine({
      set,
      opt: "msam-sgd",
      registry: registerBuiltins(new Registry()),
      options: { lr: LR, momentum: mu, weight_decay: 0, msam_rho: rho },
    });
    const w = Float64Array.from(model.w0);
    let m: Float64Array = new Float64Array(w.length);
    let passes = 0;
    for (let t = 0; t < 15; t++) {
      const r = await engine.step(() => {
        passes++;
        return sw.tidy(() => sw.backward(model.gpuLoss(set, t)));
      });
      assert(r.sam && !r.perturbed, `step ${t + 1}: a SAM step without an inner pass`);
      // Becker et al.: w~ = w - rho m / ||m||; g at w~; m = mu m + g (PyTorch: m = g at first); w -= lr m.
      const mn = norm(m);
      const g = quadraticGrad(q, Float64Array.from(w, (x, i) => x - rho * m[i] / (mn + EPS)), t);
      m = t === 0 ? g : Float64Array.from(m, (x, i) => mu * x + g[i]);
      for (let i = 0; i < w.length; i++) w[i] -= LR * m[i];
    }
    assertEquals([passes, engine.counters.innerBackward, engine.overheads().bwp], [15, 0, 1]);
    const got = await readFlat(set.params);
    const err = Math.max(...got.map((x, i) => Math.abs(x - w[i])));
    assert(err < 5e-5, `max |w - w_ref| = ${err}`);
    engine.dispose();
    disposeSet(set);
    model.dispose();
  },
);

gpuTest("msam-sgd with --momentum 0: the first step fails with one line naming --momentum", async () => {
  const set = makeSet([Float64Array.from([0.5, -1, 2])], [[3]]);
  const engine = createEngine({
    set,
    opt: "msam-sgd",
    options: { momentum: 0 },
    registry: registerBuiltins(new Registry()),
  });
  await assertRejects(
    () => engine.step(() => sw.tidy(() => sw.backward(sw.sum(sw.square(set.params[0]))))),
    /^plugin msam \(built-in\): perturbation threw at step 1: .*use --momentum > 0$/,
  );
  engine.dispose();
  disposeSet(set);
});

Deno.test("rst schedules: constant, linear and cosine between p_start and p_end over rst_epochs", () => {
  assertEquals(rstProbability("constant", 0.3, 0.9, 5, 3), 0.3);
  const lin = [0, 2, 4, 9].map((e) => rstProbability("linear", 0.9, 0.1, 5, e));
  assert([0.9, 0.5, 0.1, 0.1].every((p, i) => Math.abs(p - lin[i]) < 1e-12), `linear ${lin}`);
  const cos = [0, 1, 2, 3, 4].map((e) => rstProbability("cosine", 1, 0, 5, e));
  const want = [1, (1 + Math.SQRT1_2) / 2, 0.5, (1 - Math.SQRT1_2) / 2, 0];
  assert(cos.every((p, i) => Math.abs(p - want[i]) < 1e-12), `cosine ${cos}`);
});

gpuTest(
  "rst: Bernoulli(p(epoch)) from the engine's seeded stream, the reference sequence exactly",
  async () => {
    const q = makeQuadratic(17, 1.0);
    const model = quadraticModel(q);
    const set = makeSet(split(model.w0, model.sizes), model.shapes);
    const seed = 42, perEpoch = 10, epochs = 4;
    const engine = createEngine({
      set,
      opt: "vassore-sgd",
      crt: "rst",
      seed,
      registry: registerBuiltins(new Registry()),
      options: { rst_schedule: "linear", rst_p_start: 0.9, rst_p_end: 0.1, rst_epochs: epochs },
    });
    const u = mulberry32(seed);
    let got = "", want = "";
    for (let t = 0; t < perEpoch * epochs; t++) {
      const epoch = Math.floor(t / perEpoch);
      if (t % perEpoch === 0) engine.startEpoch(epoch);
      const r = await engine.step(() => sw.tidy(() => sw.backward(model.gpuLoss(set, t))));
      got += r.perturbed ? "P" : "s";
      const p = 0.9 + (0.1 - 0.9) * epoch / (epochs - 1);
      want += u() < p || t === 0 ? "P" : "s";
      assert(Math.abs(r.metrics.rst_p - p) < 1e-12, `rst_p ${r.metrics.rst_p} at step ${t + 1}`);
    }
    assertEquals(got, want);
    const early = [...got.slice(0, 10)].filter((c) => c === "P").length;
    const late = [...got.slice(30)].filter((c) => c === "P").length;
    assert(early > late, `p falls: ${early} SAM steps in epoch 1, ${late} in epoch 4`);
    engine.dispose();
    disposeSet(set);
    model.dispose();
  },
);

gpuTest("cosSim follows the seed: crt_c 0 perturbs when cos < 0, any other crt_c when cos > 0", async () => {
  // A linear loss w . (+-k): the outer gradient is +-k whatever w is, so cos(g_t, g_{t-1}) is
  // +1 (constant sign) or -1 (alternating sign) from step 3 on; steps 1-2 are the warm-up.
  const cases: [number, boolean, string][] = [
    [0, false, "PPssssss"], // cos = +1, not < 0
    [0, true, "PPPPPPPP"], // cos = -1 < 0
    [0.5, false, "PPPPPPPP"], // cos = +1 > 0 (a threshold reading, cos <= 0.5, would skip)
    [-0.5, true, "PPssssss"], // cos = -1, not > 0 (cos <= -0.5 would perturb)
  ];
  for (const [c, alternate, want] of cases) {
    const set = makeSet([Float64Array.from([0.5, -1, 2])], [[3]]);
    const k = sw.tensor([1, 2, 3], [3]).keep();
    const engine = createEngine({
      set,
      opt: "vassore-sgd",
      crt: "cosSim",
      options: { crt_c: c },
      registry: registerBuiltins(new Registry()),
    });
    let seq = "";
    for (let i = 0; i < 8; i++) {
      const sign = alternate && i % 2 ? -1 : 1;
      const r = await engine.step(() =>
        sw.tidy(() => sw.backward(sw.mulScalar(sw.sum(sw.mul(set.params[0], k)), sign)))
      );
      seq += r.perturbed ? "P" : "s";
    }
    assertEquals(seq, want, `crt_c ${c}, ${alternate ? "alternating" : "constant"} gradient`);
    engine.dispose();
    k.dispose();
    disposeSet(set);
  }
});

Deno.test("splitBatch: n consecutive micro-batches, sizes within one, weights summing to 1", () => {
  const mbs = splitBatch(10, 3);
  assertEquals(mbs.map((m) => [m.start, m.size]), [[0, 4], [4, 3], [7, 3]]);
  assert(Math.abs(mbs.reduce((s, m) => s + m.weight, 0) - 1) < 1e-15, "weights");
  assertEquals(splitBatch(2, 4).map((m) => m.size), [1, 1], "fewer rows than micro-batches");
  assertEquals(splitBatch(16, 1), [{ index: 0, count: 1, start: 0, size: 16, weight: 1 }]);
});

/** A softmax regression x W + b on `steps` fixed batches of 16 rows (no BatchNorm). */
function softmaxProblem(seed: number, steps: number) {
  const [D, C, B] = [7, 5, 16];
  const r = mulberry32(seed);
  const w0 = [f32Values(D * C, r, -0.5, 0.5), f32Values(C, r, -0.1, 0.1)];
  const batches = Array.from({ length: steps }, () => ({
    x: sw.tensor(Float32Array.from(f32Values(B * D, r)), [B, D]).keep(),
    y: sw.tensor(Float32Array.from({ length: B }, () => Math.floor(r() * C)), [B]).keep(),
  }));
  return {
    w0,
    shapes: [[D, C], [C]],
    B,
    batches,
    dispose: () => batches.forEach((b) => (b.x.dispose(), b.y.dispose())),
  };
}

for (
  const [opt, crt] of [["sgd", "baseline"], ["sam-sgd", "baseline"], ["vassore-sgd", "naive"]] as const
) {
  gpuTest(`--accum_steps: ${opt} with 2 micro-batches of 8 equals 1 batch of 16`, async () => {
    const prob = softmaxProblem(23, 6);
    const run = async (n: number) => {
      const set = makeSet(prob.w0, prob.shapes);
      const engine = createEngine({
        set,
        opt,
        crt,
        registry: registerBuiltins(new Registry()),
        options: { lr: 0.5, momentum: 0.9, weight_decay: 1e-3, rho: 0.2, crt_k: 2 },
      });
      let calls = 0;
      const losses: number[] = [];
      const decisions: boolean[] = [];
      for (const b of prob.batches) {
        const res = await engine.step(accumulated(n, prob.B, (_pass, mb) =>
          sw.tidy(() => {
            calls++;
            const logits = sw.add(sw.matmul(microSlice(b.x, mb), set.params[0]), set.params[1]);
            const loss = sw.crossEntropy(logits, microSlice(b.y, mb));
            sw.backward(mb.count > 1 ? sw.mulScalar(loss, mb.weight) : loss);
            return { loss, hits: null };
          }), combineLossAndHits));
        losses.push((await res.outer.loss.data())[0]);
        decisions.push(res.perturbed);
        res.outer.loss.dispose();
        res.inner?.loss.dispose();
      }
      const w = await readFlat(set.params);
      const counters = { ...engine.counters };
      engine.dispose();
      disposeSet(set);
      return { w, losses, decisions, calls, counters };
    };
    const one = await run(1), two = await run(2);
    const passes = one.calls;
    assertEquals(two.calls, 2 * passes, "every pass runs both micro-batches");
    assertEquals(two.decisions, one.decisions);
    assertEquals(two.counters, one.counters, "counters (and so bwp) count passes, not micro-batches");
    if (opt === "vassore-sgd") assert(one.decisions.includes(false), "some steps skip (n passes only)");
    const err = Math.max(...two.w.map((x, i) => Math.abs(x - one.w[i]) / (1e-6 + Math.abs(one.w[i]))));
    assert(err < 1e-4, `weights: max relative difference ${err}`);
    const lossErr = Math.max(...two.losses.map((l, i) => Math.abs(l - one.losses[i])));
    assert(lossErr < 1e-5, `combined loss differs by ${lossErr}`);
    const moved = Math.max(
      ...one.w.map((x, i) => Math.abs(x - prob.w0[i < 35 ? 0 : 1][i < 35 ? i : i - 35])),
    );
    assert(moved > 1e-2, "the weights moved");
    prob.dispose();
  });
}

gpuTest(
  "--accum_steps 2 through the CLI: trains sam-sgd, bwp 2, row written; --accum_steps 0 refused",
  async () => {
    const out = await Deno.makeTempDir({ prefix: "samwise_accum_" });
    const args = [
      "--train_images",
      "64",
      "--test_images",
      "32",
      "--epochs",
      "1",
      "--model",
      "wideresnet10x1",
    ];
    const code = await main(
      [
        ...args,
        "--opt",
        "sam-sgd",
        "--batch_size",
        "16",
        "--accum_steps",
        "2",
        "--output_dir",
        out,
        "--output_name",
        "run",
      ],
      { out: () => {} },
    );
    assertEquals(code, 0);
    const rows = await readResults(`${out}/results.csv`);
    assertEquals([rows.length, rows[0].optimizer, Number(rows[0].bwp_overhead)], [1, "sam-sgd", 2]);
    assert(Number.isFinite(Number(rows[0]["top-1 test acc"])), "test accuracy measured");
    await assertRejects(
      () => parseTrainArgs(["--accum_steps", "0"]),
      /--accum_steps must be an integer in \[1, inf\]/,
    );
  },
);
