/**
 * Inputs shared by the benchmarks: a deterministic CIFAR-shaped batch.
 * @module
 */
import * as sw from "../mod.ts";

/** A kept [batch, 3, 32, 32] image tensor of fixed pseudo-random values and [batch] labels. */
export function cifarBatch(batch: number): { x: sw.Tensor; y: sw.Tensor } {
  const pixels = new Float32Array(batch * 3 * 32 * 32).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);
  const x = sw.tensor(pixels, [batch, 3, 32, 32]).keep();
  const y = sw.tensor(Array.from({ length: batch }, (_, i) => i % 10), [batch]).keep();
  return { x, y };
}
