/**
 * `Sequential`: children named "0", "1", … applied in order (PyTorch's `nn.Sequential`, whose
 * numbering shows in state-dict names such as `layer1.0.conv1.weight`). An empty Sequential is
 * the identity, as PyTorch's ResNet uses it for shortcuts that need no projection.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { type ForwardOptions, Module } from "./module.ts";

/** See the module documentation. */
export class Sequential extends Module {
  readonly #layers: Module[] = [];

  constructor(...layers: Module[]) {
    super();
    for (const m of layers) this.append(m);
  }

  /** Adds a layer at the end (named by its index); returns this. */
  append(m: Module): this {
    this.addModule(String(this.#layers.length), m);
    this.#layers.push(m);
    return this;
  }

  /** Number of layers. */
  get length(): number {
    return this.#layers.length;
  }

  /** The layer at `i`. */
  at(i: number): Module {
    const m = this.#layers[i];
    if (!m) throw new Error(`Sequential has no layer ${i}`);
    return m;
  }

  /** Applies each layer in turn. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let y = x;
    for (const m of this.#layers) y = m.forward(y, opts);
    return y;
  }
}
