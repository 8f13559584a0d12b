/**
 * Acquiring the WebGPU adapter and device, once per process.
 *
 * Everything in samwise runs through one `GPUDevice`; asking for it twice would
 * split buffers across devices, so the first request is cached and shared.
 *
 * @module
 */

/** Thrown when no WebGPU adapter exists; the message says how to get one. */
export class NoAdapterError extends Error {
  constructor() {
    super(
      "samwise: no WebGPU adapter found. Use a machine with a GPU, or on headless Linux install Mesa's " +
        "software Vulkan driver (apt-get install -y mesa-vulkan-drivers) and run Deno >= 2.9.",
    );
    this.name = "NoAdapterError";
  }
}

/** The adapter, the device and the facts about them that the runtime needs. */
export interface GpuContext {
  adapter: GPUAdapter;
  device: GPUDevice;
  /** Adapter description as reported by the driver, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** True when the adapter has the `timestamp-query` feature and the device enabled it. */
  timestamps: boolean;
}

let pending: Promise<GpuContext> | null = null;

/**
 * Returns the process-wide GPU context, requesting adapter and device on first use.
 * The device asks for the adapter's largest buffer limits, because model weights and
 * activations exceed the WebGPU defaults (128 MiB binding, 256 MiB buffer).
 */
export function gpuContext(): Promise<GpuContext> {
  pending ??= acquire();
  return pending;
}

async function acquire(): Promise<GpuContext> {
  // Deno prints a harmless warning when XDG_RUNTIME_DIR is unset under Mesa; set it if we may.
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
  } catch { /* no --allow-env: the warning is cosmetic */ }
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new NoAdapterError();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    pending = null;
    throw new NoAdapterError();
  }
  const timestamps = adapter.features.has("timestamp-query");
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: timestamps ? ["timestamp-query"] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: lim.maxStorageBufferBindingSize,
      maxBufferSize: lim.maxBufferSize,
      maxStorageBuffersPerShaderStage: Math.min(lim.maxStorageBuffersPerShaderStage, 10),
      maxComputeWorkgroupStorageSize: lim.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: lim.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: lim.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: lim.maxComputeWorkgroupSizeY,
      // GEMM operands read through textures are as large as the matrices.
      maxTextureDimension2D: lim.maxTextureDimension2D,
      maxTextureArrayLayers: lim.maxTextureArrayLayers,
    },
  });
  const info = adapter.info;
  const description = info.description ||
    [info.vendor, info.architecture, info.device].filter(Boolean).join(" ") ||
    "unknown adapter";
  return { adapter, device, description, timestamps };
}
