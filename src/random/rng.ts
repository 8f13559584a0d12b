/**
 * Every random number samwise draws on the CPU, in one place. Two kinds, because the uses
 * differ:
 *
 * - {@link Rng}, a stateful stream (mulberry32, a 32-bit generator that is fast in
 *   JavaScript): weight initialisation (reproducible from `--seed` alone and identical on
 *   every adapter, so drawn on the CPU and uploaded once; normals by Box-Muller), the
 *   Lanczos start vector, and the step engine's stream for criteria such as `random`, whose
 *   state checkpoints as one integer so a resumed run draws the same numbers.
 *   {@link deriveSeed} splits one seed into independent streams.
 * - {@link pcg4d}, a counter-based hash for the data pipeline: every choice (the epoch's
 *   shuffle, each image's crop, flip and cutout) is a pure function of (seed, epoch, image
 *   index, stream), so there is no state to carry, save or replay, and the GPU kernel
 *   (`shaders/augment.wgsl`) draws the same numbers independently per pixel. The hash is
 *   `pcg4d` (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020), chosen because
 *   it needs only 32-bit multiplies and adds, which WGSL and `Math.imul` compute
 *   bit-identically; this file is the reference the shader must match.
 *
 * The sequences are part of the results (tests and exact resume depend on them): changing
 * one changes every run.
 *
 * @module
 */

/** A seeded uniform and normal random number stream with a saveable state; see the module documentation. */
export class Rng {
  #state: number;
  #spare: number | null = null;

  /** A generator whose sequence is a function of `seed` (a u32) alone. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /**
   * The state to checkpoint: one u32. Restoring it also drops a pending second Box-Muller
   * normal, so only streams that draw uniforms resume exactly mid-sequence.
   */
  get state(): number {
    return this.#state;
  }

  set state(s: number) {
    this.#state = s >>> 0;
    this.#spare = null;
  }

  /** The next u32. */
  nextU32(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Standard normal (mean 0, variance 1). */
  normal(): number {
    if (this.#spare !== null) {
      const s = this.#spare;
      this.#spare = null;
      return s;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const r = Math.sqrt(-2 * Math.log(1 - this.uniform()));
    const phi = 2 * Math.PI * this.uniform();
    this.#spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }
}

/** Mixes a seed and an index into a new u32 seed (splitmix32 finaliser), for independent streams. */
export function deriveSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Streams (the 4th hash input) that keep independent uses of one key apart. */
export const STREAM = {
  /** Crop offsets, flip and cutout coin (x, y, z, w). */
  augmentA: 0,
  /** Cutout centre (x, y). */
  augmentB: 1,
  /** The epoch's Fisher-Yates shuffle. */
  shuffle: 2,
} as const;

/** The pcg4d hash of four u32s to four u32s (each returned as a non-negative number). */
export function pcg4d(a: number, b: number, c: number, d: number): [number, number, number, number] {
  let x = (Math.imul(a >>> 0, 1664525) + 1013904223) >>> 0;
  let y = (Math.imul(b >>> 0, 1664525) + 1013904223) >>> 0;
  let z = (Math.imul(c >>> 0, 1664525) + 1013904223) >>> 0;
  let w = (Math.imul(d >>> 0, 1664525) + 1013904223) >>> 0;
  x = (x + Math.imul(y, w)) >>> 0;
  y = (y + Math.imul(z, x)) >>> 0;
  z = (z + Math.imul(x, y)) >>> 0;
  w = (w + Math.imul(y, z)) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  y = (y ^ (y >>> 16)) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  w = (w ^ (w >>> 16)) >>> 0;
  x = (x + Math.imul(y, w)) >>> 0;
  y = (y + Math.imul(z, x)) >>> 0;
  z = (z + Math.imul(x, y)) >>> 0;
  w = (w + Math.imul(y, z)) >>> 0;
  return [x, y, z, w];
}

/**
 * A u32 draw as a uniform number in [0, 1) with 24 bits, exactly as the shader computes
 * it in f32 (`f32(r >> 8) / 2^24` is exact in both), so `unit(r) < p` agrees bit for bit.
 */
export function unit(r: number): number {
  return (r >>> 8) / 16777216;
}

/** `p` rounded to f32, as the shader sees a probability passed in its uniform block. */
export function f32(p: number): number {
  return Math.fround(p);
}

/** Folds any integer seed into the u32 the hash takes (modulo 2^32). */
export function seedU32(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return seed >>> 0;
}

/**
 * The order in which an epoch visits `n` images: a Fisher-Yates shuffle whose i-th swap is
 * drawn from pcg4d(i, epoch, seed, STREAM.shuffle). Same (n, seed, epoch), same order.
 * The modulo's bias is below 2^-32 * n: irrelevant for a shuffle.
 */
export function permutation(n: number, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = seedU32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = pcg4d(i, epoch, s, STREAM.shuffle)[0] % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
