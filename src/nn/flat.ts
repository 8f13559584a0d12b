/**
 * Flat parameter and gradient buffers: every parameter of a model is a view into one GPU buffer,
 * and its gradient a view at the same offset into a second one, so an optimizer update, a
 * gradient norm or zeroing the gradients is one dispatch over the whole model instead of one per
 * tensor.
 *
 * Layout: views in registration order, each starting at a multiple of 64 floats (WebGPU's
 * 256-byte storage offset alignment); the padding between views is zero in both buffers and stays
 * zero (gradients of padding are zero, so updates leave it alone and norms ignore it).
 *
 * Groups: one binding may not exceed the adapter's `maxStorageBufferBindingSize` (128 MiB under
 * lavapipe, 32M floats). A model whose parameters exceed it (WRN-28-10: 36.5M) is split into
 * several groups, each a pair of flat buffers under the limit, filled greedily in registration
 * order. Fused ops then run once per group; `ParamGroup` is shaped like the optimizers'
 * parameter set so each group can be handed over on its own.
 *
 * @module
 */
import { OFFSET_ALIGN, Storage, Tensor } from "../tensor/tensor.ts";
import { runtime } from "../gpu/runtime.ts";
import { fill_ } from "../ops/elementwise.ts";

/** Floats per alignment unit of a view's offset. */
export const ALIGN_FLOATS = OFFSET_ALIGN / 4;

/** Where one tensor lives: its group and its offset in floats within the group's buffers. */
export interface Placement {
  /** Index of the group (flat buffer pair). */
  group: number;
  /** Offset in floats within the group's buffers (a multiple of {@link ALIGN_FLOATS}). */
  offset: number;
}

/** Output of {@link planLayout}. */
export interface Layout {
  /** One per tensor, in order. */
  placements: Placement[];
  /** Floats spanned by each group: the end of its last tensor. */
  groupFloats: number[];
}

const alignUp = (n: number) => Math.ceil(n / ALIGN_FLOATS) * ALIGN_FLOATS;

/**
 * Places tensors of the given sizes (floats) in order, each at an aligned offset, starting a new
 * group whenever the next tensor would end past `maxFloats`.
 */
export function planLayout(sizes: readonly number[], maxFloats: number): Layout {
  const placements: Placement[] = [];
  const groupFloats: number[] = [];
  let group = 0, end = 0;
  sizes.forEach((n, i) => {
    if (n > maxFloats) {
      throw new Error(
        `parameter ${i} has ${n} floats, more than one binding of this adapter holds (${maxFloats})`,
      );
    }
    let offset = alignUp(end);
    if (end > 0 && offset + n > maxFloats) {
      groupFloats.push(end);
      group++;
      offset = 0;
    }
    placements.push({ group, offset });
    end = offset + n;
  });
  groupFloats.push(end);
  return { placements, groupFloats };
}

/** One group of parameters: flat buffers and the per-parameter views into them. */
export interface ParamGroup {
  /** Parameter views (requiresGrad, `.grad` preset to the matching gradient view). */
  readonly params: Tensor[];
  /** Gradient views, index by index. */
  readonly grads: Tensor[];
  /** The whole parameter buffer as one 1-D tensor (views and zero padding). */
  readonly flatParams: Tensor;
  /** The whole gradient buffer as one 1-D tensor. */
  readonly flatGrads: Tensor;
  /** Indices of this group's parameters in the model's parameter order. */
  readonly indices: number[];
  /** Zeroes the group's gradients (one dispatch). */
  zeroGrad(): void;
}

/** What to lay out: a name (for errors and tensor names), a shape and, optionally, initial values. */
export interface FlatSpec {
  /** Tensor name (given to the view, used in errors). */
  name: string;
  /** Extents of the view. */
  shape: readonly number[];
  /** Writes initial values into `out` (a subarray of the upload); zero when absent. */
  init?: (out: Float32Array) => void;
}

/** A model's flat parameters and gradients; see the module documentation. */
export class FlatParameters {
  /** The groups, in order (one unless the model exceeds a binding). */
  readonly groups: ParamGroup[];
  /** Every parameter view in order. */
  readonly params: Tensor[];
  /** Every gradient view in order. */
  readonly grads: Tensor[];
  readonly #layout: Layout;
  #disposed = false;

  private constructor(groups: ParamGroup[], params: Tensor[], grads: Tensor[], layout: Layout) {
    this.groups = groups;
    this.params = params;
    this.grads = grads;
    this.#layout = layout;
  }

  /**
   * Allocates the buffers, uploads initial values (one write per group) and zeroes the
   * gradients. `maxBytes` defaults to the adapter's largest storage binding.
   */
  static create(specs: readonly FlatSpec[], maxBytes: number = runtime().maxBinding): FlatParameters {
    const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
    const layout = planLayout(sizes, Math.floor(maxBytes / 4));
    const params: Tensor[] = [], grads: Tensor[] = [];
    const groups = layout.groupFloats.map((floats, gi) => {
      const bytes = Math.max(4, floats * 4);
      const pStore = Storage.alloc(bytes), gStore = Storage.alloc(bytes);
      // Pooled buffers may hold old data: the upload covers the padding with zeros too.
      const upload = new Float32Array(floats);
      const indices: number[] = [];
      const gp: Tensor[] = [], gg: Tensor[] = [];
      specs.forEach((spec, i) => {
        const at = layout.placements[i];
        if (at.group !== gi) return;
        spec.init?.(upload.subarray(at.offset, at.offset + sizes[i]));
        pStore.retain();
        gStore.retain();
        const p = new Tensor(spec.shape, pStore, at.offset * 4).keep();
        const g = new Tensor(spec.shape, gStore, at.offset * 4).keep();
        p.name = spec.name;
        g.name = `${spec.name}.grad`;
        p.requiresGrad = true;
        p.grad = g;
        indices.push(i);
        gp.push(p);
        gg.push(g);
        params[i] = p;
        grads[i] = g;
      });
      // The flat tensors adopt the allocation's own reference.
      const flatParams = new Tensor([floats], pStore).keep();
      const flatGrads = new Tensor([floats], gStore).keep();
      if (floats) runtime().write(pStore.buffer, 0, upload);
      const group: ParamGroup = {
        params: gp,
        grads: gg,
        flatParams,
        flatGrads,
        indices,
        zeroGrad: () => {
          if (floats) fill_(flatGrads, 0);
        },
      };
      group.zeroGrad();
      return group;
    });
    return new FlatParameters(groups, params, grads, layout);
  }

  /** Where each parameter lives (group, offset in floats). */
  get placements(): readonly Placement[] {
    return this.#layout.placements;
  }

  /** Zeroes every gradient, padding included: one dispatch per group. */
  zeroGrad(): void {
    for (const g of this.groups) g.zeroGrad();
  }

  /** Reads every parameter back (one readback per group), as one array per parameter. */
  async readParams(): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(this.params.length);
    for (const g of this.groups) {
      const flat = await g.flatParams.data();
      g.indices.forEach((i) => {
        const t = this.params[i];
        const off = this.#layout.placements[i].offset;
        out[i] = flat.slice(off, off + t.size);
      });
    }
    return out;
  }

  /** Overwrites every parameter (one write per group; padding is written as zero). */
  writeParams(values: readonly Float32Array[]): void {
    if (values.length !== this.params.length) {
      throw new Error(`writeParams: ${values.length} arrays for ${this.params.length} parameters`);
    }
    this.groups.forEach((g, gi) => {
      const upload = new Float32Array(this.#layout.groupFloats[gi]);
      for (const i of g.indices) {
        const t = this.params[i];
        if (values[i].length !== t.size) {
          throw new Error(`writeParams: ${values[i].length} values for ${t.name} of ${t.size}`);
        }
        upload.set(values[i], this.#layout.placements[i].offset);
      }
      if (upload.length) runtime().write(g.flatParams.storage.buffer, g.flatParams.offset, upload);
    });
  }

  /** Releases the buffers (the views, their gradients and the flat tensors). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const p of this.params) p.dispose(); // also disposes p.grad
    for (const g of this.groups) {
      g.flatParams.dispose();
      g.flatGrads.dispose();
    }
  }
}
