/**
 * Compute pipeline cache keyed by shader source and specialization constants.
 *
 * Pipeline creation compiles WGSL to native code (LLVM under llvmpipe: tens of
 * milliseconds), so every distinct (source, constants) pair is compiled once per process.
 *
 * @module
 */

/** A compiled kernel: the pipeline plus the name used in errors and profiles. */
export interface Kernel {
  /** The kernel's name, as profiles and errors show it. */
  name: string;
  /** The compiled compute pipeline. */
  pipeline: GPUComputePipeline;
  /** Its bind group layout. */
  layout: GPUBindGroupLayout;
  /** Resolves to an error message if compilation failed, or null. */
  compiled: Promise<string | null>;
}

/** Specialization constants (WGSL `override` declarations). */
export type Constants = Record<string, number>;

/** Caches pipelines; see the module documentation. */
export class PipelineCache {
  #cache = new Map<string, Kernel>();
  #modules = new Map<string, GPUShaderModule>();

  /**
   * An empty cache.
   * @param device the device pipelines are compiled for
   */
  constructor(private readonly device: GPUDevice) {}

  /** Number of distinct pipelines compiled so far. */
  get size(): number {
    return this.#cache.size;
  }

  /** Returns the kernel for `code` with `constants`, compiling it on first use. */
  get(name: string, code: string, constants: Constants = {}): Kernel {
    const ckeys = Object.keys(constants).sort();
    const key = `${code}\u0000${ckeys.map((k) => `${k}=${constants[k]}`).join(",")}`;
    let k = this.#cache.get(key);
    if (k) return k;
    const device = this.device;
    device.pushErrorScope("validation");
    let module = this.#modules.get(code);
    if (!module) {
      module = device.createShaderModule({ label: name, code });
      this.#modules.set(code, module);
    }
    const pipeline = device.createComputePipeline({
      label: name,
      layout: "auto",
      compute: { module, entryPoint: "main", constants },
    });
    const compiled = device.popErrorScope().then((e) => e ? `kernel ${name}: ${e.message}` : null);
    k = { name, pipeline, layout: pipeline.getBindGroupLayout(0), compiled };
    this.#cache.set(key, k);
    return k;
  }
}
