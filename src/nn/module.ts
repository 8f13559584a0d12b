/**
 * `Module`: the base of layers and models, after PyTorch's `nn.Module`.
 *
 * A module owns named parameters, named buffers and named child modules, each kept in
 * registration order, which fixes the order of `namedParameters()` (and so of the flat
 * parameter buffer) and the names and order of `stateDict()` exactly as PyTorch gives them:
 * a module's own parameters, then its own buffers, then each child's entries under
 * `childName.`, depth first.
 *
 * Life cycle: construct (CPU only: shapes and initialisers are declared, nothing is allocated),
 * then `materialize({ seed })` on the root, which creates the flat parameter and gradient buffers
 * (`flat.ts`), draws every initial value from one seeded generator in parameter order, uploads
 * them once, and allocates the buffers. The root then exposes `params` / `grads` /
 * `zeroGrad()` (the shape of an optimizer's parameter set), `flatParams` / `flatGrads` and
 * `paramGroups`. `dispose()` frees it all.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { runtime } from "../gpu/runtime.ts";
import { tensor } from "../ops/elementwise.ts";
import { FlatParameters, type ParamGroup } from "./flat.ts";
import { Parameter, StateBuffer, type StateDtype } from "./parameter.ts";
import type { Initializer } from "./init.ts";
import { deriveSeed, Rng } from "../random/rng.ts";

/** Per-call options that travel down the module tree with the input. */
export interface ForwardOptions {
  /**
   * BatchNorm layers in training mode move their running statistics (default true). A SAM step
   * passes false to one of its two forward passes so the statistics move once per step.
   */
  updateStats?: boolean;
}

/** One entry of a state dict: PyTorch's name, the tensor, and how a checkpoint stores it. */
export interface StateEntry {
  /** Dotted PyTorch name, e.g. `layer1.0.bn1.running_mean`. */
  name: string;
  /** The live GPU tensor (a view of the flat buffer for parameters). */
  tensor: Tensor;
  /** How checkpoints store it. */
  dtype: StateDtype;
  /** Trained parameter or buffer. */
  kind: "parameter" | "buffer";
}

/** Options of {@link Module.materialize}. */
export interface MaterializeOptions {
  /** Seed of the initial weights (u32; default 0). */
  seed?: number;
  /** Largest flat buffer in bytes (default: the adapter's largest storage binding). */
  maxBindingBytes?: number;
}

/** Base class of layers and models; see the module documentation. */
export abstract class Module {
  /** Training mode (batch statistics, dropout) or eval mode; set with train() / eval(). */
  training = true;
  readonly #params = new Map<string, Parameter>();
  readonly #buffers = new Map<string, StateBuffer>();
  readonly #children = new Map<string, Module>();
  #flat: FlatParameters | null = null;

  /** Computes the module's output. */
  abstract forward(x: Tensor, opts?: ForwardOptions): Tensor;

  /** Declares a parameter (registration order is the parameter order). */
  protected addParameter(name: string, shape: readonly number[], init: Initializer): Parameter {
    this.#checkName(name);
    const p = new Parameter(shape, init);
    this.#params.set(name, p);
    return p;
  }

  /** Declares a buffer: state saved with the model but not trained. */
  protected addBuffer(
    name: string,
    shape: readonly number[],
    init: Initializer,
    dtype: StateDtype = "F32",
  ): StateBuffer {
    this.#checkName(name);
    const b = new StateBuffer(shape, init, dtype);
    this.#buffers.set(name, b);
    return b;
  }

  /** Registers a child module under `name` (its state is named `name.…`); returns it. */
  addModule<M extends Module>(name: string, m: M): M {
    this.#checkName(name);
    if (m === (this as Module)) throw new Error("a module cannot contain itself");
    this.#children.set(name, m);
    return m;
  }

  #checkName(name: string): void {
    if (!name || name.includes(".")) throw new Error(`invalid state name '${name}'`);
    if (this.#params.has(name) || this.#buffers.has(name) || this.#children.has(name)) {
      throw new Error(`'${name}' is already registered`);
    }
  }

  /** Direct children in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.#children];
  }

  /** This module and every descendant, depth first, with dotted names ("" for this one). */
  namedModules(prefix = ""): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.#children) out.push(...m.namedModules(prefix ? `${prefix}.${n}` : n));
    return out;
  }

  /** Every parameter declaration with its dotted name, in parameter order. */
  namedParameterSlots(): [string, Parameter][] {
    return this.#walk((m) => [...m.#params]);
  }

  /** Every buffer declaration with its dotted name, in state-dict order. */
  namedBufferSlots(): [string, StateBuffer][] {
    return this.#walk((m) => [...m.#buffers]);
  }

  #walk<T>(own: (m: Module) => [string, T][]): [string, T][] {
    const out: [string, T][] = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [n, v] of own(m)) out.push([prefix ? `${prefix}.${n}` : n, v]);
    }
    return out;
  }

  /** Number of trained scalars (CPU only; works before materialisation). */
  parameterCount(): number {
    return this.namedParameterSlots().reduce((n, [, p]) => n + p.size, 0);
  }

  /** Parameters with their PyTorch names, in parameter order. */
  namedParameters(): [string, Tensor][] {
    return this.namedParameterSlots().map(([n, p]) => [n, p.value]);
  }

  /** Parameters in order: views into the flat buffer with `.grad` preset to gradient views. */
  parameters(): Tensor[] {
    return this.namedParameterSlots().map(([, p]) => p.value);
  }

  /** Buffers (running statistics, batch counters) with their PyTorch names. */
  namedBuffers(): [string, Tensor][] {
    return this.namedBufferSlots().map(([n, b]) => [n, b.value]);
  }

  /** The state dict in PyTorch's order: per module its parameters, then its buffers, then its children. */
  stateDict(): StateEntry[] {
    const out: StateEntry[] = [];
    for (const [prefix, m] of this.namedModules()) {
      const full = (n: string) => (prefix ? `${prefix}.${n}` : n);
      for (const [n, p] of m.#params) {
        out.push({ name: full(n), tensor: p.value, dtype: "F32", kind: "parameter" });
      }
      for (const [n, b] of m.#buffers) {
        out.push({ name: full(n), tensor: b.value, dtype: b.dtype, kind: "buffer" });
      }
    }
    return out;
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Sets eval mode on this module and every descendant; returns this. */
  eval(): this {
    return this.train(false);
  }

  /** Hook for modules that need a seed of their own (dropout); called by materialize(). */
  protected onMaterialize(_seed: number): void {}

  /**
   * Allocates and initialises the state of this module tree: flat parameter and gradient
   * buffers, initial values from one generator seeded with `seed` (in parameter order), and the
   * buffers. Call it once, on the root. Returns this.
   */
  materialize(opts: MaterializeOptions = {}): this {
    const seed = (opts.seed ?? 0) >>> 0;
    const slots = this.namedParameterSlots();
    const buffers = this.namedBufferSlots();
    if ([...slots, ...buffers].some(([, s]) => s.tensor && !s.tensor.isDisposed)) {
      throw new Error("materialize(): this module (or a part of it) is already materialised");
    }
    const rng = new Rng(seed);
    this.#flat = FlatParameters.create(
      slots.map(([name, p]) => ({ name, shape: p.shape, init: (out: Float32Array) => p.init(out, rng) })),
      opts.maxBindingBytes ?? runtime().maxBinding,
    );
    slots.forEach(([, p], i) => (p.tensor = this.#flat!.params[i]));
    for (const [name, b] of buffers) {
      const values = new Float32Array(b.size);
      b.init(values, rng);
      const t = tensor(values, b.shape).keep();
      t.name = name;
      b.tensor = t;
    }
    this.namedModules().forEach(([, m], i) => m.onMaterialize(deriveSeed(seed, i)));
    return this;
  }

  /** The flat parameters of a materialised root module. */
  get flat(): FlatParameters {
    if (!this.#flat) throw new Error("not a materialised model: call materialize() on the root module");
    return this.#flat;
  }

  /** Parameter views in order (with `grads` and `zeroGrad`, the model is an optimizer parameter set). */
  get params(): readonly Tensor[] {
    return this.flat.params;
  }

  /** Gradient views in parameter order; `backward()` accumulates into them in place. */
  get grads(): readonly Tensor[] {
    return this.flat.grads;
  }

  /** The parameter groups: one flat buffer pair each (several only past the binding limit). */
  get paramGroups(): readonly ParamGroup[] {
    return this.flat.groups;
  }

  /** The flat parameter buffer of each group, as 1-D tensors (usually one). */
  get flatParams(): Tensor[] {
    return this.flat.groups.map((g) => g.flatParams);
  }

  /** The flat gradient buffer of each group, as 1-D tensors (usually one). */
  get flatGrads(): Tensor[] {
    return this.flat.groups.map((g) => g.flatGrads);
  }

  /** Zeroes every gradient: one fill dispatch per group. */
  zeroGrad(): void {
    this.flat.zeroGrad();
  }

  /** Frees the parameters, gradients and buffers of a materialised module tree. */
  dispose(): void {
    this.#flat?.dispose();
    this.#flat = null;
    for (const [, s] of [...this.namedParameterSlots(), ...this.namedBufferSlots()]) {
      s.tensor?.dispose();
      s.tensor = null;
    }
  }
}
