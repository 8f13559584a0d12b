/**
 * Gradient accumulation for every optimizer of the engine (`--accum_steps n`): one step's batch
 * is split into n micro-batches, and each pass the engine asks for (the inner pass at w, the
 * outer pass at w + e, or the only pass of a plain or skipped step) runs the forward and backward
 * of every micro-batch in turn, summing into the gradient buffers. So SAM's ascent uses the
 * gradient of the whole batch at w and its descent the gradient of the whole batch at w + e:
 * 2n micro-batch passes per SAM step, n per SGD or skipped VaSSORe step, and the activations of
 * one micro-batch alive at a time (each micro-batch's closure runs in its own scope).
 *
 * Exactness: micro-batch i of size b_i backpropagates its mean loss times b_i / B (B the batch
 * size), so the summed gradient is the gradient of the batch's mean loss, equal to one pass over
 * the whole batch up to float rounding. The engine, its counters (bwp is still inner passes per
 * step) and the plugins see one pass per pass, whatever n is.
 *
 * BatchNorm: each micro-batch is normalised with its own batch statistics (as accumulation in
 * PyTorch does), so a model with BatchNorm in training mode computes a different gradient than
 * the whole batch would; on a pass that updates the running statistics (`updateBnStats`) every
 * micro-batch updates them, n momentum updates per step. A model without BatchNorm, or with
 * BatchNorm in eval mode, matches the whole batch.
 *
 * How a training loop wraps its step closure (`src/train/trainer.ts` does this):
 *
 * ```ts
 * import { accumulated, combineLossAndHits, microSlice, splitBatch } from "./accumulate.ts";
 * import type { StepEngine } from "./engine.ts";
 * import type { Tensor } from "../tensor/tensor.ts";
 * import { tidy } from "../tensor/scope.ts";
 * import { backward } from "../autograd/backward.ts";
 * import { crossEntropy } from "../ops/loss.ts";
 *
 * // 10 rows in 3 micro-batches: sizes 4, 3, 3, each weighted by its share of the batch.
 * console.log(splitBatch(10, 3).map((mb) => [mb.size, mb.weight]));
 *
 * export function accumulatedStep(
 *   engine: StepEngine,
 *   forward: (x: Tensor) => Tensor,
 *   x: Tensor,
 *   y: Tensor,
 *   n: number,
 * ) {
 *   return engine.step(accumulated(n, x.shape[0], (_pass, mb) =>
 *     tidy(() => {
 *       const loss = crossEntropy(forward(microSlice(x, mb)), microSlice(y, mb));
 *       backward(loss); // the engine zeroed the grads once; the micro-batches add up
 *       return { loss, hits: null };
 *     }), combineLossAndHits));
 * }
 * ```
 *
 * @module
 */
import { narrow } from "../ops/concat.ts";
import { add, mulScalar } from "../ops/elementwise.ts";
import { noGrad } from "../tape/tape.ts";
import { tidy } from "../tensor/scope.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { ComputeGrad, PassContext } from "./types.ts";

/** One micro-batch of a step: rows [start, start + size) of the batch. */
export interface MicroBatch {
  /** 0-based position among the step's micro-batches. */
  readonly index: number;
  /** How many micro-batches the step has (`--accum_steps`, or fewer for a tiny last batch). */
  readonly count: number;
  /** First row in the batch. */
  readonly start: number;
  /** Rows in this micro-batch. */
  readonly size: number;
  /** size / batch size: the factor on this micro-batch's mean loss before `backward`. */
  readonly weight: number;
}

/**
 * Splits a batch of `total` rows into `n` consecutive micro-batches whose sizes differ by at most
 * one (the larger first); fewer than n when the batch has fewer than n rows. Throws on n < 1.
 */
export function splitBatch(total: number, n: number): MicroBatch[] {
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`accumulation: micro-batch count ${n} is not an integer >= 1`);
  }
  const count = Math.max(1, Math.min(n, total));
  const small = Math.floor(total / count), extra = total % count;
  const out: MicroBatch[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const size = small + (i < extra ? 1 : 0);
    out.push({ index: i, count, start, size, weight: total > 0 ? size / total : 1 });
    start += size;
  }
  return out;
}

/** Rows [mb.start, mb.start + mb.size) of `x` along its first axis; `x` itself when the step has one micro-batch. */
export function microSlice(x: Tensor, mb: MicroBatch): Tensor {
  return mb.count === 1 ? x : narrow(x, 0, mb.start, mb.size);
}

/**
 * The engine's closure for one step of `total` rows in `n` micro-batches: every pass calls `micro`
 * once per micro-batch (the gradients are zeroed once before the pass and each `backward` adds
 * to them) and `combine` folds the micro-batches' results, in order, into the pass's result
 * (e.g. the batch's mean loss as the weighted sum, hits summed), which the engine returns and the
 * hooks see as `ctx.loss`. With one micro-batch `micro` is called directly and `combine` is not
 * used, so `--accum_steps 1` is the plain step bit for bit.
 */
export function accumulated<T>(
  n: number,
  total: number,
  micro: (pass: PassContext, mb: MicroBatch) => T | Promise<T>,
  combine: (parts: T[], mbs: readonly MicroBatch[]) => T,
): ComputeGrad<T> {
  const mbs = splitBatch(total, n);
  if (mbs.length === 1) return (pass) => micro(pass, mbs[0]);
  return async (pass) => {
    const parts: T[] = [];
    for (const mb of mbs) parts.push(await micro(pass, mb));
    return combine(parts, mbs);
  };
}

/** What a classification step's closure returns per pass: its mean loss and, optionally, hit counts. */
export interface LossAndHits {
  /** Mean loss over the rows of the (micro-)batch, one element. */
  loss: Tensor;
  /** Summed counts (e.g. top-1 and top-5 hits), or null on passes that do not count them. */
  hits: Tensor | null;
}

/**
 * The `combine` of {@link accumulated} for {@link LossAndHits}: the batch's mean loss as
 * sum_i weight_i * loss_i and the hits summed, so the step reports what one pass over the whole
 * batch would; the micro-batches' own tensors are disposed.
 */
export function combineLossAndHits(parts: LossAndHits[], mbs: readonly MicroBatch[]): LossAndHits {
  const out = tidy(() =>
    noGrad(() => {
      let loss = mulScalar(parts[0].loss, mbs[0].weight);
      let hits = parts[0].hits ? mulScalar(parts[0].hits, 1) : null;
      for (let i = 1; i < parts.length; i++) {
        loss = add(loss, mulScalar(parts[i].loss, mbs[i].weight));
        const h = parts[i].hits;
        if (h) hits = hits ? add(hits, h) : mulScalar(h, 1);
      }
      return { loss, hits };
    })
  );
  for (const p of parts) {
    p.loss.dispose();
    p.hits?.dispose();
  }
  return out;
}
