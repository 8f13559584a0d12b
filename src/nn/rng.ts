/**
 * The deterministic CPU random numbers of weight initialisation.
 *
 * Initial weights must be reproducible from `--seed` alone and identical on every adapter, so
 * they are drawn on the CPU (mulberry32, a 32-bit generator that is fast in JavaScript) and
 * uploaded once. Normal variates use the Box-Muller transform.
 *
 * @module
 */

/** A seeded uniform and normal random number generator; see the module documentation. */
export class Rng {
  #state: number;
  #spare: number | null = null;

  /** A generator whose sequence is a function of `seed` (a u32) alone. */
  constructor(seed: number) {
    this.#state = seed >>> 0;
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
