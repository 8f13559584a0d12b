// GPU-side fixtures of the optimizer tests: tiny models built from mod.ts ops over flat (views
// into one buffer, padded to 256 bytes as models lay them out) or separate parameter lists, and
// a runner that trains the GPU engine and the float64 reference side by side.
// Run directly, this file checks the fixtures themselves.
import * as sw from "../mod.ts";
import { Storage, Tensor } from "../src/tensor/tensor.ts";
import { createEngine, type ParamSet, type PassContext, type Registry } from "../src/plugins/mod.ts";
import { paramSet } from "../src/step/mod.ts";
import type { StepEngine } from "../src/step/engine.ts";
import { assert, assertClose } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import {
  type Mlp,
  mlpLossGrad,
  type Quadratic,
  quadraticGrad,
  type RefConfig,
  RefEngine,
  type RefStep,
} from "./optim_reference.test.ts";

/** Splits a flat vector into per-tensor pieces. */
export function split(w: Float64Array, sizes: number[]): Float64Array[] {
  let o = 0;
  return sizes.map((n) => w.slice(o, o += n));
}

/** Views into one zero-padded buffer, 256-byte aligned, holding `values` (kept). */
function flatViews(values: Float64Array[], shapes: number[][]): Tensor[] {
  const offs: number[] = [];
  let bytes = 0;
  for (const v of values) {
    offs.push(bytes);
    bytes = Math.ceil((bytes + v.length * 4) / 256) * 256;
  }
  const st = Storage.alloc(bytes);
  const all = new Float32Array(bytes / 4);
  values.forEach((v, i) => all.set(Float32Array.from(v), offs[i] / 4));
  sw.runtime().write(st.buffer, 0, all);
  const list = values.map((_, i) => {
    st.retain();
    return new Tensor(shapes[i], st, offs[i]).keep();
  });
  st.release();
  return list;
}

/**
 * How a test lays parameters out: `flat` as views into one buffer each for parameters and
 * gradients (the nn layer's layout), `groups` as two such buffers (the layout of a model larger
 * than one storage binding), `separate` as one tensor each.
 */
export type SetLayout = "flat" | "groups" | "separate";

/** A ParamSet over `values` in the given layout. */
export function makeSet(values: Float64Array[], shapes: number[][], layout: SetLayout = "flat"): ParamSet {
  if (layout === "separate") {
    return paramSet(values.map((v, i) => sw.tensor(Float32Array.from(v), shapes[i]).keep()));
  }
  const cut = layout === "groups" ? Math.ceil(values.length / 2) : values.length;
  const views = (vals: Float64Array[]) => [
    ...flatViews(vals.slice(0, cut), shapes.slice(0, cut)),
    ...(cut < vals.length ? flatViews(vals.slice(cut), shapes.slice(cut)) : []),
  ];
  const params = views(values);
  const grads = views(values.map((v) => new Float64Array(v.length)));
  params.forEach((p, i) => {
    p.requiresGrad = true;
    p.grad = grads[i];
  });
  return { params, grads };
}

/** Reads a tensor list back into one flat float64 vector. */
export async function readFlat(list: readonly Tensor[]): Promise<Float64Array> {
  const parts = await Promise.all(list.map((t) => t.data()));
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Frees a ParamSet made by {@link makeSet}. */
export function disposeSet(set: ParamSet): void {
  for (const p of set.params) p.dispose(); // disposes p.grad too
}

/** A model the runner can train on both sides. */
export interface Model {
  sizes: number[];
  shapes: number[][];
  w0: Float64Array;
  /** The float64 gradient at `w` for step index `t` (0-based). */
  refGrad(w: Float64Array, t: number): Float64Array;
  /** The GPU closure for step index `t`: forward, backward, return the loss. */
  gpuLoss(set: ParamSet, t: number): Tensor;
  dispose(): void;
}

/** The quadratic on the GPU: 0.5 * sum a (w - c_t)^2, from sub, square, mul, sum. */
export function quadraticModel(q: Quadratic): Model {
  const a = split(q.a, q.sizes).map((v, i) => sw.tensor(Float32Array.from(v), q.shapes[i]).keep());
  return {
    sizes: q.sizes,
    shapes: q.shapes,
    w0: q.w0,
    refGrad: (w, t) => quadraticGrad(q, w, t),
    gpuLoss(set, t) {
      const c = split(q.target(t), q.sizes);
      let loss: Tensor | null = null;
      set.params.forEach((p, i) => {
        const ci = sw.tensor(Float32Array.from(c[i]), q.shapes[i]);
        const term = sw.mulScalar(sw.sum(sw.mul(a[i], sw.square(sw.sub(p, ci)))), 0.5);
        loss = loss ? sw.add(loss, term) : term;
      });
      return loss!;
    },
    dispose: () => a.forEach((t) => t.dispose()),
  };
}

/** The MLP on the GPU: relu(x W1 + b1) W2 + b2, cross-entropy; batch t % batches. */
export function mlpModel(m: Mlp): Model {
  const xs = m.batches.map((b) => sw.tensor(Float32Array.from(b.x), [m.B, m.D]).keep());
  const ys = m.batches.map((b) => sw.tensor(Float32Array.from(b.y), [m.B]).keep());
  return {
    sizes: m.sizes,
    shapes: m.shapes,
    w0: m.w0,
    refGrad: (w, t) => mlpLossGrad(m, w, t).grad,
    gpuLoss(set, t) {
      const [W1, b1, W2, b2] = set.params;
      const k = t % m.batches.length;
      const h = sw.relu(sw.add(sw.matmul(xs[k], W1), b1));
      return sw.crossEntropy(sw.add(sw.matmul(h, W2), b2), ys[k]);
    },
    dispose: () => [...xs, ...ys].forEach((t) => t.dispose()),
  };
}

/** Engine options equivalent to a reference configuration. */
export function engineArgs(cfg: RefConfig): { opt: string; crt: string; options: Record<string, unknown> } {
  const b = cfg.base;
  const options: Record<string, unknown> = {
    lr: b.lr,
    weight_decay: b.weightDecay,
    rho: cfg.rho,
    theta: cfg.theta,
  };
  if (b.kind === "sgd") Object.assign(options, { momentum: b.momentum, nesterov: b.nesterov });
  else Object.assign(options, { betas: b.betas, eps: b.eps });
  const c = cfg.crt;
  if (c.kind === "naive") options.crt_k = c.k;
  if (c.kind === "random") options.crt_p = c.p;
  if (c.kind === "cosSim") options.crt_c = c.c;
  if (c.kind === "schedule") options.crt_s = c.ranges.map(([a, e]) => `[${a}-${e}]`).join(",");
  if (c.kind.startsWith("gSAM")) {
    Object.assign(options, { crt_z: (c as { z: number }).z, lam: (c as { lam: number }).lam });
  }
  if (c.kind === "gSAMratio") options.z_two = c.zTwo;
  options.bn_update = cfg.bnUpdate;
  return { opt: cfg.variant ? `${cfg.variant}-${b.kind}` : b.kind, crt: c.kind, options };
}

/** What one side of a comparison produced. */
export interface Trace {
  w: Float64Array;
  steps: RefStep[];
  counters: { iterations: number; samSteps: number; innerForward: number; innerBackward: number };
  ema: Float64Array | null;
  tau: number | null;
}

/** Options of {@link compare}. */
export interface CompareOptions {
  steps: number;
  /** Parameter layout (default flat). */
  layout?: SetLayout;
  /** Steps per epoch; `startEpoch` is called at each epoch boundary. */
  epochLength?: number;
  registry?: Registry;
  /** Engine criterion name and options to use instead of the reference's (third-party plugins). */
  engineOverride?: { crt: string; options: Record<string, unknown> };
  /** Called after each GPU step (e.g. to collect readback counts). */
  onStep?: (engine: StepEngine, t: number) => void;
}

/** Trains `model` with `cfg` on the GPU engine and in the float64 reference; returns both traces. */
export async function compare(
  model: Model,
  cfg: RefConfig,
  o: CompareOptions,
): Promise<{ gpu: Trace; ref: Trace }> {
  const epochLength = o.epochLength ?? Infinity;
  // Reference.
  const ref = new RefEngine(cfg, model.w0);
  const refSteps: RefStep[] = [];
  for (let t = 0; t < o.steps; t++) {
    if (t % epochLength === 0) ref.epoch = Math.floor(t / epochLength);
    refSteps.push(ref.step((w) => model.refGrad(w, t)));
  }
  // GPU.
  const set = makeSet(split(model.w0, model.sizes), model.shapes, o.layout);
  const args = engineArgs(cfg);
  if (o.engineOverride) {
    args.crt = o.engineOverride.crt;
    Object.assign(args.options, o.engineOverride.options);
  }
  const engine = createEngine({ ...args, set, seed: cfg.seed, registry: o.registry });
  const steps: RefStep[] = [];
  for (let t = 0; t < o.steps; t++) {
    if (t % epochLength === 0) engine.startEpoch(Math.floor(t / epochLength));
    const passes: [string, boolean][] = [];
    const r = await engine.step((pass: PassContext) => {
      passes.push([pass.pass, pass.updateBnStats]);
      assert(pass.iteration === t + 1, `pass iteration ${pass.iteration} at step ${t}`);
      return sw.tidy(() => {
        const loss = model.gpuLoss(set, t);
        sw.backward(loss);
        return loss;
      });
    });
    r.inner?.dispose();
    r.outer.dispose();
    steps.push({ sam: r.sam, perturbed: r.perturbed, passes });
    o.onStep?.(engine, t);
  }
  const state = engine.saveState();
  const gpu: Trace = {
    w: await readFlat(set.params),
    steps,
    counters: { ...engine.counters },
    ema: state.tensors["opt.ema"] ? await readFlat(state.tensors["opt.ema"]) : null,
    tau: state.tensors["crt.tau"] ? (await state.tensors["crt.tau"][0].data())[0] : null,
  };
  engine.dispose();
  disposeSet(set);
  const refTrace: Trace = {
    w: ref.w,
    steps: refSteps,
    counters: { ...ref.counters },
    ema: ref.ema,
    tau: ref.tau,
  };
  return { gpu, ref: refTrace };
}

/** Largest |a - b| / (atol + rtol * |b|); <= 1 means within tolerance. */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  assert(a.length === b.length, `lengths ${a.length} and ${b.length}`);
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    w = Math.max(w, Number.isNaN(e) ? Infinity : e);
  }
  return w;
}

/** Asserts weights, EMA, tau, decisions and counters of two traces agree. */
export function assertTracesAgree(name: string, gpu: Trace, ref: Trace, atol: number, rtol: number): void {
  const decisions = (t: Trace) => t.steps.map((s) => (s.sam ? (s.perturbed ? "P" : "s") : "-")).join("");
  assert(
    decisions(gpu) === decisions(ref),
    `${name}: decisions\n gpu ${decisions(gpu)}\n ref ${decisions(ref)}`,
  );
  const passes = (t: Trace) => JSON.stringify(t.steps.map((s) => s.passes));
  assert(passes(gpu) === passes(ref), `${name}: passes / BN flags differ`);
  assert(JSON.stringify(gpu.counters) === JSON.stringify(ref.counters), `${name}: counters differ`);
  const ww = worst(gpu.w, ref.w, atol, rtol);
  assert(ww <= 1, `${name}: weights differ (worst error ${ww.toFixed(2)} x tolerance)`);
  if (ref.ema) {
    assert(gpu.ema !== null, `${name}: the engine has no EMA`);
    const we = worst(gpu.ema!, ref.ema, atol, rtol);
    assert(we <= 1, `${name}: EMA differs (worst error ${we.toFixed(2)} x tolerance)`);
  }
  if (gpu.tau !== null) assertClose(gpu.tau, ref.tau!, atol + rtol * Math.abs(ref.tau!), `${name}: tau`);
}

if (Deno.mainModule === import.meta.url) {
  gpuTest("fixtures: flat sets are padded views whose gradients backward() fills in place", async () => {
    const vals = [new Float64Array([1, 2, 3]), new Float64Array([4, 5])];
    const set = makeSet(vals, [[3], [2]]);
    assert(set.params[1].offset === 256 && set.params[0].storage === set.params[1].storage, "flat layout");
    // backward() inside the scope: disposing the intermediates would cut the tape.
    sw.tidy(() => sw.backward(sw.add(sw.sum(sw.square(set.params[0])), sw.sum(set.params[1]))));
    const g = await readFlat(set.grads);
    assert(JSON.stringify([...g]) === JSON.stringify([2, 4, 6, 1, 1]), `grads ${g}`);
    disposeSet(set);
  });
}
