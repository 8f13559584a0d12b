/**
 * Combinators for decision rules: build a criterion from small rules instead of re-implementing
 * warm-ups and step counting in each one. Every built-in criterion is written with them.
 *
 * ```ts
 * import { type CriterionPlugin, every, warmup } from "./mod.ts";
 * const naive: CriterionPlugin = {
 *   name: "naive2",
 *   kind: "criterion",
 *   description: "perturb every crt_k-th step after a 2-step warm-up",
 *   create: ({ options }) => warmup(2, every(options.number("crt_k"))),
 * };
 * ```
 *
 * A rule is a function of the step context, or a criterion's hooks object with `shouldPerturb`
 * (then its other hooks, e.g. an `afterStep` that keeps a norm, and its declared `state` come
 * along). The result is a criterion's hooks object: every hook of every rule still runs each
 * step, in order; only the decisions are combined. Steps are the 1-based SAM steps of
 * `ctx.step`; the seed's counter is `ctx.step - 1`.
 *
 * @module
 */
import type { CriterionHooks, DeclaredState, JsonValue, StepContext } from "../step/hooks.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A decision, possibly awaited (a rule may wait for a read it started a step earlier). */
export type Decision = boolean | Promise<boolean>;

/** A decision rule: a function of the step, or criterion hooks whose `shouldPerturb` decides. */
export type Rule =
  | ((ctx: StepContext) => Decision)
  | (CriterionHooks & { shouldPerturb(ctx: StepContext): Decision });

type HooksRule = CriterionHooks & { shouldPerturb(ctx: StepContext): Decision };

function toHooks(rule: Rule, where: string): HooksRule {
  if (typeof rule === "function") return { shouldPerturb: rule };
  if (!rule || typeof rule.shouldPerturb !== "function") {
    throw new TypeError(`${where}: a rule must be a function or hooks with shouldPerturb(ctx)`);
  }
  return rule;
}

function answer(v: unknown, where: string): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${where} answered ${String(v)}, expected true or false`);
  return v;
}

/** Asks every rule (no short-circuit, so each rule's own bookkeeping runs) and folds the answers. */
function askAll(
  rules: HooksRule[],
  ctx: StepContext,
  fold: (xs: boolean[]) => boolean,
  name: string,
): Decision {
  const vs = rules.map((r) => r.shouldPerturb(ctx));
  const where = (i: number) => `${name}: rule ${i}`;
  if (vs.some((v) => v instanceof Promise)) {
    return Promise.all(vs).then((xs) => fold(xs.map((x, i) => answer(x, where(i)))));
  }
  return fold((vs as boolean[]).map((x, i) => answer(x, where(i))));
}

/**
 * The state of several rules as one declared state: names prefixed with the rule's index
 * (`0.tau`, `1.count`); scalars through accessors, so the engine's restore writes into each
 * rule's own object. A single rule's state passes through unchanged (same checkpoint keys).
 */
function mergedState(rules: HooksRule[]): DeclaredState | undefined {
  const withState = rules.filter((r) => r.state);
  if (!withState.length) return undefined;
  if (rules.length === 1) return rules[0].state;
  const tensors: Record<string, readonly Tensor[]> = {};
  const scalars: Record<string, JsonValue> = {};
  rules.forEach((r, i) => {
    const st = r.state;
    if (!st) return;
    for (const [k, v] of Object.entries(st.tensors ?? {})) tensors[`${i}.${k}`] = v;
    const own = st.scalars;
    if (!own) return;
    for (const k of Object.keys(own)) {
      Object.defineProperty(scalars, `${i}.${k}`, {
        enumerable: true,
        get: () => own[k],
        set: (v: JsonValue) => (own[k] = v),
      });
    }
  });
  return { tensors, scalars };
}

/** Hooks that run every rule's hooks in order, with `shouldPerturb` given by `decide`. */
function combine(rules: HooksRule[], decide: (ctx: StepContext) => Decision): CriterionHooks {
  const out: { -readonly [K in keyof CriterionHooks]: CriterionHooks[K] } = { shouldPerturb: decide };
  const has = (k: keyof CriterionHooks) => rules.some((r) => typeof r[k] === "function");
  // Only hooks some rule has are defined, so the engine skips the rest at no cost.
  if (has("onEpochStart")) out.onEpochStart = (ctx) => rules.forEach((r) => r.onEpochStart?.(ctx));
  if (has("samStep")) {
    out.samStep = (ctx) =>
      rules.map((r) => (r.samStep ? answer(r.samStep(ctx), "samStep") : true)).every((x) => x);
  }
  for (const k of ["beforeAscent", "beforeBaseStep", "afterStep"] as const) {
    if (has(k)) out[k] = (ctx: StepContext) => rules.forEach((r) => r[k]?.(ctx));
  }
  if (has("dispose")) out.dispose = () => rules.forEach((r) => r.dispose?.());
  const state = mergedState(rules);
  if (state) out.state = state;
  return out;
}

/**
 * The first `n` SAM steps (1-based steps 1..n) perturb; later steps ask `rule`. During the
 * warm-up the rule is not asked, unless `askDuring` (for a rule whose answer consumes something
 * every step, as `random` draws from the stream); its other hooks run every step either way. The
 * seed's `counter <= 1` and `counter <= 100` are `warmup(2, ...)` and `warmup(101, ...)`.
 */
export function warmup(n: number, rule: Rule, opts: { askDuring?: boolean } = {}): CriterionHooks {
  const r = toHooks(rule, "warmup");
  const ask = (ctx: StepContext): Decision => {
    const v = r.shouldPerturb(ctx);
    return v instanceof Promise ? v.then((x) => answer(x, "warmup: rule")) : answer(v, "warmup: rule");
  };
  return combine([r], (ctx) => {
    if (ctx.step > n) return ask(ctx);
    if (!opts.askDuring) return true;
    const v = ask(ctx);
    return v instanceof Promise ? v.then(() => true) : true;
  });
}

/**
 * Perturbs on 1-based SAM steps t with (t - 1) % k == 0: steps 1, 1 + k, 1 + 2k, ..., i.e. the
 * seed's `counter % k == 0`.
 */
export function every(k: number): { shouldPerturb(ctx: StepContext): boolean } {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`every(k): k must be an integer >= 1, got ${k}`);
  return { shouldPerturb: (ctx) => (ctx.step - 1) % k === 0 };
}

/** Perturbs when any rule says so; every rule is asked every step (no short-circuit). */
export function any(...rules: Rule[]): CriterionHooks {
  const rs = rules.map((r, i) => toHooks(r, `any: rule ${i}`));
  return combine(rs, (ctx) => askAll(rs, ctx, (xs) => xs.some((x) => x), "any"));
}

/** Perturbs when every rule says so; every rule is asked every step (no short-circuit). */
export function all(...rules: Rule[]): CriterionHooks {
  const rs = rules.map((r, i) => toHooks(r, `all: rule ${i}`));
  return combine(rs, (ctx) => askAll(rs, ctx, (xs) => xs.every((x) => x), "all"));
}
