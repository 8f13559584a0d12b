// The SAM family (sam, vasso, vassore, vassoremu) with every criterion against the float64
// reference on a quadratic and a 2-layer MLP: weights, EMA, tau, per-step decisions, BN flags and
// counters. Tolerance: |gpu - ref| <= 1e-5 + 1e-5 * |ref| per element (the observed worst error is
// about 2e-6 after 25 steps, 4e-6 after 130). Decisions must agree exactly: the thresholds below
// are chosen so that no reference decision lies within 1e-3 (relative) of its threshold.
import { gpuTest } from "./harness.ts";
import {
  assertTracesAgree,
  compare,
  mlpModel,
  type Model,
  quadraticModel,
  type SetLayout,
} from "./optim_fixtures.test.ts";
import {
  makeMlp,
  makeQuadratic,
  type RefBase,
  type RefConfig,
  type RefCriterion,
} from "./optim_reference.test.ts";
import { assert } from "./assert.ts";

const ATOL = 1e-5, RTOL = 1e-5;
const SGD: RefBase = { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: false };
const ADAMW: RefBase = { kind: "adamw", lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 };
type Variant = RefConfig["variant"];

const models: Record<string, () => Model> = {
  quadratic: () => quadraticModel(makeQuadratic(3)),
  mlp: () => mlpModel(makeMlp(4)),
};

interface Case {
  model: keyof typeof models;
  variant: Variant;
  base?: RefBase;
  crt?: RefCriterion;
  steps?: number;
  layout?: SetLayout;
  bnUpdate?: "once" | "both";
  /** Expected decision pattern facts, checked on the reference (so the case tests something). */
  mixed?: boolean;
}

function run(c: Case): void {
  const crt = c.crt ?? { kind: "baseline" };
  const base = c.base ?? SGD;
  const name = `${c.variant}-${base.kind} with ${crt.kind} on the ${c.model}` +
    `${c.layout ? ` (${c.layout})` : ""}${c.bnUpdate === "both" ? " (bn_update both)" : ""}`;
  gpuTest(`${name} matches the float64 reference`, async () => {
    const model = models[c.model]();
    const cfg: RefConfig = {
      base,
      variant: c.variant,
      rho: 0.05,
      theta: 0.4,
      crt,
      bnUpdate: c.bnUpdate ?? "once",
      seed: 11,
    };
    const { gpu, ref } = await compare(model, cfg, { steps: c.steps ?? 25, layout: c.layout });
    assertTracesAgree(name, gpu, ref, ATOL, RTOL);
    if (c.mixed) {
      const p = ref.steps.filter((s) => s.perturbed).length;
      assert(
        p > 1 && p < ref.steps.length - 2,
        `${name}: expected a mix of perturbed and skipped steps, got ${p}`,
      );
    }
    model.dispose();
  });
}

// Every variant on both models and both bases, perturbing every step.
for (const model of ["quadratic", "mlp"] as const) {
  for (const variant of ["sam", "vasso", "vassore", "vassoremu"] as const) {
    for (const base of [SGD, ADAMW]) run({ model, variant, base });
  }
}

// The reuse variants with every skipping criterion.
const gsam = (kind: "gSAMflat" | "gSAMsharp" | "gSAMratio", z: number, zTwo = 1): RefCriterion => ({
  kind,
  z,
  zTwo,
  lam: 0.1,
});
for (const variant of ["vassore", "vassoremu"] as const) {
  for (const model of ["quadratic", "mlp"] as const) {
    run({ model, variant, crt: { kind: "naive", k: 3 }, mixed: true });
    run({ model, variant, crt: { kind: "random", p: 0.4 }, mixed: true });
    // crt_c is the seed's flag: 0 perturbs on cos < 0, anything else on cos > 0.
    run({ model, variant, crt: { kind: "cosSim", c: model === "mlp" ? -0.2 : 0 }, mixed: true });
  }
}
// The gSAM criteria warm up for 100 steps; 130 steps give 30 real decisions. Each rule runs on
// both models, the two reuse variants alternating (each run costs ~0.8 s under lavapipe).
const gsamCases: [RefCriterion, Variant, Variant][] = [
  [gsam("gSAMflat", 1), "vassore", "vassoremu"],
  [gsam("gSAMsharp", 0.9), "vassoremu", "vassore"],
  [gsam("gSAMratio", 1.1, 1.1), "vassore", "vassoremu"],
];
for (const [crt, onQuadratic, onMlp] of gsamCases) {
  run({ model: "quadratic", variant: onQuadratic, crt, steps: 130, mixed: true });
  run({ model: "mlp", variant: onMlp, crt, steps: 130, mixed: true });
}

// Separate parameter lists, two parameter groups, AdamW under reuse, and the seed's BN behaviour.
run({ model: "mlp", variant: "vassoremu", crt: { kind: "naive", k: 2 }, layout: "separate", mixed: true });
run({ model: "quadratic", variant: "sam", layout: "separate" });
run({ model: "mlp", variant: "vassoremu", crt: { kind: "cosSim", c: -0.2 }, layout: "groups", mixed: true });
run({ model: "quadratic", variant: "sam", base: ADAMW, layout: "groups" });
run({
  model: "quadratic",
  variant: "vassore",
  crt: { kind: "random", p: 0.4 },
  layout: "groups",
  mixed: true,
});
run({ model: "quadratic", variant: "vassore", base: ADAMW, crt: { kind: "random", p: 0.5 }, mixed: true });
run({ model: "mlp", variant: "vassoremu", crt: { kind: "naive", k: 2 }, bnUpdate: "both", mixed: true });
