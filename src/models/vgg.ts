/**
 * VGG with batch norm for CIFAR-sized inputs (configurations A, B, D: VGG-11, -13, -16): the
 * `features` Sequential of conv3x3 (with bias) - BN - ReLU units and 2x2 max-pools, as the seed's
 * `make_layers(cfg, batch_norm=True)` builds it, then global average pooling and a single
 * `classifier` Linear(512, numClasses), as the common CIFAR VGG has it.
 *
 * The max-pools use ceil_mode: on 32x32 inputs every pooled size is even, so this is exactly the
 * usual floor mode (32 -> 16 -> 8 -> 4 -> 2 -> 1), and it keeps 28x28 inputs valid
 * (28 -> 14 -> 7 -> 4 -> 2 -> 1) where floor mode would pool a 1x1 map to nothing.
 *
 * State-dict names: `features.0.weight`, `features.1.running_mean`, …, `classifier.weight`.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { globalAvgPool } from "../ops/pool.ts";
import {
  BatchNorm2d,
  Conv2d,
  type ForwardOptions,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from "../nn/mod.ts";
import type { ArchOptions } from "./resnet.ts";

/** Layer configurations: channel counts and "M" for a max-pool. */
export const VGG_CONFIGS = {
  A: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  B: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  D: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
} as const;

/** See the module documentation. */
export class VGG extends Module {
  readonly features: Sequential;
  readonly classifier: Linear;

  constructor(config: readonly (number | "M")[], { inChannels, numClasses }: ArchOptions) {
    super();
    this.features = this.addModule("features", new Sequential());
    let c = inChannels;
    for (const v of config) {
      if (v === "M") {
        this.features.append(new MaxPool2d(2, { stride: 2, ceilMode: true }));
        continue;
      }
      this.features.append(new Conv2d(c, v, 3, { padding: 1 }));
      this.features.append(new BatchNorm2d(v));
      this.features.append(new ReLU());
      c = v;
    }
    this.classifier = this.addModule("classifier", new Linear(c, numClasses));
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    return this.classifier.forward(globalAvgPool(this.features.forward(x, opts)));
  }
}

/** VGG-11 with BN (configuration A). */
export const vgg11bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.A, o);
/** VGG-13 with BN (configuration B). */
export const vgg13bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.B, o);
/** VGG-16 with BN (configuration D). */
export const vgg16bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.D, o);
