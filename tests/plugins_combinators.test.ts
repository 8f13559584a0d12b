// Criterion combinators: warmup, every, any, all; every rule's hooks still run, decisions fold,
// state passes through (one rule) or is namespaced (several), answers are checked.
import { all, any, type CriterionHooks, every, type StepContext, warmup } from "../src/plugins/mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";

function ctxAt(step: number): StepContext {
  return {
    step,
    iteration: step,
    epoch: 0,
    perturb: false,
    random: () => 0.5,
    log: () => {},
  } as unknown as StepContext;
}

async function sequence(h: CriterionHooks, n: number): Promise<string> {
  let out = "";
  for (let t = 1; t <= n; t++) {
    const ctx = ctxAt(t);
    out += (await h.shouldPerturb!(ctx)) ? "P" : "s";
    h.afterStep?.(ctx);
  }
  return out;
}

Deno.test("every(k) is the seed's counter % k == 0 on counter = t - 1", async () => {
  for (const k of [1, 2, 3, 5]) {
    const want = Array.from({ length: 20 }, (_, c) => (c % k === 0 ? "P" : "s")).join("");
    assertEquals(await sequence(every(k), 20), want, `k=${k}`);
  }
  let msg = "";
  try {
    every(0);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "every(k): k must be an integer >= 1, got 0");
});

Deno.test("warmup(n, rule): steps 1..n perturb without asking; other hooks run every step", async () => {
  const asked: number[] = [], after: number[] = [];
  const rule = {
    shouldPerturb: (ctx: StepContext) => {
      asked.push(ctx.step);
      return false;
    },
    afterStep: (ctx: StepContext) => void after.push(ctx.step),
  };
  assertEquals(await sequence(warmup(3, rule), 5), "PPPss");
  assertEquals(asked, [4, 5]);
  assertEquals(after, [1, 2, 3, 4, 5]);
  // askDuring: the rule is asked every step (e.g. a random draw), its answer ignored during warm-up.
  const draws: number[] = [];
  const h = warmup(2, (ctx) => (draws.push(ctx.step), false), { askDuring: true });
  assertEquals(await sequence(h, 4), "PPss");
  assertEquals(draws, [1, 2, 3, 4]);
  // The seed's naive with k = 3: warmup(2, every(3)) perturbs 15 of 40 steps.
  assertEquals((await sequence(warmup(2, every(3)), 40)).split("P").length - 1, 15);
});

Deno.test("any/all ask every rule, sync or async, and fold the answers", async () => {
  const calls: string[] = [];
  const r = (name: string, f: (t: number) => boolean, async = false) => (ctx: StepContext) => {
    calls.push(`${name}${ctx.step}`);
    return async ? Promise.resolve(f(ctx.step)) : f(ctx.step);
  };
  const odd = (t: number) => t % 2 === 1, small = (t: number) => t <= 2;
  assertEquals(await sequence(any(r("a", odd), r("b", small, true)), 5), "PPPsP");
  assertEquals(calls, ["a1", "b1", "a2", "b2", "a3", "b3", "a4", "b4", "a5", "b5"], "no short-circuit");
  calls.length = 0;
  assertEquals(await sequence(all(r("a", odd), r("b", small)), 4), "Psss");
  assertEquals(calls.length, 8);
  // Sync rules give a sync answer (no promise per step).
  assertEquals(typeof all(every(1), () => true).shouldPerturb!(ctxAt(1)), "boolean");
  await assertRejects(
    () =>
      Promise.resolve(any(() => true, (() => "yes") as unknown as () => boolean).shouldPerturb!(ctxAt(1))),
    /any: rule 1 answered yes, expected true or false/,
  );
});

Deno.test("state: one rule's passes through; several are namespaced and restored in place", () => {
  const single = { shouldPerturb: () => true, state: { scalars: { n: 1 } } };
  assert(warmup(2, single).state === single.state, "a wrapped rule keeps its checkpoint keys");
  const a = { n: 0 }, b = { m: 5 };
  const t = [] as never[];
  const h = any(
    { shouldPerturb: () => true, state: { scalars: a, tensors: { x: t } } },
    () => false,
    { shouldPerturb: () => false, state: { scalars: b } },
  );
  assertEquals(JSON.parse(JSON.stringify(h.state!.scalars)), { "0.n": 0, "2.m": 5 });
  assertEquals(Object.keys(h.state!.tensors!), ["0.x"]);
  h.state!.scalars!["2.m"] = 7; // what the engine's restore does
  assertEquals(b.m, 7);
  a.n = 3;
  assertEquals(h.state!.scalars!["0.n"], 3);
});

Deno.test("warmup passes an async rule's answer through and checks it", async () => {
  const h = warmup(1, (ctx) => Promise.resolve(ctx.step === 3));
  assertEquals(await sequence(h, 4), "PsPs");
  await assertRejects(
    () => Promise.resolve(warmup(0, () => Promise.resolve(1 as unknown as boolean)).shouldPerturb!(ctxAt(1))),
    /warmup: rule answered 1, expected true or false/,
  );
});
