/**
 * The GPU runtime: one object that owns the device, the buffer pool, the pipeline
 * cache and the command stream, and counts what it does.
 *
 * Ops never submit work themselves. They call {@link Runtime.dispatch}, which only
 * records the dispatch; recorded work is encoded into one command buffer (one compute
 * pass between copies) and submitted when the CPU needs data ({@link Runtime.read}),
 * at an explicit step boundary ({@link Runtime.flush}), or when the batch grows past
 * {@link Runtime.maxBatch} dispatches. Under llvmpipe a submit costs about twice what
 * a dispatch costs and a readback costs ~11 ms of fence latency, so training loops
 * should read at most a few scalars per step.
 *
 * Uniform parameters: each dispatch gets a 256-byte slot (the minimum uniform offset
 * alignment) in one arena that is uploaded with a single `writeBuffer` per submit, so
 * no buffer is created per dispatch. Queue operations run in order, so rewriting the
 * arena for the next submit cannot disturb the previous one.
 *
 * Errors: shader compilation, validation and device loss are caught by error scopes
 * and reported as thrown `GpuError`s naming the kernels involved, at the next flush or
 * read; nothing silently produces NaNs.
 *
 * @module
 */
import { type GpuContext, gpuContext } from "./device.ts";
import { BufferPool, type PoolStats } from "./pool.ts";
import { type Constants, type Kernel, PipelineCache } from "./pipelines.ts";
import type { KernelTime } from "./profiler.ts";
import { TexturePool } from "./texture_pool.ts";
import { chooseKernelFamily, type KernelFamily, kernelsOverride } from "./kernel_family.ts";

/** Usage flags of every tensor buffer: bound as storage, copied to and from. */
export const STORAGE_USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
const STAGING_USAGE = GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST;
const UNIFORM_SLOT = 256;

/** A GPU error (validation, out-of-memory, device loss) with the kernels it concerns. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GpuError";
  }
}

/** A storage buffer range bound to one binding of a kernel. */
export interface BufferRange {
  /** The buffer holding the range. */
  buffer: GPUBuffer;
  /** Byte offset; a multiple of 256 (WebGPU's storage offset alignment). */
  offset: number;
  /** Byte length. */
  size: number;
}

/** What a kernel binding can be: a storage buffer range or a texture view. */
export type Binding = BufferRange | GPUTextureView;

/** Counters that tests and benchmarks assert on. */
export interface RuntimeStats extends PoolStats {
  /** Compute dispatches recorded. */
  dispatches: number;
  /** Command buffers submitted. */
  submits: number;
  /** GPU-to-CPU reads. */
  readbacks: number;
  /** Buffer-to-buffer copies recorded. */
  copies: number;
  /** Buffer clears recorded ({@link Runtime.clear}). */
  clears: number;
  /** Buffer-to-texture copies recorded ({@link Runtime.copyToTexture}). */
  textureCopies: number;
  /** Pipelines compiled. */
  pipelines: number;
}

/** A dispatch kept, bound and ready, for {@link Runtime.replayTimes}. */
interface CapturedDispatch {
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  groups: number[];
}

type Command =
  | { kind: "dispatch"; kernel: Kernel; buffers: Binding[]; params: ArrayBuffer | null; groups: number[] }
  | { kind: "copy"; src: GPUBuffer; srcOffset: number; dst: GPUBuffer; dstOffset: number; size: number }
  | { kind: "clear"; dst: GPUBuffer; dstOffset: number; size: number }
  | {
    kind: "texcopy";
    src: GPUBuffer;
    srcOffset: number;
    dst: GPUTexture;
    layer: number;
    width: number;
    height: number;
    layers: number;
  };

/** The command counters of {@link RuntimeStats}, all zero. */
function zeroCounts() {
  return { dispatches: 0, submits: 0, readbacks: 0, copies: 0, clears: 0, textureCopies: 0 };
}

/** See the module documentation. */
export class Runtime {
  /** The WebGPU device. */
  readonly device: GPUDevice;
  /** Pooled storage buffers. */
  readonly pool: BufferPool;
  /** Compiled pipelines, by kernel. */
  readonly pipelines: PipelineCache;
  /** Pooled operand textures (see texture_pool.ts). */
  readonly textures: TexturePool;
  /** Adapter description, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  readonly adapterName: string;
  /** Largest byte size one storage binding may have on this device. */
  readonly maxBinding: number;
  /** Kernel family for this adapter (see kernel_family.ts); `SAMWISE_KERNELS` overrides it. */
  readonly kernelFamily: KernelFamily;
  /**
   * Whether WGSL may bind read-only storage textures here (the WGSL language feature
   * `readonly_and_readwrite_storage_textures`): the cpu-family GEMM's texture operands use them
   * where it may, sampled textures where not.
   */
  readonly readOnlyStorageTextures: boolean;
  /** Recorded dispatches beyond which the batch is submitted on its own. */
  maxBatch = 2048;

  #pending: Command[] = [];
  #uniform: GPUBuffer | null = null;
  #errors: Promise<string | null>[] = [];
  #lost: string | null = null;
  #counts = zeroCounts();
  #capture: CapturedDispatch[] | null = null;

  /**
   * Wraps an opened device: its buffer pool, pipeline cache and submission state.
   * @param ctx the opened adapter and device
   */
  constructor(ctx: GpuContext) {
    this.device = ctx.device;
    this.adapterName = ctx.description;
    this.kernelFamily = chooseKernelFamily(ctx.description, kernelsOverride());
    // navigator.gpu.wgslLanguageFeatures is missing from older WebGPU implementations: then none.
    const wgsl = (navigator.gpu as { wgslLanguageFeatures?: ReadonlySet<string> }).wgslLanguageFeatures;
    this.readOnlyStorageTextures = wgsl?.has("readonly_and_readwrite_storage_textures") ?? false;
    this.pool = new BufferPool(ctx.device);
    this.pipelines = new PipelineCache(ctx.device);
    this.textures = new TexturePool(ctx.device);
    this.maxBinding = ctx.device.limits.maxStorageBufferBindingSize;
    ctx.device.lost.then((info) => {
      this.#lost = `GPU device lost (${info.reason}): ${info.message}`;
    });
    ctx.device.addEventListener("uncapturederror", (ev) => {
      const msg = (ev as GPUUncapturedErrorEvent).error.message;
      this.#errors.push(Promise.resolve(`uncaptured GPU error: ${msg}`));
    });
  }

  /** Compiles (once) and returns a kernel; `name` is what errors and profiles call it. */
  kernel(name: string, code: string, constants: Constants = {}): Kernel {
    this.#checkAlive();
    const k = this.pipelines.get(name, code, constants);
    return k;
  }

  /** A storage buffer from the pool, at least `bytes` long. */
  alloc(bytes: number): GPUBuffer {
    this.#checkAlive();
    return this.pool.acquire(Math.max(bytes, 4), STORAGE_USAGE);
  }

  /** Returns a buffer from {@link alloc} to the pool. */
  free(buf: GPUBuffer): void {
    this.pool.release(buf);
  }

  /**
   * Records one dispatch. `buffers` (storage ranges or texture views) are bound at bindings 1..n
   * of group 0, `params`
   * (at most 256 bytes) at binding 0 as a uniform. Nothing runs until the next flush.
   */
  dispatch(kernel: Kernel, buffers: Binding[], params: ArrayBuffer | null, groups: number[]): void {
    this.#checkAlive();
    if (params && params.byteLength > UNIFORM_SLOT) {
      throw new GpuError(
        `kernel ${kernel.name}: ${params.byteLength} bytes of parameters exceed ${UNIFORM_SLOT}`,
      );
    }
    for (const g of groups) {
      if (g > 65535 || g < 0 || !Number.isInteger(g)) {
        throw new GpuError(`kernel ${kernel.name}: workgroup count ${groups.join("x")} out of range`);
      }
    }
    for (const b of buffers) {
      if (!(b instanceof GPUTextureView) && b.size > this.maxBinding) {
        throw new GpuError(
          `kernel ${kernel.name}: a ${b.size}-byte binding exceeds this adapter's ${this.maxBinding}-byte limit`,
        );
      }
    }
    if (groups.some((g) => g === 0)) return;
    this.#pending.push({ kind: "dispatch", kernel, buffers, params, groups });
    if (this.#pending.length >= this.maxBatch) this.flush();
  }

  /**
   * Starts keeping every dispatch submitted from now on (bound, with its own uniform arena)
   * for {@link replayTimes}. Pending work is submitted first so it is not captured.
   */
  startCapture(): void {
    this.flush();
    this.#capture = [];
  }

  /**
   * Wall time per kernel name, measured by replaying the dispatches captured since
   * {@link startCapture}: all dispatches of one name, in their order, `repeat` times in one
   * submit, minus the fence latency of an empty submit. This works where timestamp queries
   * do not: under llvmpipe they measured 15 ms for a step that took 657 ms of wall time.
   * Buffers hold whatever they hold by now, so data-dependent kernels time their worst case
   * or best case, not the step's. Stops capturing. With `cpuClock` (process CPU milliseconds,
   * e.g. from `process.cpuUsage`), each kernel's CPU time over its replay is reported too.
   */
  async replayTimes(repeat = 3, cpuClock?: () => number): Promise<KernelTime[]> {
    await this.sync();
    const captured = this.#capture ?? [];
    this.#capture = null;
    const byName = new Map<string, CapturedDispatch[]>();
    for (const c of captured) {
      const list = byName.get(c.name);
      if (list) list.push(c);
      else byName.set(c.name, [c]);
    }
    const submit = async (list: CapturedDispatch[], times: number): Promise<number> => {
      const enc = this.device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let r = 0; r < times; r++) {
        for (const c of list) {
          pass.setPipeline(c.pipeline);
          pass.setBindGroup(0, c.bindGroup);
          pass.dispatchWorkgroups(c.groups[0], c.groups[1] ?? 1, c.groups[2] ?? 1);
        }
      }
      pass.end();
      const t0 = performance.now();
      this.device.queue.submit([enc.finish()]);
      await this.device.queue.onSubmittedWorkDone();
      return performance.now() - t0;
    };
    // The fence's own latency, taken as the fastest of a few empty submits.
    let fence = Infinity;
    for (let i = 0; i < 5; i++) fence = Math.min(fence, await submit([], 0));
    const out: KernelTime[] = [];
    for (const [name, list] of byName) {
      await submit(list, 1); // warm caches and lazily compiled variants
      const cpu0 = cpuClock?.() ?? 0;
      const ms = Math.max(0, (await submit(list, repeat)) - fence) / repeat;
      const time: KernelTime = { name, calls: list.length, ms };
      if (cpuClock) time.cpuMs = (cpuClock() - cpu0) / repeat;
      out.push(time);
    }
    await this.#throwErrors();
    return out.sort((a, b) => b.ms - a.ms);
  }

  /** Records a buffer-to-buffer copy (ordered with the dispatches around it). */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, size: number): void {
    this.#checkAlive();
    if (size > 0) this.#pending.push({ kind: "copy", src, srcOffset, dst, dstOffset, size });
  }

  /**
   * Records a copy of `layers` consecutive width x height images of rgba32float texels from `src`
   * at `srcOffset` (bytes, a multiple of 16; rows packed, `width` a multiple of 16 so that a row
   * is a multiple of 256 bytes) into layers `layer`.. of `dst`, ordered with the dispatches
   * around it. llvmpipe runs it as a plain memory copy, where a compute pass of textureStores
   * costs ~3x a storage store per texel.
   */
  copyToTexture(
    src: GPUBuffer,
    srcOffset: number,
    dst: GPUTexture,
    layer: number,
    width: number,
    height: number,
    layers: number,
  ): void {
    this.#checkAlive();
    if (width % 16 || srcOffset % 16) {
      throw new Error(
        `copyToTexture: width ${width} must be a multiple of 16, offset ${srcOffset} of 16 bytes`,
      );
    }
    if (width * height * layers > 0) {
      this.#pending.push({ kind: "texcopy", src, srcOffset, dst, layer, width, height, layers });
    }
  }

  /**
   * Records zeroing `size` bytes of `dst` from `offset` (multiples of 4), ordered with the
   * dispatches around it: a clearBuffer command, which llvmpipe runs as a memset (zeroing a
   * ResNet-18's 11M-float gradient took ~20 ms as a fill kernel).
   */
  clear(dst: GPUBuffer, offset: number, size: number): void {
    this.#checkAlive();
    if (size > 0) this.#pending.push({ kind: "clear", dst, dstOffset: offset, size });
  }

  /**
   * Uploads bytes. Work recorded so far is submitted first: a pooled buffer handed out
   * again may still be read by recorded dispatches, and `writeBuffer` would otherwise
   * overtake them on the queue.
   */
  write(buf: GPUBuffer, offset: number, data: ArrayBufferView): void {
    this.#checkAlive();
    if (this.#pending.length) this.flush();
    this.device.queue.writeBuffer(buf, offset, data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
  }

  /** Encodes and submits everything recorded so far in one command buffer. */
  flush(): void {
    this.#checkAlive();
    const cmds = this.#pending;
    if (!cmds.length) return;
    this.#pending = [];
    const device = this.device;
    const nUniform = cmds.reduce((n, c) => n + (c.kind === "dispatch" && c.params ? 1 : 0), 0);
    let arena: Uint8Array<ArrayBuffer> | null = null;
    if (nUniform) {
      const bytes = nUniform * UNIFORM_SLOT;
      if (!this.#uniform || this.#uniform.size < bytes) {
        this.#uniform?.destroy();
        this.#uniform = device.createBuffer({
          size: Math.max(bytes, 64 * UNIFORM_SLOT),
          usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
        });
      }
      arena = new Uint8Array(new ArrayBuffer(bytes));
    }
    device.pushErrorScope("validation");
    device.pushErrorScope("out-of-memory");
    const enc = device.createCommandEncoder();
    let pass: GPUComputePassEncoder | null = null;
    let slot = 0;
    const names = new Set<string>();
    for (const c of cmds) {
      if (c.kind === "copy") {
        pass?.end();
        pass = null;
        enc.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.size);
        this.#counts.copies++;
        continue;
      }
      if (c.kind === "clear") {
        pass?.end();
        pass = null;
        enc.clearBuffer(c.dst, c.dstOffset, c.size);
        this.#counts.clears++;
        continue;
      }
      if (c.kind === "texcopy") {
        pass?.end();
        pass = null;
        enc.copyBufferToTexture(
          { buffer: c.src, offset: c.srcOffset, bytesPerRow: c.width * 16, rowsPerImage: c.height },
          { texture: c.dst, origin: [0, 0, c.layer] },
          [c.width, c.height, c.layers],
        );
        this.#counts.textureCopies++;
        continue;
      }
      names.add(c.kernel.name);
      const entries: GPUBindGroupEntry[] = c.buffers.map((b, i) => ({
        binding: i + 1,
        resource: b instanceof GPUTextureView ? b : { buffer: b.buffer, offset: b.offset, size: b.size },
      }));
      if (c.params) {
        arena!.set(new Uint8Array(c.params), slot * UNIFORM_SLOT);
        entries.push({
          binding: 0,
          resource: { buffer: this.#uniform!, offset: slot * UNIFORM_SLOT, size: c.params.byteLength },
        });
        slot++;
      }
      const bg = device.createBindGroup({ label: c.kernel.name, layout: c.kernel.layout, entries });
      this.#capture?.push({
        name: c.kernel.name,
        pipeline: c.kernel.pipeline,
        bindGroup: bg,
        groups: c.groups,
      });
      pass ??= enc.beginComputePass();
      pass.setPipeline(c.kernel.pipeline);
      pass.setBindGroup(0, bg);
      pass.dispatchWorkgroups(c.groups[0], c.groups[1] ?? 1, c.groups[2] ?? 1);
      this.#counts.dispatches++;
    }
    pass?.end();
    if (arena) device.queue.writeBuffer(this.#uniform!, 0, arena);
    device.queue.submit([enc.finish()]);
    this.#counts.submits++;
    // Retired textures are destroyed once no recorded command names them (a capture keeps them
    // for its replay).
    if (!this.#capture) this.textures.collect();
    // Captured bind groups point into this arena: the next submit must not overwrite it.
    if (this.#capture && arena) this.#uniform = null;
    const which = [...names].slice(0, 12).join(", ");
    const oom = device.popErrorScope();
    const val = device.popErrorScope();
    this.#errors.push(
      Promise.all([oom, val]).then(([o, v]) => {
        const e = o ?? v;
        return e
          ? `GPU ${o ? "out-of-memory" : "validation"} error in a submit of [${which}]: ${e.message}`
          : null;
      }),
    );
  }

  /** Submits pending work and throws the first GPU error seen so far, if any. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.#throwErrors();
  }

  /** Reads `size` bytes at `offset` of `buf` back to the CPU (counts as one readback). */
  async read(buf: GPUBuffer, offset: number, size: number): Promise<ArrayBuffer> {
    this.#checkAlive();
    const aligned = Math.ceil(size / 4) * 4;
    const staging = this.pool.acquire(aligned, STAGING_USAGE);
    this.copy(buf, offset, staging, 0, aligned);
    this.flush();
    this.#counts.readbacks++;
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, aligned);
    } catch (e) {
      await this.#throwErrors();
      throw new GpuError(`readback failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, aligned).slice(0, size);
    staging.unmap();
    this.pool.release(staging);
    await this.#throwErrors();
    return out;
  }

  /** Counters since start (or since {@link resetCounters}) plus the pool's accounting. */
  stats(): RuntimeStats {
    return { ...this.pool.stats(), ...this.#counts, pipelines: this.pipelines.size };
  }

  /** Zeroes dispatch/submit/readback/copy counters. */
  resetCounters(): void {
    this.#counts = zeroCounts();
  }

  /** Number of commands recorded but not yet submitted. */
  get pendingCount(): number {
    return this.#pending.length;
  }

  async #throwErrors(): Promise<void> {
    if (!this.#errors.length) return;
    const errs = this.#errors;
    this.#errors = [];
    const msgs = (await Promise.all(errs)).filter((m): m is string => m !== null);
    if (msgs.length) throw new GpuError(`samwise: ${msgs[0]}`);
    this.#checkAlive();
  }

  #checkAlive(): void {
    if (this.#lost) throw new GpuError(`samwise: ${this.#lost}`);
  }

  /** Awaits every kernel compiled so far and throws the first compilation error. */
  async checkCompiled(kernels: Kernel[]): Promise<void> {
    for (const k of kernels) {
      const e = await k.compiled;
      if (e) throw new GpuError(`samwise: ${e}`);
    }
  }
}

let current: Runtime | null = null;

/**
 * Initialises the runtime (adapter, device, pool) once; later calls return the same one.
 * Throws {@link NoAdapterError} with instructions when there is no WebGPU adapter.
 */
export async function init(): Promise<Runtime> {
  if (current) return current;
  current = new Runtime(await gpuContext());
  return current;
}

/** The initialised runtime; throws if {@link init} has not completed. */
export function runtime(): Runtime {
  if (!current) throw new Error("samwise: call `await init()` before creating tensors");
  return current;
}
