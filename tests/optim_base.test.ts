// Base optimizers (SGD with momentum/Nesterov/weight decay, AdamW) against the float64 reference on
// a quadratic and a 2-layer MLP, over flat, grouped and separate parameter lists; one fused dispatch per
// step over a flat model; the gradient is left intact.
// Tolerance: |gpu - ref| <= 1e-5 + 1e-5 * |ref| per weight after 25 steps (float32 GPU vs float64
// CPU; the observed worst error is about 2e-6).
import * as sw from "../mod.ts";
import { createEngine } from "../src/plugins/mod.ts";
import { Sgd } from "../src/step/mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import {
  assertTracesAgree,
  compare,
  disposeSet,
  makeSet,
  mlpModel,
  type Model,
  quadraticModel,
  readFlat,
} from "./optim_fixtures.test.ts";
import { makeMlp, makeQuadratic, type RefBase, type RefConfig } from "./optim_reference.test.ts";

const ATOL = 1e-5, RTOL = 1e-5;

const bases: [string, RefBase][] = [
  ["sgd momentum 0.9", { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: false }],
  ["sgd nesterov", { kind: "sgd", lr: 0.05, momentum: 0.8, weightDecay: 5e-3, nesterov: true }],
  ["sgd no momentum", { kind: "sgd", lr: 0.1, momentum: 0, weightDecay: 1e-2, nesterov: false }],
  ["adamw", { kind: "adamw", lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 }],
  ["adamw betas 0.8 0.99", { kind: "adamw", lr: 0.02, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1 }],
];

const models: [string, () => Model][] = [
  ["quadratic", () => quadraticModel(makeQuadratic(3))],
  ["mlp", () => mlpModel(makeMlp(4))],
];

for (const [mname, make] of models) {
  for (const [bname, base] of bases) {
    for (const layout of ["flat", "groups", "separate"] as const) {
      gpuTest(
        `${bname} on the ${mname} (${layout}) matches the float64 reference`,
        async () => {
          const model = make();
          const cfg: RefConfig = {
            base,
            variant: null,
            rho: 0,
            theta: 0,
            crt: { kind: "baseline" },
            bnUpdate: "once",
            seed: 1,
          };
          const { gpu, ref } = await compare(model, cfg, { steps: 25, layout });
          assertTracesAgree(`${bname}/${mname}`, gpu, ref, ATOL, RTOL);
          assertEquals(gpu.counters, { iterations: 25, samSteps: 0, innerForward: 0, innerBackward: 0 });
          model.dispose();
        },
      );
    }
  }
}

gpuTest(
  "a base step over a flat model is one pass whatever the number of tensors, and leaves grads intact",
  async () => {
    const rt = sw.runtime();
    for (const name of ["sgd", "adamw"]) {
      const counts: number[] = [];
      for (const n of [1, 6]) {
        const vals = Array.from(
          { length: n },
          (_, i) => Float64Array.from({ length: 5 + i }, (_, j) => j - 2),
        );
        const set = makeSet(vals, vals.map((v) => [v.length]));
        sw.tidy(() =>
          sw.backward(sw.sum(set.params.map((p) => sw.sum(sw.square(p))).reduce((a, b) => sw.add(a, b))))
        );
        const before = await readFlat(set.grads);
        const engine = createEngine({ opt: name, set, options: { momentum: 0.9, nesterov: true } });
        rt.flush();
        rt.resetCounters();
        engine.base.step();
        counts.push(rt.stats().dispatches + rt.pendingCount);
        const after = await readFlat(set.grads);
        assert(after.every((g, i) => g === before[i]), `${name}: the step modified the gradient`);
        engine.dispose();
        disposeSet(set);
      }
      // SGD: a vec4 pass and a float pass for the last n % 4 elements (5 and 45 floats here).
      const most = name === "sgd" ? 2 : 1;
      assert(counts[0] === counts[1] && counts[0] <= most, `${name}: dispatches per step ${counts}`);
    }
  },
);

gpuTest("Sgd rejects Nesterov without momentum, as PyTorch does", () => {
  const set = makeSet([new Float64Array([1])], [[1]], "separate");
  let msg = "";
  try {
    new Sgd(set, { lr: 0.1, momentum: 0, nesterov: true });
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/Nesterov/.test(msg), `got "${msg}"`);
  disposeSet(set);
});
