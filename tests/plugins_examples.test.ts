// The worked third-party plugins: they import only the public front door; LookSAM (which needs
// beforeBaseStep) matches a float64 reference of the paper's update; both train through
// `--plugin` on the CLI.
import * as sw from "../mod.ts";
import { createEngine, loadPlugin, type ParamSet, Registry } from "../src/plugins/mod.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { main } from "../src/cli/train.ts";
import { readResults } from "../src/train/results_csv.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import { disposeSet, makeSet, quadraticModel, readFlat, split } from "./optim_fixtures.test.ts";
import { makeQuadratic, norm, quadraticGrad } from "./optim_reference.test.ts";

const LOOK = new URL("../plugins/examples/look_sam.ts", import.meta.url);
const AE = new URL("../plugins/examples/ae_sam.ts", import.meta.url);

Deno.test("the examples import only the plugin front door", () => {
  for (const url of [LOOK, AE]) {
    const src = Deno.readTextFileSync(url);
    const specifiers = [...src.matchAll(/from\s+"([^"]+)"/g)].map((m) => m[1]);
    assertEquals(specifiers, ["../../src/plugins/mod.ts"], url.pathname);
  }
});

const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** LookSAM with plain SGD (no momentum, no decay) in float64, written from the paper's update. */
export function lookSamReference(
  grad: (w: Float64Array, t: number) => Float64Array,
  w0: Float64Array,
  o: { steps: number; k: number; rho: number; alpha: number; lr: number },
): { w: Float64Array; full: boolean[] } {
  const w = Float64Array.from(w0);
  let u = new Float64Array(w.length);
  const full: boolean[] = [];
  for (let i = 0; i < o.steps; i++) {
    const isFull = i % o.k === 0;
    full.push(isFull);
    const g = grad(w, i);
    let d: Float64Array;
    if (isFull) {
      const gn = norm(g);
      const gs = grad(Float64Array.from(w, (x, j) => x + o.rho * g[j] / (gn + 1e-12)), i);
      // g_v = g_s - (g_s . g / ||g||^2) g; u = g_v / ||g_v||.
      const c = dotp(gs, g) / (gn * gn);
      const gv = Float64Array.from(gs, (x, j) => x - c * g[j]);
      const vn = norm(gv);
      u = Float64Array.from(gv, (x) => x / (vn + 1e-12));
      d = gs;
    } else {
      const gn = norm(g);
      d = Float64Array.from(g, (x, j) => x + o.alpha * gn * u[j]);
    }
    for (let j = 0; j < w.length; j++) w[j] -= o.lr * d[j];
  }
  return { w, full };
}

for (const opt of ["looksam_example-sgd", "looksam-sgd"]) {
  gpuTest(`LookSAM (${opt}): matches the float64 reference of the paper's update`, async () => {
    const registry = registerBuiltins(new Registry());
    if (opt.startsWith("looksam_example")) await loadPlugin(LOOK.href, registry);
    const q = makeQuadratic(7, 1.0);
    const model = quadraticModel(q);
    const o = { steps: 13, k: 3, rho: 0.2, alpha: 0.7, lr: 0.05 };
    const set: ParamSet = makeSet(split(model.w0, model.sizes), model.shapes);
    const engine = createEngine({
      set,
      opt,
      registry,
      options: { lr: o.lr, momentum: 0, weight_decay: 0, rho: o.rho, look_k: o.k, look_alpha: o.alpha },
    });
    const full: boolean[] = [];
    for (let t = 0; t < o.steps; t++) {
      const r = await engine.step(() => sw.tidy(() => sw.backward(model.gpuLoss(set, t))));
      full.push(r.perturbed);
    }
    const w = await readFlat(set.params);
    const ref = lookSamReference((x, t) => quadraticGrad(q, x, t), model.w0, o);
    assertEquals(full, ref.full, "full SAM steps on 1, 1 + k, ...");
    assertEquals(engine.counters.innerBackward, 5);
    const err = Math.max(...w.map((x, i) => Math.abs(x - ref.w[i])));
    assert(err < 2e-5, `max |w - w_ref| = ${err}`);
    // Without the reused component (alpha 0) the result differs: the hook is what moves it.
    const plain = lookSamReference((x, t) => quadraticGrad(q, x, t), model.w0, { ...o, alpha: 0 });
    assert(Math.max(...w.map((x, i) => Math.abs(x - plain.w[i]))) > 1e-3, "alpha had no effect");
    engine.dispose();
    disposeSet(set);
    model.dispose();
  });
}

const TINY = ["--train_images", "64", "--test_images", "32", "--epochs", "1", "--model", "wideresnet10x1"];

async function trainWith(args: string[]): Promise<{ code: number; out: string }> {
  const out = await Deno.makeTempDir({ prefix: "samwise_examples_" });
  const code = await main([...TINY, ...args, "--output_dir", out, "--output_name", "run"], {
    out: () => {},
  });
  return { code, out };
}

async function stepDecisions(dir: string): Promise<boolean[]> {
  const lines = (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  return lines.filter((r) => r.type === "step").map((r) => Boolean(r.fired));
}

gpuTest("LookSAM through --plugin on the CLI: trains, full steps every look_k, row written", async () => {
  const { code, out } = await trainWith([
    "--plugin",
    "plugins/examples/look_sam.ts",
    "--opt",
    "looksam_example-sgd",
    "--look_k",
    "2",
    "--batch_size",
    "16",
  ]);
  assertEquals(code, 0);
  const rows = await readResults(`${out}/results.csv`);
  assertEquals(rows.length, 1);
  assertEquals(rows[0].optimizer, "looksam_example-sgd");
  // 64 images in batches of 16: 4 steps, full on 1 and 3.
  assertEquals(await stepDecisions(`${out}/run`), [true, false, true, false]);
  assertEquals(Number(rows[0].bwp_overhead), 1.5);
});

gpuTest("AE-SAM through --plugin on the CLI: trains with vassore-sgd, row written", async () => {
  const { code, out } = await trainWith([
    "--plugin",
    "plugins/examples/ae_sam.ts",
    "--opt",
    "vassore-sgd",
    "--crt",
    "ae_sam_example",
    "--ae_warmup",
    "1",
    "--batch_size",
    "16",
  ]);
  assertEquals(code, 0);
  const rows = await readResults(`${out}/results.csv`);
  assertEquals([rows.length, rows[0].optimizer, rows[0].criterion], [1, "vassore-sgd", "ae_sam_example"]);
  const d = await stepDecisions(`${out}/run`);
  assertEquals(d.length, 4);
  assertEquals(d[0], true, "the first step perturbs");
});
