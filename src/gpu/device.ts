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
      "samwise: no WebGPU adapter found: use a machine with a GPU driver, or on headless Linux install Mesa " +
        "(apt-get install -y mesa-vulkan-drivers, or libegl1 libgl1-mesa-dri for OpenGL)",
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
  /** The native API wgpu drives the adapter through, and how that was told; see {@link detectBackend}. */
  backend: BackendInfo;
}

/** Native graphics APIs wgpu (Deno's WebGPU) can run on; "unknown" when no signal decides. */
export type GpuBackend = "vulkan" | "gl" | "metal" | "d3d12" | "unknown";

/** The backend in use and the signal it was read from (printed next to it, so a guess is visible). */
export interface BackendInfo {
  name: GpuBackend;
  /** e.g. "DENO_WEBGPU_BACKEND=gl", "no Vulkan ICD file", "adapter features". */
  evidence: string;
}

/** What {@link detectBackend} looks at, separated from the live adapter so tests can feed it. */
export interface BackendSignals {
  os: typeof Deno.build.os;
  /** `DENO_WEBGPU_BACKEND`, which Deno passes to wgpu as the allowed backends (comma list). */
  denoWebgpuBackend?: string;
  /** Whether a Vulkan ICD (driver manifest) file exists where the Vulkan loader would look. */
  vulkanIcdFound: boolean;
  features: ReadonlySet<string>;
  subgroupMinSize?: number;
  subgroupMaxSize?: number;
}

const BACKEND_NAMES: Record<string, GpuBackend> = {
  vulkan: "vulkan",
  vk: "vulkan",
  gl: "gl",
  gles: "gl",
  opengl: "gl",
  metal: "metal",
  mtl: "metal",
  dx12: "d3d12",
  d3d12: "d3d12",
};

/**
 * Which native API the adapter runs on. WebGPU does not report it, and with Mesa the adapter is
 * called "llvmpipe" on Vulkan (lavapipe) and on OpenGL alike, so it is inferred, strongest signal
 * first:
 * 1. `DENO_WEBGPU_BACKEND` naming a single backend: wgpu is only allowed that one.
 * 2. macOS: Metal, wgpu's only native backend there.
 * 3. Linux and other Unix: wgpu prefers Vulkan when its loader finds a driver; with no ICD file
 *    (none installed, or `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` pointing at nothing) it can only be GL.
 *    With an ICD, wgpu's GL backend still gives itself away: it has no subgroup query, so it reports
 *    wgpu's placeholder range 4..128, and it never offers `shader-f16`; a Vulkan driver reports its
 *    real subgroup sizes.
 * 4. Windows: the same feature signature tells GL; otherwise D3D12 or Vulkan, reported "unknown"
 *    unless named by the variable, since both report real subgroup sizes.
 */
export function detectBackend(s: BackendSignals): BackendInfo {
  const named = (s.denoWebgpuBackend ?? "").split(",").map((x) => x.trim().toLowerCase()).filter(Boolean)
    .map((x) => BACKEND_NAMES[x]).filter((x): x is GpuBackend => x !== undefined);
  if (named.length === 1) return { name: named[0], evidence: `DENO_WEBGPU_BACKEND=${s.denoWebgpuBackend}` };
  if (s.os === "darwin") return { name: "metal", evidence: "macOS" };
  const glSignature = s.subgroupMinSize === 4 && s.subgroupMaxSize === 128 && !s.features.has("shader-f16");
  if (s.os !== "windows") {
    if (!s.vulkanIcdFound) return { name: "gl", evidence: "no Vulkan ICD file" };
    return glSignature
      ? { name: "gl", evidence: "adapter features (Vulkan ICD present but unused)" }
      : { name: "vulkan", evidence: "Vulkan ICD and adapter features" };
  }
  return glSignature
    ? { name: "gl", evidence: "adapter features" }
    : { name: "unknown", evidence: "Windows" };
}

/**
 * Whether the Vulkan loader would find a driver manifest: the files or directories named by
 * `VK_DRIVER_FILES` / `VK_ICD_FILENAMES` (which replace the search when set), otherwise the
 * loader's standard `vulkan/icd.d` directories. Unreadable places count as absent.
 */
export function vulkanIcdFound(env: (name: string) => string | undefined = safeEnv): boolean {
  const exists = (p: string) => {
    try {
      const st = Deno.statSync(p);
      if (st.isFile) return p.endsWith(".json");
      for (const e of Deno.readDirSync(p)) if (e.name.endsWith(".json")) return true;
    } catch { /* absent or not permitted */ }
    return false;
  };
  const sep = Deno.build.os === "windows" ? ";" : ":";
  const listed = env("VK_DRIVER_FILES") ?? env("VK_ICD_FILENAMES");
  if (listed !== undefined) return listed.split(sep).filter(Boolean).some(exists);
  const dataDirs = (env("XDG_DATA_DIRS") ?? "/usr/local/share:/usr/share").split(":");
  const dirs = [
    env("XDG_CONFIG_HOME") ?? `${env("HOME") ?? ""}/.config`,
    "/etc/xdg",
    "/etc",
    `${env("HOME") ?? ""}/.local/share`,
    ...dataDirs,
  ].filter(Boolean).map((d) => `${d}/vulkan/icd.d`);
  return dirs.some(exists);
}

function safeEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env
  }
}

/** {@link detectBackend} for a live adapter, reading the environment and file system of this process. */
export function adapterBackend(adapter: GPUAdapter): BackendInfo {
  const info = adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return detectBackend({
    os: Deno.build.os,
    denoWebgpuBackend: safeEnv("DENO_WEBGPU_BACKEND"),
    vulkanIcdFound: vulkanIcdFound(),
    features: adapter.features as unknown as ReadonlySet<string>,
    subgroupMinSize: info.subgroupMinSize,
    subgroupMaxSize: info.subgroupMaxSize,
  });
}

let pending: Promise<GpuContext> | null = null;

/**
 * Returns the process-wide GPU context, requesting adapter and device on first use.
 * The device asks for the adapter's largest buffer limits, because model weights and
 * activations exceed the WebGPU defaults (128 MiB binding, 256 MiB buffer).
 * `adapterIndex` (`--adapter i`) matters on the first call only; see {@link selectAdapter}.
 */
export function gpuContext(adapterIndex = 0): Promise<GpuContext> {
  pending ??= acquire(adapterIndex);
  return pending;
}

/** Thrown for an `--adapter` index that names no GPU of this machine. */
export class AdapterIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AdapterIndexError";
  }
}

/** PCI addresses of the GPUs with a render node, in render-node order (`/sys/class/drm/renderD*`). */
export function renderNodeGpus(sysDrm = "/sys/class/drm"): string[] {
  const out: { node: number; pci: string }[] = [];
  try {
    for (const e of Deno.readDirSync(sysDrm)) {
      const m = /^renderD(\d+)$/.exec(e.name);
      if (!m) continue;
      const target = Deno.realPathSync(`${sysDrm}/${e.name}/device`);
      const pci = /([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f])$/.exec(target)?.[1];
      if (pci) out.push({ node: Number(m[1]), pci });
    }
  } catch { /* no sysfs (macOS, Windows, containers without it) or no permission */ }
  return out.sort((a, b) => a.node - b.node).map((x) => x.pci);
}

/**
 * Makes adapter `index` the one WebGPU hands out. WebGPU's `requestAdapter` takes no index (and
 * ignores `CUDA_VISIBLE_DEVICES`), so for index i > 0 samwise finds the i-th GPU with a render
 * node and names its PCI address in `DRI_PRIME` (`pci-0000_41_00_0`), which Mesa's Vulkan
 * device-select layer (shipped with mesa-vulkan-drivers; it sorts every vendor's devices) reads to
 * put that device first. Index 0 leaves the default alone. Must run before the first request.
 * Returns the PCI address selected, or null for the default.
 */
export function selectAdapter(index: number, gpus: string[] = renderNodeGpus()): string | null {
  if (index === 0) return null;
  if (index >= gpus.length) {
    throw new AdapterIndexError(
      `samwise train: --adapter ${index}: expected 0 (the default adapter) or an index below the ` +
        `${gpus.length} GPU(s) with a render node under /sys/class/drm`,
    );
  }
  const pci = gpus[index];
  Deno.env.set("DRI_PRIME", `pci-${pci.replace(/[:.]/g, "_")}`);
  return pci;
}

/** Most threads llvmpipe runs (its LP_MAX_THREADS in Mesa 22.3); it ignores more. */
const LLVMPIPE_MAX_THREADS = 16;

/**
 * How many threads llvmpipe (Mesa's CPU driver, behind lavapipe) should run compute work on, for
 * `cores` cores: three per core, at most {@link LLVMPIPE_MAX_THREADS}. llvmpipe hands each
 * thread an equal share of a dispatch's workgroups up front (no stealing); with one thread per
 * core, a core that is held up (another thread, the hypervisor) leaves the other idle until its
 * share is done: the default model's largest kernels kept 1.3-1.6 of 2 cores busy. With three
 * shares per core the kernel's scheduler evens the load out: 1.9 cores busy, and the default
 * run trained 1.08x faster (README, "Eighth round of issue 19"). Other drivers do not read the
 * variable; results do not depend on it.
 */
export function llvmpipeThreads(cores: number): number {
  return Math.max(1, Math.min(LLVMPIPE_MAX_THREADS, 3 * Math.max(1, cores)));
}

async function acquire(adapterIndex: number): Promise<GpuContext> {
  // Deno prints a harmless warning when XDG_RUNTIME_DIR is unset under Mesa; set it if we may.
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
  } catch { /* no --allow-env: the warning is cosmetic */ }
  // llvmpipe reads LP_NUM_THREADS once, when the adapter is first requested; a value the user
  // set wins.
  try {
    if (!Deno.env.get("LP_NUM_THREADS")) {
      Deno.env.set("LP_NUM_THREADS", String(llvmpipeThreads(navigator.hardwareConcurrency || 1)));
    }
  } catch { /* no --allow-env: llvmpipe keeps one thread per core, slower but the same results */ }
  try {
    selectAdapter(adapterIndex);
  } catch (e) {
    pending = null;
    throw e;
  }
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new NoAdapterError();
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    pending = null;
    throw new NoAdapterError();
  }
  const lim = adapter.limits;
  const device = await adapter.requestDevice({
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
  return { adapter, device, description, backend: adapterBackend(adapter) };
}
