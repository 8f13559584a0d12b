/**
 * The Hessian spectrum at the end of training: the top eigenvalues of the training-loss Hessian
 * at the final weights, by Lanczos (see `src/hessian/lanczos.ts`), reported as l1, l5, l1/l5.
 *
 * The loss is the mean cross-entropy over a fixed sample of training images (the first
 * `HESSIAN_IMAGES` in dataset order, normalised without augmentation), with the model in eval
 * mode so BatchNorm uses its running statistics and the loss is a fixed function of the
 * weights, as PyHessian does.
 *
 * @module
 */
import { backward } from "../autograd/backward.ts";
import { tidy } from "../tensor/scope.ts";
import { crossEntropy } from "../ops/loss.ts";
import { mulScalar } from "../ops/elementwise.ts";
import { type Dataset, Loader } from "../data/mod.ts";
import type { Module } from "../nn/module.ts";
import { topEigenvalues } from "../hessian/lanczos.ts";
import type { TrainConfig } from "./config.ts";

/** Images in the Hessian's loss sample. */
export const HESSIAN_IMAGES = 512;
/** Lanczos iterations (each two gradient evaluations over the sample). */
export const HESSIAN_ITERATIONS = 20;

/** Top-5 Hessian eigenvalues, descending. */
export async function hessianSpectrum(model: Module, ds: Dataset, c: TrainConfig): Promise<number[]> {
  const batchSize = Math.min(c.batch_size, HESSIAN_IMAGES);
  const loader = new Loader(ds.train, { batchSize, train: false, seed: c.seed });
  const batches = Math.max(1, Math.min(loader.batchesPerEpoch, Math.floor(HESSIAN_IMAGES / batchSize)));
  model.eval();
  try {
    return await topEigenvalues({
      params: model.params,
      grads: model.grads,
      computeGrad: async () => {
        model.zeroGrad();
        let i = 0;
        for await (const b of loader.epoch(0)) {
          tidy(() =>
            backward(mulScalar(crossEntropy(model.forward(b.x, { updateStats: false }), b.y), 1 / batches))
          );
          if (++i >= batches) break;
        }
      },
    }, { k: 5, iterations: HESSIAN_ITERATIONS, seed: c.seed });
  } finally {
    model.train();
    loader.dispose();
  }
}
