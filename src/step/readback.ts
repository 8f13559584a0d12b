/**
 * Asynchronous reads of small GPU results (a norm, a cosine) for decisions on the CPU.
 *
 * `readLater` copies the values into a staging buffer and submits the recorded work right away,
 * but does not wait: the caller awaits the promise when it needs the values, typically at the
 * start of the next step, so the GPU finishes the current step in the meantime instead of the
 * CPU waiting on a fence in the middle of it.
 *
 * @module
 */
import { runtime } from "../gpu/runtime.ts";
import type { Tensor } from "../tensor/tensor.ts";

/**
 * Starts reading `t` back (one readback) and returns the pending values. The copy is recorded
 * and submitted before this returns, so `t` may be disposed or overwritten immediately.
 */
export function readLater(t: Tensor): Promise<Float32Array> {
  const r = t.range;
  const p = runtime().read(r.buffer, r.offset, t.size * 4).then((b) => new Float32Array(b));
  // A read that is never awaited (training stopped) must not surface as an unhandled rejection.
  p.catch(() => {});
  return p;
}
