/**
 * VGG with batch norm for CIFAR-sized inputs, as the seed defines it (`models/vgg.py`,
 * configurations A, B, D, E: `vgg11_bn`, `vgg13_bn`, `vgg16_bn`, `vgg19_bn`):
 *
 * - `features`: the Sequential of `make_layers(cfg, batch_norm=True)`, conv3x3 (padding 1, with
 *   bias) - BN - ReLU units and 2x2 stride-2 max-pools;
 * - `classifier`: Linear(512, 4096) - ReLU - Dropout(0.5) - Linear(4096, 4096) - ReLU -
 *   Dropout(0.5) - Linear(4096, classes), applied to the flattened feature map.
 *
 * The feature extractor's output, worked out from the seed's parameter counts (10 classes:
 * vgg11bn 28,149,514 = 9,225,984 in `features` + 18,923,530 in `classifier`): the classifier's
 * first Linear has 512 inputs, so the flattened features are exactly 512 values, i.e. a 512x1x1
 * map. There is no adaptive pool (torchvision's 7x7 one would make that Linear 25,088 wide): the
 * fifth max-pool itself brings 32x32 inputs to 1x1 (32 -> 16 -> 8 -> 4 -> 2 -> 1), and the
 * flatten is the seed's `output.view(N, -1)`. Other input sizes that do not end at 1x1 (64x64
 * gives 512x2x2) are refused with a one-line error, as the seed's model fails on them.
 *
 * The max-pools use ceil_mode: on 32x32 inputs every pooled size is even, so this is exactly the
 * seed's floor mode, and it keeps 28x28 inputs valid (28 -> 14 -> 7 -> 4 -> 2 -> 1) where floor
 * mode would pool a 1x1 map to nothing. The stem takes `inChannels` (the seed's is fixed at 3).
 * Initialisation is PyTorch's default for every layer, as the seed does not override it.
 *
 * State-dict names: `features.0.weight`, `features.1.running_mean`, …, `classifier.0.weight`,
 * `classifier.3.bias`, `classifier.6.weight` (ReLU and Dropout hold no state).
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { flatten } from "../ops/shape_ops.ts";
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  type ForwardOptions,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
} from "../nn/mod.ts";
import type { ArchOptions } from "./resnet.ts";

/** Layer configurations of the seed: channel counts and "M" for a max-pool. */
export const VGG_CONFIGS = {
  A: [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  B: [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
  D: [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
  E: [
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    512,
    "M",
  ],
} as const;

/** Width of the seed's two hidden classifier layers. */
export const VGG_HIDDEN = 4096;

/** See the module documentation. */
export class VGG extends Module {
  readonly features: Sequential;
  readonly classifier: Sequential;
  /** Channels of the last feature map: the classifier's input when that map is 1x1. */
  readonly featureChannels: number;

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
    this.featureChannels = c;
    this.classifier = this.addModule(
      "classifier",
      new Sequential(
        new Linear(c, VGG_HIDDEN),
        new ReLU(),
        new Dropout(0.5),
        new Linear(VGG_HIDDEN, VGG_HIDDEN),
        new ReLU(),
        new Dropout(0.5),
        new Linear(VGG_HIDDEN, numClasses),
      ),
    );
  }

  /** Side of the feature map for an input side `n`: each ceil-mode 2x2 pool halves it, rounding up. */
  featureSize(n: number): number {
    let size = n;
    for (const [, m] of this.features.namedChildren()) if (m instanceof MaxPool2d) size = Math.ceil(size / 2);
    return size;
  }

  /** Why `height` x `width` inputs cannot be classified (the feature map is not 1x1), or null. */
  inputError(height: number, width: number): string | null {
    const h = this.featureSize(height), w = this.featureSize(width);
    if (h === 1 && w === 1) return null;
    return `the seed's VGG classifier takes ${this.featureChannels}x1x1 features (32x32 or 28x28 images), ` +
      `${height}x${width} images give ${this.featureChannels}x${h}x${w}`;
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W] whose feature map ends at 1x1. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    const f = this.features.forward(x, opts);
    const [, C, H, W] = f.shape;
    if (H !== 1 || W !== 1) {
      throw new Error(
        `VGG: the classifier takes ${this.featureChannels}x1x1 features (32x32 or 28x28 inputs, as the ` +
          `seed's), got ${C}x${H}x${W} from a ${x.shape[2]}x${x.shape[3]} input`,
      );
    }
    return this.classifier.forward(flatten(f), opts);
  }
}

/** VGG-11 with BN (configuration A; 28,149,514 parameters for 10 classes). */
export const vgg11bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.A, o);
/** VGG-13 with BN (configuration B; 28,334,410 parameters for 10 classes). */
export const vgg13bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.B, o);
/** VGG-16 with BN (configuration D; 33,646,666 parameters for 10 classes). */
export const vgg16bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.D, o);
/** VGG-19 with BN (configuration E; 38,958,922 parameters for 10 classes). */
export const vgg19bn = (o: ArchOptions): VGG => new VGG(VGG_CONFIGS.E, o);
