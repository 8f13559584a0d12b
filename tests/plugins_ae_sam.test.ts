// The worked third-party example, plugins/examples/ae_sam.ts, loaded only through loadPlugin:
// its options reach the option list, and vassore/vassoremu with it match a float64 reference
// of the AE-SAM rule (weights within 1e-5 + 1e-5 |w|, identical decisions).
import { formatOptionHelp, listOptions, loadPlugin, Registry, resolveConfig } from "../src/plugins/mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { gpuTest } from "./harness.ts";
import { assertTracesAgree, compare, quadraticModel } from "./optim_fixtures.test.ts";
import { makeQuadratic, type RefConfig, type RefCriterion } from "./optim_reference.test.ts";

const EXAMPLE = new URL("../plugins/examples/ae_sam.ts", import.meta.url);

/** AE-SAM's rule in float64, written from its description in the example's documentation. */
function aeSamReference(delta: number, c: number, warmup: number): RefCriterion {
  let mu = 0, sigma2 = 0, seen = 0;
  let last: number | null = null;
  return {
    kind: "custom",
    skips: true,
    decide(t) {
      if (last === null) return true;
      const s = last;
      last = null;
      if (seen === 0) [mu, sigma2] = [s, 0];
      else {
        mu = delta * mu + (1 - delta) * s;
        sigma2 = delta * sigma2 + (1 - delta) * (s - mu) ** 2;
      }
      seen++;
      return t <= warmup || s > mu + c * Math.sqrt(sigma2);
    },
    afterStep(g) {
      last = g.reduce((a, x) => a + x * x, 0);
    },
  };
}

gpuTest("ae_sam loads from a path or a URL, and its options appear in the option list", async () => {
  const byPath = registerBuiltins(new Registry());
  const loaded = await loadPlugin(EXAMPLE.pathname, byPath);
  assertEquals(loaded.map((d) => d.name), ["ae_sam_example"]);
  assert(byPath.criterion("ae_sam_example")?.source === EXAMPLE.pathname, "source is the specifier");
  const byUrl = registerBuiltins(new Registry());
  await loadPlugin(EXAMPLE.href, byUrl);
  const opts = listOptions(byUrl);
  const mine = opts.filter((o) => o.owners.includes("ae_sam_example")).map((o) => o.flag);
  assertEquals(mine, ["--ae_delta", "--ae_c", "--ae_warmup"]);
  assert(
    opts.find((o) => o.name === "crt")!.choices!.includes("ae_sam_example"),
    "--crt lists ae_sam_example",
  );
  const help = formatOptionHelp(opts.find((o) => o.name === "ae_delta")!);
  assert(/--ae_delta <number>.*default 0\.9.*range \[0, 1\).*ae_sam_example/.test(help), help);
  await assertRejects(
    () => Promise.resolve(resolveConfig({ opt: "vassore-sgd", crt: "ae_sam_example", ae_delta: 1 }, byUrl)),
    /^--ae_delta must be in \[0, 1\), got 1$/,
  );
  await assertRejects(() => loadPlugin(EXAMPLE.href, byUrl), /already registered by/);
  // Without loading it, the built-in registry does not know it.
  await assertRejects(
    () =>
      Promise.resolve(
        resolveConfig({ opt: "vassore-sgd", crt: "ae_sam_example" }, registerBuiltins(new Registry())),
      ),
    /^--crt: unknown criterion "ae_sam_example"/,
  );
});

// The example (loaded as a plugin) and the built-in `ae_sam` (plugins/ae_sam.ts) against one reference.
for (
  const [variant, crt] of [
    ["vassore", "ae_sam_example"],
    ["vassoremu", "ae_sam_example"],
    ["vassore", "ae_sam"],
  ] as const
) {
  gpuTest(`${variant}-sgd with ${crt} matches the float64 reference of the rule`, async () => {
    const registry = registerBuiltins(new Registry());
    if (crt === "ae_sam_example") await loadPlugin(EXAMPLE.href, registry);
    const model = quadraticModel(makeQuadratic(21, 1.5));
    const [delta, c, warmup] = [0.8, 0.3, 3];
    const cfg: RefConfig = {
      base: { kind: "sgd", lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov: false },
      variant,
      rho: 0.05,
      theta: 0.4,
      crt: aeSamReference(delta, c, warmup),
      bnUpdate: "once",
      seed: 1,
    };
    const { gpu, ref } = await compare(model, cfg, {
      steps: 30,
      registry,
      engineOverride: { crt, options: { ae_delta: delta, ae_c: c, ae_warmup: warmup } },
    });
    assertTracesAgree(`${variant} ${crt}`, gpu, ref, 1e-5, 1e-5);
    const skipped = ref.steps.filter((s) => !s.perturbed).length;
    assert(skipped > 3 && skipped < 27, `expected a mix of decisions, ${skipped} skipped`);
    model.dispose();
  });
}
