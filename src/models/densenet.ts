/**
 * DenseNet-121 as torchvision's `densenet121` (what the seed's `densenet` builds): a 7x7 stride-2
 * stem convolution (64 channels, no bias), BN, ReLU, 3x3 stride-2 max-pool with padding 1; dense
 * blocks of 6, 12, 24 and 16 layers with growth rate 32, each layer BN-ReLU-conv1x1 (to 4 * 32
 * bottleneck channels)-BN-ReLU-conv3x3 (to 32) whose output is concatenated to its input along
 * the channels; between blocks a transition BN-ReLU-conv1x1 (halving the channels)-avgpool 2x2;
 * a final BN, ReLU, global average pooling and the linear classifier. 7,158,856 parameters with
 * 200 classes.
 *
 * State-dict names are torchvision's: `features.conv0.weight`, `features.norm0.running_mean`,
 * `features.denseblock1.denselayer1.norm1.weight`, `features.denseblock1.denselayer1.conv2.weight`,
 * `features.transition1.conv.weight`, `features.norm5.bias`, `classifier.weight`, …
 * Initialisation as torchvision's: kaiming_normal convolutions (fan_in), BN 1 and 0, a zero
 * classifier bias.
 *
 * Each dense layer concatenates its 32 new channels to the running feature map (torchvision
 * concatenates the list of all earlier maps per layer: the same tensor, built incrementally).
 * Input size: 29x29 or larger (28x28 shrinks to 1x1 before the last transition's 2x2 pooling).
 * The seed builds densenet121 with 200 classes whatever the dataset; here the dataset's class
 * count is used (the same on TinyImageNet).
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { concat } from "../ops/concat.ts";
import { relu } from "../ops/elementwise.ts";
import { globalAvgPool } from "../ops/pool.ts";
import {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  type ForwardOptions,
  init,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
} from "../nn/mod.ts";
import type { ArchOptions } from "./resnet.ts";

/** A convolution without bias, initialised as torchvision's DenseNet: kaiming_normal (fan_in, ReLU gain). */
function conv(inC: number, outC: number, k: number, stride = 1, padding = 0): Conv2d {
  const c = new Conv2d(inC, outC, k, { stride, padding, bias: false });
  c.weight.init = init.kaimingNormal(inC * k * k);
  return c;
}

/** Children applied in registration order under the names given (torch's Sequential(OrderedDict)). */
export class NamedSequential extends Module {
  readonly #layers: Module[] = [];

  /** Appends `m` as `name`; returns this. */
  add(name: string, m: Module): this {
    this.#layers.push(this.addModule(name, m));
    return this;
  }

  /** Applies each child in turn. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let y = x;
    for (const m of this.#layers) y = m.forward(y, opts);
    return y;
  }
}

/** torchvision's _DenseLayer: norm1, relu1, conv1 (1x1 bottleneck), norm2, relu2, conv2 (3x3). */
export class DenseLayer extends NamedSequential {
  constructor(inC: number, growth: number, bottleneck: number) {
    super();
    this.add("norm1", new BatchNorm2d(inC)).add("relu1", new ReLU()).add("conv1", conv(inC, bottleneck, 1))
      .add("norm2", new BatchNorm2d(bottleneck)).add("relu2", new ReLU())
      .add("conv2", conv(bottleneck, growth, 3, 1, 1));
  }
}

/** torchvision's _DenseBlock: `denselayer1..n`, each one's output concatenated to its input. */
export class DenseBlock extends Module {
  readonly layers: DenseLayer[] = [];

  constructor(numLayers: number, inC: number, growth: number, bottleneck: number) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(
        this.addModule(`denselayer${i + 1}`, new DenseLayer(inC + i * growth, growth, bottleneck)),
      );
    }
  }

  /** x [N, C, H, W] -> [N, C + numLayers * growth, H, W]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let features = x;
    for (const layer of this.layers) features = concat([features, layer.forward(features, opts)], 1);
    return features;
  }
}

/** torchvision's _Transition: norm, relu, conv (1x1), pool (2x2 average, stride 2). */
export class Transition extends NamedSequential {
  constructor(inC: number, outC: number) {
    super();
    this.add("norm", new BatchNorm2d(inC)).add("relu", new ReLU()).add("conv", conv(inC, outC, 1))
      .add("pool", new AvgPool2d(2, { stride: 2 }));
  }
}

/** Options of {@link DenseNet}; the defaults are densenet121's. */
export interface DenseNetOptions extends ArchOptions {
  /** Layers per dense block ([6, 12, 24, 16]). */
  blockConfig?: readonly number[];
  /** New channels per layer (32). */
  growthRate?: number;
  /** Stem channels (64). */
  initFeatures?: number;
  /** Bottleneck width in multiples of the growth rate (4). */
  bnSize?: number;
}

/** See the module documentation. */
export class DenseNet extends Module {
  readonly features: NamedSequential;
  readonly classifier: Linear;

  constructor(o: DenseNetOptions) {
    super();
    const blocks = o.blockConfig ?? [6, 12, 24, 16], growth = o.growthRate ?? 32;
    const stem = o.initFeatures ?? 64, bottleneck = (o.bnSize ?? 4) * growth;
    this.features = this.addModule("features", new NamedSequential());
    this.features.add("conv0", conv(o.inChannels, stem, 7, 2, 3)).add("norm0", new BatchNorm2d(stem))
      .add("relu0", new ReLU()).add("pool0", new MaxPool2d(3, { stride: 2, padding: 1 }));
    let channels = stem;
    blocks.forEach((n, i) => {
      this.features.add(`denseblock${i + 1}`, new DenseBlock(n, channels, growth, bottleneck));
      channels += n * growth;
      if (i < blocks.length - 1) {
        this.features.add(`transition${i + 1}`, new Transition(channels, Math.floor(channels / 2)));
        channels = Math.floor(channels / 2);
      }
    });
    this.features.add("norm5", new BatchNorm2d(channels));
    this.classifier = this.addModule("classifier", new Linear(channels, o.numClasses));
    this.classifier.bias!.init = init.zeros;
  }

  /** Logits [N, numClasses] of images [N, C, H, W] (H, W >= 29). */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    if (x.rank === 4 && Math.min(finalSide(x.shape[2]), finalSide(x.shape[3])) < 1) {
      throw new Error(
        `densenet: ${x.shape[2]}x${x.shape[3]} images shrink below 1x1 (32x32 and larger work)`,
      );
    }
    return this.classifier.forward(globalAvgPool(relu(this.features.forward(x, opts))));
  }
}

/** Side of the last feature map for an input side `n`: stem conv and max-pool halve it, then each of the 3 transitions. */
function finalSide(n: number): number {
  let s = Math.floor((n + 6 - 7) / 2) + 1;
  s = Math.floor((s + 2 - 3) / 2) + 1;
  for (let i = 0; i < 3; i++) s = Math.floor(s / 2);
  return s;
}

/** The smallest image side DenseNet-121 accepts (29: 28x28 Fashion-MNIST shrinks to nothing). */
export const DENSENET_MIN_SIDE: number = (() => {
  let n = 1;
  while (finalSide(n) < 1) n++;
  return n;
})();

/** torchvision's densenet121 (the seed's `densenet`). */
export const densenet121 = (o: ArchOptions): DenseNet => new DenseNet(o);
