/**
 * Optimizer-state helpers of the step engine: a ParamSet over plain tensors, and a spare
 * binding for kernels that declare a buffer a launch never touches. The flat layout itself
 * (spans, runs, `forEachChunk`, `stateLike`) is `src/ops/flat_layout.ts`.
 *
 * @module
 */
import { Storage, Tensor } from "../tensor/tensor.ts";
import { stateLike } from "../ops/flat_layout.ts";
import type { ParamSet } from "./types.ts";

let dummy: Tensor | null = null;

/** A kept 16-byte tensor to bind where a kernel declares a buffer that this launch never touches. */
export function unusedBinding(): Tensor {
  if (!dummy || dummy.isDisposed) {
    // Never read, so never written: no upload (which would split the current batch).
    // Four floats: a binding of vec4s (optim_sgd.wgsl's) needs 16 bytes.
    dummy = new Tensor([4], Storage.alloc(16)).keep();
  }
  return dummy;
}

/**
 * A ParamSet over plain tensors: each parameter gets a zeroed gradient of its layout (set as
 * `param.grad` so `backward()` accumulates into it) unless it already has one.
 */
export function paramSet(params: readonly Tensor[]): ParamSet {
  const missing = params.filter((p) => !p.grad);
  // All missing (the usual case): one layout-preserving allocation, flat if the parameters are.
  const fresh = missing.length === params.length ? stateLike(params) : missing.map((p) => stateLike([p])[0]);
  missing.forEach((p, i) => p.grad = fresh[i]);
  for (const p of params) p.requiresGrad = true;
  return { params, grads: params.map((p) => p.grad!) };
}
