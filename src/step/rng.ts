/**
 * The engine's seeded random stream (mulberry32): uniform numbers in [0, 1) for criteria such as
 * `random`, with a state that checkpoints as one integer so a resumed run draws the same numbers.
 *
 * @module
 */

/** A mulberry32 generator with a saveable 32-bit state. */
export class Rng {
  #a: number;

  constructor(seed: number) {
    this.#a = seed >>> 0;
  }

  /** The next uniform number in [0, 1). */
  next(): number {
    this.#a = (this.#a + 0x6d2b79f5) >>> 0;
    let t = this.#a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** The state to checkpoint. */
  get state(): number {
    return this.#a;
  }

  set state(s: number) {
    this.#a = s >>> 0;
  }
}
