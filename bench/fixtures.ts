/**
 * Inputs shared by the benchmarks: a deterministic CIFAR-shaped batch.
 * @module
 */
import * as sw from "../mod.ts";

/** A kept [batch, 3, 32, 32] image tensor of fixed pseudo-random values and [batch] labels. */
export function cifarBatch(batch: number): { x: sw.Tensor; y: sw.Tensor } {
  return imageBatch(batch, 3, 32);
}

/** A kept [batch, channels, size, size] image tensor (as {@link cifarBatch}) and [batch] labels. */
export function imageBatch(batch: number, channels: number, size: number): { x: sw.Tensor; y: sw.Tensor } {
  const n = batch * channels * size * size;
  const pixels = new Float32Array(n).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);
  const x = sw.tensor(pixels, [batch, channels, size, size]).keep();
  const y = sw.tensor(Array.from({ length: batch }, (_, i) => i % 10), [batch]).keep();
  return { x, y };
}
