/**
 * The WebGPU runtime: device acquisition, buffer pool, pipeline cache, batched submission.
 * @module
 */
export { type GpuContext, gpuContext, NoAdapterError } from "./device.ts";
export { bucketSize, BufferPool, type PoolStats } from "./pool.ts";
export { type Constants, type Kernel, PipelineCache } from "./pipelines.ts";
export {
  type BufferRange,
  GpuError,
  init,
  Runtime,
  runtime,
  type RuntimeStats,
  STORAGE_USAGE,
} from "./runtime.ts";
export { Params } from "./params.ts";
export type { KernelTime } from "./profiler.ts";
export {
  chooseKernelFamily,
  type KernelFamily,
  KernelFamilyError,
  KERNELS_ENV,
  kernelsOverride,
} from "./kernel_family.ts";
