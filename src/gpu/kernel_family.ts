/**
 * Which family of compute kernels suits the adapter.
 *
 * Software rasterisers (Mesa llvmpipe/lavapipe, SwiftShader, WARP) run a workgroup as CPU SIMD
 * vectors: workgroup barriers become coroutine switches and workgroup memory is ordinary memory,
 * so their best GEMM is register-blocked without shared memory (the "cpu" family). Real GPUs want
 * shared-memory block tiling (the "gpu" family). The choice is made from the adapter's
 * description; `SAMWISE_KERNELS=cpu|gpu` overrides it (tests force the gpu family on llvmpipe so
 * both families are checked on every shape).
 *
 * @module
 */

/** The two kernel families. */
export type KernelFamily = "cpu" | "gpu";

/** The environment variable that overrides the adapter-based choice. */
export const KERNELS_ENV = "SAMWISE_KERNELS";

/** Thrown for a bad `SAMWISE_KERNELS` value; the message is one line naming the variable. */
export class KernelFamilyError extends Error {
  constructor(value: string) {
    super(`samwise: ${KERNELS_ENV} must be "cpu" or "gpu", got "${value}"`);
    this.name = "KernelFamilyError";
  }
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|softpipe|swiftshader|\bwarp\b|microsoft basic render/i;

/**
 * The family for an adapter: `override` (the env var's value) when set, else "cpu" for software
 * adapters (recognised by their description, or `isFallbackAdapter`) and "gpu" for anything else.
 */
export function chooseKernelFamily(
  description: string,
  override?: string,
  isFallback = false,
): KernelFamily {
  if (override !== undefined && override !== "") {
    if (override === "cpu" || override === "gpu") return override;
    throw new KernelFamilyError(override);
  }
  return isFallback || SOFTWARE_ADAPTER.test(description) ? "cpu" : "gpu";
}

/** Reads `SAMWISE_KERNELS`, or undefined when unset or when env access is not granted. */
export function kernelsOverride(): string | undefined {
  try {
    return Deno.env.get(KERNELS_ENV);
  } catch {
    return undefined; // no --allow-env: the adapter decides
  }
}
