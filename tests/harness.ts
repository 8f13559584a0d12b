/**
 * Test harness: GPU test registration and the gradcheck.
 *
 * `gradcheck` compares an op's GPU forward with a float64 CPU re-implementation, then its GPU
 * gradient with central finite differences of that float64 reference. The loss whose
 * gradient is checked is sum(y * r) for a fixed random r, so every output element matters.
 * The finite differences are taken in float64 (step 1e-6), so the reference gradient is
 * accurate to ~1e-9 and the tolerance only has to absorb float32 rounding on the GPU.
 *
 * @module
 */
import { assert } from "./assert.ts";
import { backward, init, mul, sum, type Tensor, tensor, tidy } from "../mod.ts";
import { gpuContext, NoAdapterError } from "../src/gpu/device.ts";

/**
 * Why GPU tests cannot run here (no WebGPU adapter at all), or null when they can. A machine with only
 * Node and npm may lack Mesa; the tests then skip, saying which package to install, instead of failing.
 */
export const gpuMissing: string | null = await gpuContext().then(
  () => null,
  (e) => {
    if (!(e instanceof NoAdapterError)) throw e;
    return "no WebGPU adapter: install a GPU driver or Debian's mesa-vulkan-drivers";
  },
);
let gpuSkipSaid = false;

/** Ignores a test that needs a GPU when there is none, printing why once per test file. */
export function skipWithoutGpu(): boolean {
  if (gpuMissing && !gpuSkipSaid) {
    gpuSkipSaid = true;
    console.log(`skipping GPU tests: ${gpuMissing}`);
  }
  return gpuMissing !== null;
}

/** Registers a test that uses the GPU. WebGPU keeps a device-lost promise pending for the
 * life of the device, so the async-op and resource sanitizers are off. */
export function gpuTest(name: string, fn: () => Promise<void> | void): void {
  Deno.test({
    name,
    ignore: skipWithoutGpu(),
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      await init();
      await fn();
    },
  });
}

/** A deterministic PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in [lo, hi), rounded to float32 so CPU and GPU see the same inputs. */
export function randArray(n: number, r: () => number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * r()));
}

/** A float64 CPU tensor: data and shape. */
export interface Ref {
  data: Float64Array;
  shape: number[];
}

/** Options of {@link gradcheck}; tolerances are |gpu - ref| <= atol + rtol * |ref|. */
export interface GradcheckOptions {
  seed?: number;
  /** Input value range, per input or shared. */
  range?: [number, number] | [number, number][];
  /** Which inputs get a gradient check (default: all). */
  wrt?: number[];
  fwdAtol?: number;
  fwdRtol?: number;
  gradAtol?: number;
  gradRtol?: number;
  /** Finite-difference step (float64). */
  eps?: number;
  /** Inputs given explicitly instead of random (e.g. labels). */
  fixed?: Record<number, Float64Array>;
}

function close(name: string, got: ArrayLike<number>, want: ArrayLike<number>, atol: number, rtol: number) {
  assert(got.length === want.length, `${name}: length ${got.length} vs ${want.length}`);
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) - (atol + rtol * Math.abs(want[i]));
    if (!(err <= worst)) {
      worst = Number.isNaN(err) ? Infinity : err;
      at = i;
    }
  }
  assert(at < 0, `${name}: element ${at}: got ${got[at]}, want ${want[at]} (atol ${atol}, rtol ${rtol})`);
}

/**
 * Runs `fn` with some fields of a tunables object (e.g. convSettings) changed, and puts every
 * field back afterwards, whether `fn` passes or throws: how tests reach each kernel path.
 * Returns what `fn` returns.
 */
export async function withTunables<T extends object, R = void>(
  tunables: T,
  change: Partial<T>,
  fn: () => Promise<R>,
): Promise<R> {
  const saved = { ...tunables };
  Object.assign(tunables, change);
  try {
    return await fn();
  } finally {
    Object.assign(tunables, saved);
  }
}

/**
 * Checks `gpu` against the float64 reference `cpu` on inputs of the given shapes: forward
 * values, then gradients of sum(y * r) with respect to each input in `wrt`.
 */
export async function gradcheck(
  name: string,
  shapes: number[][],
  gpu: (xs: Tensor[]) => Tensor,
  cpu: (xs: Ref[]) => Ref,
  opts: GradcheckOptions = {},
): Promise<void> {
  const r = rng(opts.seed ?? 1234);
  const ranges = opts.range && Array.isArray(opts.range[0]) ? opts.range as [number, number][] : null;
  const inputs: Ref[] = shapes.map((shape, i) => {
    const [lo, hi] = ranges ? ranges[i] : (opts.range as [number, number] | undefined) ?? [-1, 1];
    const n = shape.reduce((a, b) => a * b, 1);
    return { data: opts.fixed?.[i] ?? randArray(n, r, lo, hi), shape };
  });
  const want = cpu(inputs);
  const proj = randArray(want.data.length, r);
  const wrt = opts.wrt ?? shapes.map((_, i) => i);

  const xs = inputs.map((x, i) => {
    const t = tensor(Float32Array.from(x.data), x.shape).keep();
    t.requiresGrad = wrt.includes(i);
    return t;
  });
  try {
    const y = tidy(() => {
      const out = gpu(xs);
      const loss = sum(mul(out, tensor(Float32Array.from(proj), out.shape)));
      backward(loss);
      return out;
    });
    assert(
      y.shape.length === want.shape.length && y.shape.every((d, i) => d === want.shape[i]),
      `${name}: output shape [${y.shape}], reference [${want.shape}]`,
    );
    close(`${name} forward`, await y.data(), want.data, opts.fwdAtol ?? 1e-5, opts.fwdRtol ?? 1e-4);
    y.dispose();

    const eps = opts.eps ?? 1e-6;
    const f = (): number => {
      const out = cpu(inputs).data;
      let s = 0;
      for (let i = 0; i < out.length; i++) s += out[i] * proj[i];
      return s;
    };
    for (const i of wrt) {
      const x = inputs[i].data;
      const num = new Float64Array(x.length);
      for (let j = 0; j < x.length; j++) {
        const keepV = x[j];
        x[j] = keepV + eps;
        const fp = f();
        x[j] = keepV - eps;
        const fm = f();
        x[j] = keepV;
        num[j] = (fp - fm) / (2 * eps);
      }
      assert(xs[i].grad !== null, `${name}: no gradient for input ${i}`);
      close(
        `${name} d/dinput${i}`,
        await xs[i].grad!.data(),
        num,
        opts.gradAtol ?? 1e-4,
        opts.gradRtol ?? 1e-3,
      );
    }
  } finally {
    xs.forEach((t) => t.dispose());
  }
}

/** Row-major strides. */
export function strides(shape: number[]): number[] {
  const s = shape.map(() => 1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Elementwise map over one reference tensor. */
export function mapRef(x: Ref, f: (v: number) => number): Ref {
  return { data: x.data.map(f), shape: x.shape };
}

/** NumPy broadcasting of two references with f. */
export function zipRef(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const n = Math.max(a.shape.length, b.shape.length);
  const pa = [...Array(n - a.shape.length).fill(1), ...a.shape];
  const pb = [...Array(n - b.shape.length).fill(1), ...b.shape];
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const sa = strides(pa), sb = strides(pb), so = strides(shape);
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let ia = 0, ib = 0;
    for (let d = 0; d < n; d++) {
      const c = Math.floor(i / so[d]) % shape[d];
      if (pa[d] !== 1) ia += c * sa[d];
      if (pb[d] !== 1) ib += c * sb[d];
    }
    data[i] = f(a.data[ia], b.data[ib]);
  }
  return { data, shape };
}
