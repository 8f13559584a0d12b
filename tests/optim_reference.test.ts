// A float64 CPU reference of the optimizers and criteria, written from the algorithm statements
// (issue #5 and the seed), independently of the GPU code: flat Float64Array parameter vectors,
// plain loops. The optim_* tests run the GPU engine and this reference side by side.
// Run directly, this file also checks the reference itself (finite differences, hand-worked sequences).
import { assert, assertClose, assertEquals } from "./assert.ts";

/** mulberry32, re-implemented here so the reference does not share code with the engine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform values in [lo, hi) rounded to float32, so CPU and GPU start from the same numbers. */
export function f32Values(n: number, r: () => number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

/** Euclidean norm. */
export const norm = (x: Float64Array): number => Math.sqrt(x.reduce((s, v) => s + v * v, 0));
const dotp = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

// ---------------------------------------------------------------------------------------------
// Models: a loss and its gradient over a flat parameter vector.

/** Per-step quadratic 0.5 * sum a_i (w_i - c_{t,i})^2; the targets c_t move every step. */
export interface Quadratic {
  sizes: number[];
  shapes: number[][];
  a: Float64Array;
  w0: Float64Array;
  /** Targets of step `t` (0-based call index), float32-representable. */
  target(t: number): Float64Array;
}

/** A quadratic over three tensors (12 + 5 + 6 values) whose targets move by up to `noise / 2` per step. */
export function makeQuadratic(seed: number, noise = 0.5): Quadratic {
  const shapes = [[3, 4], [5], [2, 3]];
  const sizes = shapes.map((s) => s.reduce((x, y) => x * y, 1));
  const n = sizes.reduce((x, y) => x + y, 0);
  const r = mulberry32(seed);
  const a = f32Values(n, r, 0.5, 2);
  const w0 = f32Values(n, r, -2, 2);
  const base = f32Values(n, r, -0.5, 0.5);
  const cache = new Map<number, Float64Array>();
  return {
    sizes,
    shapes,
    a,
    w0,
    target(t: number) {
      let c = cache.get(t);
      if (!c) {
        const rt = mulberry32(seed * 7919 + t);
        c = Float64Array.from(base, (b) => Math.fround(b + noise * (rt() - 0.5)));
        cache.set(t, c);
      }
      return c;
    },
  };
}

/** Gradient a (w - c_t) of the quadratic at step `t`. */
export function quadraticGrad(q: Quadratic, w: Float64Array, t: number): Float64Array {
  const c = q.target(t);
  return Float64Array.from(w, (x, i) => q.a[i] * (x - c[i]));
}

/** Loss of the quadratic at step `t`. */
export function quadraticLoss(q: Quadratic, w: Float64Array, t: number): number {
  const c = q.target(t);
  return w.reduce((s, x, i) => s + 0.5 * q.a[i] * (x - c[i]) ** 2, 0);
}

/** A 2-layer MLP x -> relu(x W1 + b1) W2 + b2 -> cross-entropy, on a few fixed batches. */
export interface Mlp {
  B: number;
  D: number;
  H: number;
  C: number;
  shapes: number[][];
  sizes: number[];
  w0: Float64Array;
  batches: { x: Float64Array; y: number[] }[];
}

/** An MLP with float32-representable weights and `nBatches` fixed random batches. */
export function makeMlp(seed: number, nBatches = 3, B = 8, D = 6, H = 10, C = 4): Mlp {
  const r = mulberry32(seed);
  const shapes = [[D, H], [H], [H, C], [C]];
  const sizes = shapes.map((s) => s.reduce((x, y) => x * y, 1));
  const w0 = new Float64Array(sizes.reduce((x, y) => x + y, 0));
  let o = 0;
  sizes.forEach((n, i) => {
    const scale = i % 2 === 0 ? 1 / Math.sqrt(shapes[i][0]) : 0.1;
    w0.set(f32Values(n, r, -scale, scale), o);
    o += n;
  });
  const batches = Array.from({ length: nBatches }, () => ({
    x: f32Values(B * D, r),
    y: Array.from({ length: B }, () => Math.floor(r() * C)),
  }));
  return { B, D, H, C, shapes, sizes, w0, batches };
}

function mlpParts(m: Mlp, w: Float64Array) {
  const { D, H, C } = m;
  let o = 0;
  const take = (n: number) => w.subarray(o, o += n);
  return { W1: take(D * H), b1: take(H), W2: take(H * C), b2: take(C) };
}

/** Loss and gradient of the MLP on batch `t % batches`. */
export function mlpLossGrad(m: Mlp, w: Float64Array, t: number): { loss: number; grad: Float64Array } {
  const { B, D, H, C } = m;
  const { x, y } = m.batches[t % m.batches.length];
  const { W1, b1, W2, b2 } = mlpParts(m, w);
  const z1 = new Float64Array(B * H), h = new Float64Array(B * H), logits = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    for (let j = 0; j < H; j++) {
      let s = b1[j];
      for (let k = 0; k < D; k++) s += x[i * D + k] * W1[k * H + j];
      z1[i * H + j] = s;
      h[i * H + j] = Math.max(s, 0);
    }
    for (let c = 0; c < C; c++) {
      let s = b2[c];
      for (let j = 0; j < H; j++) s += h[i * H + j] * W2[j * C + c];
      logits[i * C + c] = s;
    }
  }
  let loss = 0;
  const dlog = new Float64Array(B * C);
  for (let i = 0; i < B; i++) {
    const row = logits.subarray(i * C, i * C + C);
    const mx = Math.max(...row);
    const se = row.reduce((s, v) => s + Math.exp(v - mx), 0);
    const lse = mx + Math.log(se);
    loss += (lse - row[y[i]]) / B;
    for (let c = 0; c < C; c++) dlog[i * C + c] = (Math.exp(row[c] - lse) - (c === y[i] ? 1 : 0)) / B;
  }
  const grad = new Float64Array(w.length);
  const g = mlpParts(m, grad);
  const dz1 = new Float64Array(B * H);
  for (let i = 0; i < B; i++) {
    for (let c = 0; c < C; c++) {
      const d = dlog[i * C + c];
      g.b2[c] += d;
      for (let j = 0; j < H; j++) g.W2[j * C + c] += h[i * H + j] * d;
    }
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += dlog[i * C + c] * W2[j * C + c];
      dz1[i * H + j] = z1[i * H + j] > 0 ? s : 0;
    }
    for (let j = 0; j < H; j++) {
      g.b1[j] += dz1[i * H + j];
      for (let k = 0; k < D; k++) g.W1[k * H + j] += x[i * D + k] * dz1[i * H + j];
    }
  }
  return { loss, grad };
}

// ---------------------------------------------------------------------------------------------
// Optimizers.

/** A base optimizer of the reference, with PyTorch's semantics. */
export type RefBase =
  | { kind: "sgd"; lr: number; momentum: number; weightDecay: number; nesterov: boolean }
  | { kind: "adamw"; lr: number; betas: [number, number]; eps: number; weightDecay: number };

/** A criterion of the reference. */
export type RefCriterion =
  | { kind: "baseline" }
  | { kind: "naive"; k: number }
  | { kind: "random"; p: number }
  | { kind: "gSAMflat" | "gSAMsharp" | "gSAMratio"; z: number; zTwo: number; lam: number }
  | { kind: "cosSim"; c: number }
  | { kind: "schedule"; ranges: [number, number][] }
  /** A rule defined by a test (third-party criteria): a decision per step, then the outer gradient. */
  | { kind: "custom"; skips: boolean; decide(t: number): boolean; afterStep(gOuter: Float64Array): void };

/** A whole reference configuration (`variant` null: the plain base optimizer). */
export interface RefConfig {
  base: RefBase;
  variant: null | "sam" | "vasso" | "vassore" | "vassoremu";
  rho: number;
  theta: number;
  crt: RefCriterion;
  bnUpdate: "once" | "both";
  seed: number;
}

/** A record of one reference step. */
export interface RefStep {
  sam: boolean;
  perturbed: boolean;
  /** (pass, updateBnStats) of each gradient computation, in order. */
  passes: [string, boolean][];
}

/** The float64 reference engine; see the file header. */
export class RefEngine {
  w: Float64Array;
  // base optimizer state
  mom: Float64Array | null = null;
  m: Float64Array;
  v: Float64Array;
  adamT = 0;
  // SAM family state
  ema: Float64Array | null = null;
  gOuterPrev: Float64Array;
  // criteria state
  tau = 0;
  gnormLast = 0;
  cosLast = 0;
  gPrevCos: Float64Array;
  counters = { iterations: 0, samSteps: 0, innerForward: 0, innerBackward: 0 };
  epoch = 0;
  readonly rand: () => number;

  constructor(readonly cfg: RefConfig, w0: Float64Array) {
    this.w = Float64Array.from(w0);
    this.m = new Float64Array(w0.length);
    this.v = new Float64Array(w0.length);
    this.gOuterPrev = new Float64Array(w0.length);
    this.gPrevCos = new Float64Array(w0.length);
    this.rand = mulberry32(cfg.seed);
  }

  baseStep(g: Float64Array): void {
    const b = this.cfg.base, w = this.w;
    if (b.kind === "sgd") {
      const d = Float64Array.from(g, (gi, i) => gi + b.weightDecay * w[i]);
      if (b.momentum !== 0) {
        if (!this.mom) this.mom = Float64Array.from(d);
        else for (let i = 0; i < d.length; i++) this.mom[i] = b.momentum * this.mom[i] + d[i];
        for (let i = 0; i < d.length; i++) d[i] = b.nesterov ? d[i] + b.momentum * this.mom[i] : this.mom[i];
      }
      for (let i = 0; i < w.length; i++) w[i] -= b.lr * d[i];
      return;
    }
    const t = ++this.adamT;
    const [b1, b2] = b.betas;
    const bc1 = 1 - b1 ** t, bc2 = 1 - b2 ** t;
    for (let i = 0; i < w.length; i++) {
      w[i] *= 1 - b.lr * b.weightDecay;
      this.m[i] = b1 * this.m[i] + (1 - b1) * g[i];
      this.v[i] = b2 * this.v[i] + (1 - b2) * g[i] * g[i];
      w[i] -= (b.lr / bc1) * this.m[i] / (Math.sqrt(this.v[i]) / Math.sqrt(bc2) + b.eps);
    }
  }

  /**
   * The decision of 1-based SAM step t, written with the seed's formulas on the seed's counter
   * c = t - 1 (its `iteration_step_counter` is still 0 at the first decision): `WARMUP_CONSTANT`
   * 1, `WARMUP_CONSTANT_MEAN_BASED_METHODS` 100.
   */
  decide(t: number): boolean {
    const c = this.cfg.crt;
    const counter = t - 1;
    switch (c.kind) {
      case "baseline":
      case "schedule":
        return true;
      case "naive":
        return counter % c.k === 0 || counter <= 1;
      case "random": {
        const r = this.rand();
        return r < c.p || counter <= 1;
      }
      case "cosSim":
        // The seed's crt_c is a flag: 0 perturbs when cos < 0, any other value when cos > 0.
        return (c.c === 0 ? this.cosLast < 0 : this.cosLast > 0) || counter <= 1;
      case "custom":
        return c.decide(t);
      default: {
        if (counter <= 100) return true;
        const phi = (1 - c.lam) * c.z + c.lam;
        const phiP = (1 - c.lam) / (c.kind === "gSAMratio" ? c.zTwo : c.z) + c.lam;
        const flat = this.tau > phi * this.gnormLast, sharp = this.tau < phiP * this.gnormLast;
        return c.kind === "gSAMflat" ? flat : c.kind === "gSAMsharp" ? sharp : flat || sharp;
      }
    }
  }

  step(grad: (w: Float64Array, pass: string) => Float64Array): RefStep {
    const cfg = this.cfg, c = this.counters;
    c.iterations++;
    const passes: [string, boolean][] = [];
    const sched = cfg.crt.kind === "schedule" ? cfg.crt.ranges : null;
    const sam = cfg.variant !== null && (!sched || sched.some(([a, b]) => a <= this.epoch && this.epoch < b));
    if (!sam) {
      passes.push(["outer", true]);
      this.baseStep(grad(this.w, "outer"));
      return { sam: false, perturbed: false, passes };
    }
    const t = ++c.samSteps;
    const perturb = this.decide(t) || t === 1;
    let gi: Float64Array | null = null;
    if (perturb) {
      passes.push(["inner", true]);
      gi = grad(this.w, "inner");
      c.innerForward++;
      c.innerBackward++;
    }
    let e: Float64Array;
    if (cfg.variant === "sam") {
      const n = norm(gi!);
      e = Float64Array.from(gi!, (x) => cfg.rho * x / (n + 1e-12));
    } else {
      const src = perturb ? gi : cfg.variant === "vassoremu" ? this.gOuterPrev : null;
      if (src) {
        if (!this.ema) this.ema = Float64Array.from(src);
        else {for (let i = 0; i < src.length; i++) {
            this.ema[i] = (1 - cfg.theta) * this.ema[i] + cfg.theta * src[i];
          }}
      }
      const n = norm(this.ema!);
      e = Float64Array.from(this.ema!, (x) => cfg.rho * x / (n + 1e-12));
    }
    const wp = Float64Array.from(this.w, (x, i) => x + e[i]);
    passes.push(["outer", cfg.bnUpdate === "both" || !perturb]);
    const go = grad(wp, "outer");
    this.baseStep(go);
    if (cfg.variant === "vassoremu") this.gOuterPrev = Float64Array.from(go);
    const ck = cfg.crt.kind;
    if (ck === "gSAMflat" || ck === "gSAMsharp" || ck === "gSAMratio") {
      const lam = (cfg.crt as { lam: number }).lam;
      this.gnormLast = norm(go);
      this.tau = (1 - lam) * this.tau + lam * this.gnormLast;
    }
    if (cfg.crt.kind === "custom") cfg.crt.afterStep(go);
    if (ck === "cosSim") {
      const d = norm(go) * norm(this.gPrevCos);
      this.cosLast = d > 0 ? dotp(go, this.gPrevCos) / d : 0;
      this.gPrevCos = Float64Array.from(go);
    }
    return { sam: true, perturbed: perturb, passes };
  }
}

// ---------------------------------------------------------------------------------------------
// Self-checks of the reference, registered only when this file is the test being run.

if (Deno.mainModule === import.meta.url) {
  Deno.test("reference: MLP and quadratic gradients match central differences", () => {
    const m = makeMlp(5);
    const q = makeQuadratic(6);
    const fd = (f: (w: Float64Array) => number, w: Float64Array, i: number) => {
      const h = 1e-6, wp = Float64Array.from(w), wm = Float64Array.from(w);
      wp[i] += h;
      wm[i] -= h;
      return (f(wp) - f(wm)) / (2 * h);
    };
    const g = mlpLossGrad(m, m.w0, 1).grad;
    for (let i = 0; i < g.length; i += 3) {
      assertClose(g[i], fd((w) => mlpLossGrad(m, w, 1).loss, m.w0, i), 1e-7, `mlp grad ${i}`);
    }
    const gq = quadraticGrad(q, q.w0, 2);
    for (let i = 0; i < gq.length; i++) {
      assertClose(
        gq[i],
        fd((w) => quadraticLoss(q, w, 2), q.w0, i),
        1e-6,
        "quad",
      );
    }
  });

  Deno.test("reference: naive k = 2 perturbs on steps 1, 2 and every odd step; SGD momentum by hand", () => {
    const q = makeQuadratic(1);
    const ref = new RefEngine({
      base: { kind: "sgd", lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
      variant: "vassore",
      rho: 0.05,
      theta: 0.4,
      crt: { kind: "naive", k: 2 },
      bnUpdate: "once",
      seed: 1,
    }, q.w0);
    const seq = Array.from({ length: 6 }, (_, t) => ref.step((w) => quadraticGrad(q, w, t)).perturbed);
    assertEquals(seq, [true, true, true, false, true, false]);
    // SGD with momentum 0.5 and Nesterov on f = w^2 / 2 from w = 1, lr 0.1:
    // d1 = 1, b1 = 1, step = 1 + 0.5 = 1.5 -> w = 0.85; d2 = 0.85, b2 = 0.5 + 0.85 = 1.35,
    // step = 0.85 + 0.675 = 1.525 -> w = 0.6975.
    const one = new RefEngine({
      base: { kind: "sgd", lr: 0.1, momentum: 0.5, weightDecay: 0, nesterov: true },
      variant: null,
      rho: 0,
      theta: 0,
      crt: { kind: "baseline" },
      bnUpdate: "once",
      seed: 1,
    }, new Float64Array([1]));
    one.step((w) => Float64Array.from(w));
    assertClose(one.w[0], 0.85, 1e-12);
    one.step((w) => Float64Array.from(w));
    assertClose(one.w[0], 0.6975, 1e-12);
    assert(one.counters.innerBackward === 0);
  });
}
