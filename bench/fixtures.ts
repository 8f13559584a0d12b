/**
 * Inputs and measures shared by the benchmarks: a deterministic CIFAR-shaped batch, one SGD
 * training step on it, and the process's CPU time.
 * @module
 */
import * as sw from "../mod.ts";
import { createModel } from "../src/models/mod.ts";
import { createEngine } from "../src/plugins/mod.ts";

/** A kept [batch, 3, 32, 32] image tensor of fixed pseudo-random values and [batch] labels. */
export function cifarBatch(batch: number): { x: sw.Tensor; y: sw.Tensor } {
  return imageBatch(batch, 3, 32);
}

/** `n` fixed pseudo-random pixel values in [-0.5, 0.5) and `batch` labels 0..9 in turn. */
export function batchValues(n: number, batch: number): { pixels: Float32Array; labels: number[] } {
  const pixels = new Float32Array(n).map((_, i) => ((i * 7919) % 255) / 255 - 0.5);
  return { pixels, labels: Array.from({ length: batch }, (_, i) => i % 10) };
}

/** A kept [batch, channels, size, size] image tensor (as {@link cifarBatch}) and [batch] labels. */
export function imageBatch(batch: number, channels: number, size: number): { x: sw.Tensor; y: sw.Tensor } {
  const { pixels, labels } = batchValues(batch * channels * size * size, batch);
  const x = sw.tensor(pixels, [batch, channels, size, size]).keep();
  const y = sw.tensor(labels, [batch]).keep();
  return { x, y };
}

/**
 * One SGD step (lr 0.01) of a fresh `modelName` on a fixed [batch, channels, size, size] batch.
 * Call after `init()`: the model is built on the GPU at once.
 */
export function sgdStep(
  modelName: string,
  batch: number,
  channels: number,
  size: number,
): () => Promise<void> {
  const model = createModel(modelName, { inChannels: channels, numClasses: 10, seed: 1 });
  const engine = createEngine({ set: model, opt: "sgd", options: { lr: 0.01 } });
  const { x, y } = imageBatch(batch, channels, size);
  return async () => {
    await engine.step(() =>
      sw.tidy(() => {
        sw.backward(sw.crossEntropy(model.forward(x), y));
        return null;
      })
    );
  };
}

/**
 * Process CPU milliseconds (utime + stime, llvmpipe's worker threads included), or NaN without
 * /proc: CPU time per unit of work does not grow when other processes take the cores.
 */
export function cpuMs(): number {
  try {
    const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}
