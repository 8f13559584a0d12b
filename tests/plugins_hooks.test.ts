// A plugin hook that throws, or answers a boolean hook with something else, fails the step with a
// PluginHookError naming the plugin, its file, the hook and the step; cosSim's warm-up is the seed's.
import * as sw from "../mod.ts";
import { createEngine, loadPlugin, PluginHookError, Registry, type StepContext } from "../src/plugins/mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { gpuTest } from "./harness.ts";
import { disposeSet, makeSet } from "./optim_fixtures.test.ts";

const dir = Deno.makeTempDirSync({ prefix: "samwise_hooks_" });

/** Writes a criterion module whose hooks are `hooks` (source text of an object literal). */
function criterionModule(name: string, hooks: string): string {
  const path = `${dir}/${name}.ts`;
  Deno.writeTextFileSync(
    path,
    `export default { name: "${name}", kind: "criterion", description: "test", create: () => (${hooks}) };`,
  );
  return path;
}

async function firstError(name: string, hooks: string, steps = 5): Promise<unknown> {
  const registry = registerBuiltins(new Registry());
  const path = criterionModule(name, hooks);
  await loadPlugin(path, registry);
  const set = makeSet([Float64Array.from([1, 2])], [[2]]);
  const k = sw.tensor([1, 1], [2]).keep();
  const engine = createEngine({ set, opt: "vassore-sgd", crt: name, registry });
  let err: unknown = null;
  try {
    for (let i = 0; i < steps; i++) {
      await engine.step(() => sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], k)))));
    }
  } catch (e) {
    err = e;
  }
  engine.dispose();
  k.dispose();
  disposeSet(set);
  return err;
}

gpuTest("a throwing shouldPerturb names the plugin, its file, the hook and the step", async () => {
  const err = await firstError(
    "boomCrt",
    `{ shouldPerturb(ctx) { if (ctx.step === 3) throw new Error("boom"); return true; } }`,
  );
  assert(err instanceof PluginHookError, `got ${err}`);
  const e = err as PluginHookError;
  assertEquals(e.message, `plugin boomCrt (${dir}/boomCrt.ts): shouldPerturb threw at step 3: boom`);
  assertEquals([e.plugin, e.hook, e.step], ["boomCrt", "shouldPerturb", 3]);
  assert(!e.message.includes("\n"), "one line");
});

gpuTest("an async shouldPerturb that rejects, and other hooks that throw, are named too", async () => {
  const rej = await firstError(
    "asyncCrt",
    `{ async shouldPerturb(ctx) { if (ctx.step === 2) throw new Error("late"); return true; } }`,
  ) as PluginHookError;
  assertEquals(rej.message, `plugin asyncCrt (${dir}/asyncCrt.ts): shouldPerturb threw at step 2: late`);
  const after = await firstError(
    "afterCrt",
    `{ shouldPerturb: () => true, afterStep(ctx) { if (ctx.step === 4) throw new TypeError("x is undefined"); } }`,
  ) as PluginHookError;
  assertEquals(
    after.message,
    `plugin afterCrt (${dir}/afterCrt.ts): afterStep threw at step 4: x is undefined`,
  );
});

gpuTest("a boolean hook that returns a non-boolean fails the step", async () => {
  const undef = await firstError("undefCrt", `{ shouldPerturb(ctx) { if (ctx.step < 3) return true; } }`);
  assert(undef instanceof PluginHookError, `got ${undef}`);
  assertEquals(
    (undef as Error).message,
    `plugin undefCrt (${dir}/undefCrt.ts): shouldPerturb returned undefined at step 3, expected true or false`,
  );
  const str = await firstError("strCrt", `{ samStep: () => "yes", shouldPerturb: () => true }`);
  assertEquals(
    (str as Error).message,
    `plugin strCrt (${dir}/strCrt.ts): samStep returned "yes" at step 1, expected true or false`,
  );
  const num = await firstError("numCrt", `{ shouldPerturb: async () => 1 }`);
  assertEquals(
    (num as Error).message,
    `plugin numCrt (${dir}/numCrt.ts): shouldPerturb returned 1 at step 1, expected true or false`,
  );
});

gpuTest(
  "cosSim: the first 2 steps perturb (the seed's counter <= 1), then crt_c 0 perturbs on cos < 0",
  async () => {
    // A constant gradient: cos(g_t, g_{t-1}) = 1 > 0 once two outer gradients exist, so every step
    // after the warm-up skips; the seed perturbs on counters 0 and 1, i.e. steps 1 and 2.
    const set = makeSet([Float64Array.from([0.5, -1, 2])], [[3]]);
    const k = sw.tensor([1, 2, 3], [3]).keep();
    const engine = createEngine({ set, opt: "vassore-sgd", crt: "cosSim", options: { crt_c: 0 } });
    let seq = "";
    for (let i = 0; i < 8; i++) {
      const r = await engine.step(() => sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], k)))));
      seq += r.perturbed ? "P" : "s";
      if (i === 2) assert(Math.abs(r.metrics.crt_cos - 1) < 1e-5, `cos at step 3: ${r.metrics.crt_cos}`);
    }
    assertEquals(seq, "PP" + "s".repeat(6));
    engine.dispose();
    k.dispose();
    disposeSet(set);
  },
);

gpuTest("ctx.loss carries the step's inner and outer loss tensors, read later without a sync", async () => {
  const registry = registerBuiltins(new Registry());
  const seen: { inner: sw.Tensor; outer: sw.Tensor } = {
    inner: sw.zeros([1]).keep(),
    outer: sw.zeros([1]).keep(),
  };
  const order: string[] = [];
  registry.register({
    name: "lossSpy",
    kind: "criterion",
    description: "copies the losses",
    skips: false,
    create: () => ({
      shouldPerturb: (ctx: StepContext) => {
        order.push(`decide:${ctx.loss.inner === null && ctx.loss.outer === null}`);
        return true;
      },
      beforeAscent(ctx: StepContext) {
        order.push(`ascent:${ctx.loss.inner !== null}:${ctx.loss.outer === null}`);
        sw.copy_([sw.reshape(ctx.loss.inner!, [1])], [seen.inner]);
      },
      beforeBaseStep(ctx: StepContext) {
        order.push(`base:${ctx.loss.outer !== null}`);
        sw.copy_([sw.reshape(ctx.loss.outer!, [1])], [seen.outer]);
      },
    }),
  }, "test");
  const set = makeSet([Float64Array.from([1, 2])], [[2]]);
  const engine = createEngine({ set, opt: "sam-sgd", crt: "lossSpy", registry, options: { rho: 0.5 } });
  const rt = sw.runtime();
  rt.flush();
  rt.resetCounters();
  // Loss sum(w^2): inner at w = [1, 2] is 5; outer at w + e, e = 0.5 * g / ||g||, g = 2w.
  const r = await engine.step(() =>
    sw.tidy(() => {
      const loss = sw.sum(sw.square(set.params[0]));
      sw.backward(loss);
      return { loss };
    })
  );
  assertEquals(rt.stats().readbacks, 0, "the engine read nothing back");
  assertEquals(order, ["decide:true", "ascent:true:true", "base:true"]);
  const [inner, outer] = [(await seen.inner.data())[0], (await seen.outer.data())[0]];
  assertEquals(inner, (await r.inner!.loss.data())[0]);
  assertEquals(outer, (await r.outer.loss.data())[0]);
  const s = 1 + 0.5 / Math.sqrt(20) * 2; // w + e = w * (1 + rho * 2 / ||2w||)
  assert(Math.abs(inner - 5) < 1e-5 && Math.abs(outer - 5 * s * s) < 1e-4, `${inner} ${outer}`);
  r.inner!.loss.dispose();
  r.outer.loss.dispose();
  seen.inner.dispose();
  seen.outer.dispose();
  engine.dispose();
  disposeSet(set);
});

gpuTest(
  "beforeBaseStep runs after the restore of w and its gradient is the one the base step uses",
  async () => {
    const registry = registerBuiltins(new Registry());
    const wSeen = sw.zeros([3]).keep();
    registry.register({
      name: "zeroGrad",
      kind: "criterion",
      description: "zeroes the outer gradient",
      skips: false,
      create: () => ({
        beforeBaseStep(ctx: StepContext) {
          sw.copy_(ctx.params, [wSeen]);
          sw.scale_(0, ctx.grads);
        },
      }),
    }, "test");
    const run = async (crt: string) => {
      const set = makeSet([Float64Array.from([1, -2, 3])], [[3]]);
      const k = sw.tensor([1, 1, 1], [3]).keep();
      const options = { lr: 0.1, momentum: 0, weight_decay: 0, rho: 0.3 };
      const engine = createEngine({ set, opt: "sam-sgd", crt, registry, options });
      await engine.step(() => sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], k)))));
      const w = [...await set.params[0].data()];
      engine.dispose();
      k.dispose();
      disposeSet(set);
      return w;
    };
    assertEquals(await run("zeroGrad"), [1, -2, 3], "a zeroed gradient leaves w where it was");
    assertEquals([...await wSeen.data()], [1, -2, 3], "the hook saw w restored, not w + e");
    const moved = await run("baseline");
    assert(moved.every((x, i) => Math.abs(x - ([1, -2, 3][i] - 0.1)) < 1e-6), `baseline moved w to ${moved}`);
    wSeen.dispose();
  },
);

gpuTest("declared state: saved under crt.<name>, restored in place, freed by the engine", async () => {
  const registry = registerBuiltins(new Registry());
  const made: { t: sw.Tensor; s: { count: number; seen: number[] } }[] = [];
  registry.register({
    name: "stateful",
    kind: "criterion",
    description: "counts steps",
    skips: false,
    create: () => {
      const t = sw.zeros([2]).keep();
      const s = { count: 0, seen: [] as number[] };
      made.push({ t, s });
      return {
        state: { tensors: { acc: [t] }, scalars: s },
        shouldPerturb: () => true,
        afterStep(ctx: StepContext) {
          s.count++;
          s.seen.push(ctx.step);
          sw.axpy_(1, ctx.grads, [t]);
        },
      };
    },
  }, "test");
  const set = makeSet([Float64Array.from([1, 2])], [[2]]);
  const k = sw.tensor([3, 4], [2]).keep();
  const closure = () => sw.tidy(() => sw.backward(sw.sum(sw.mul(set.params[0], k))));
  const a = createEngine({ set, opt: "sam-sgd", crt: "stateful", registry });
  for (let i = 0; i < 3; i++) await a.step(closure);
  const st = a.saveState();
  assertEquals([...await st.tensors["crt.acc"][0].data()], [9, 12]);
  assertEquals(st.json.crt, { count: 3, seen: [1, 2, 3] });
  const b = createEngine({ set, opt: "sam-sgd", crt: "stateful", registry });
  b.loadState(st);
  assertEquals(made[1].s, { count: 3, seen: [1, 2, 3] }, "scalars assigned into the plugin's own object");
  assertEquals([...await made[1].t.data()], [9, 12], "tensor contents copied into the plugin's own tensor");
  await b.step(closure);
  assertEquals(made[1].s.seen, [1, 2, 3, 4]);
  a.dispose();
  b.dispose();
  assert(made.every((m) => m.t.isDisposed), "declared tensors are freed by engine.dispose()");
  k.dispose();
  disposeSet(set);
});

gpuTest("a plugin that hand-writes saveState/loadState is told to declare its state", async () => {
  const path = criterionModule(
    "handSaved",
    `{ shouldPerturb: () => true, saveState: () => ({}), loadState() {} }`,
  );
  const registry = registerBuiltins(new Registry());
  await loadPlugin(path, registry);
  const set = makeSet([Float64Array.from([1])], [[1]]);
  let msg = "";
  try {
    createEngine({ set, opt: "vassore-sgd", crt: "handSaved", registry }).dispose();
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/'handSaved': saveState\/loadState are not plugin hooks: declare `state/.test(msg), msg);
  disposeSet(set);
});
