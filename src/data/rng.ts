/**
 * The counter-based random numbers of the data pipeline, on the CPU.
 *
 * Every random choice (the epoch's shuffle, each image's crop, flip and cutout) is a pure
 * function of (seed, epoch, image index, stream): there is no generator state to carry,
 * save or replay, so a run is reproducible from `--seed` and the GPU kernel
 * (`shaders/augment.wgsl`) can draw the same numbers independently per pixel. The hash is
 * `pcg4d` (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020), chosen
 * because it needs only 32-bit multiplies and adds, which WGSL and `Math.imul` compute
 * bit-identically; this file is the reference the shader must match.
 *
 * @module
 */

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
