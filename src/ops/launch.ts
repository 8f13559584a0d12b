/**
 * Small helpers every op uses to launch a kernel.
 * @module
 */
import { runtime } from "../gpu/runtime.ts";
import type { Constants } from "../gpu/pipelines.ts";
import type { BufferRange } from "../gpu/runtime.ts";
import { Tensor } from "../tensor/tensor.ts";

/** Workgroups for `n` invocations at `wg` per workgroup, folded into 2-D past 65535. */
export function grid(n: number, wg = 256): number[] {
  const groups = Math.ceil(n / wg);
  if (groups <= 65535) return [groups, 1];
  const x = 65535;
  return [x, Math.ceil(groups / x)];
}

/**
 * Workgroups for a grid-stride kernel (one that loops `i += invocations`) over `n` elements,
 * at about `perThread` elements per invocation: under llvmpipe, per-invocation overhead
 * dominates simple kernels, and 16 elements per invocation ran ~4x faster than 1.
 */
export function gridStride(n: number, wg = 256, perThread = 16): number[] {
  return grid(Math.max(1, Math.ceil(n / perThread)), wg);
}

/** Records one dispatch of `code` (compiled once per constants) over the given tensors. */
export function launch(
  name: string,
  code: string,
  constants: Constants,
  bindings: (Tensor | BufferRange)[],
  params: ArrayBuffer | null,
  groups: number[],
): void {
  const rt = runtime();
  const kernel = rt.kernel(name, code, constants);
  rt.dispatch(kernel, bindings.map((b) => (b instanceof Tensor ? b.range : b)), params, groups);
}
