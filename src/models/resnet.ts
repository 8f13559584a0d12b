/**
 * ResNet for CIFAR-sized inputs, as the seed defines it (the common `kuangliu/pytorch-cifar`
 * variant): a 3x3 stride-1 stem convolution with 64 channels, no bias, BN, ReLU and no max-pool;
 * four stages of 64, 128, 256, 512 planes (stride 1, 2, 2, 2) of BasicBlocks (ResNet-18/34) or
 * Bottlenecks (ResNet-50, expansion 4), each with a 1x1 conv + BN projection shortcut when the
 * stride or the channel count changes; global average pooling and a linear classifier.
 *
 * State-dict names are PyTorch's for that definition: `conv1.weight`, `bn1.running_mean`,
 * `layer2.0.shortcut.0.weight`, `layer2.0.shortcut.1.num_batches_tracked`, `linear.bias`, …
 * The global average pooling replaces the seed's `avg_pool2d(out, 4)`: identical on 32x32 inputs
 * (4x4 maps), and it also accepts 28x28 inputs.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { add, relu } from "../ops/elementwise.ts";
import { globalAvgPool } from "../ops/pool.ts";
import { BatchNorm2d, Conv2d, type ForwardOptions, Linear, Module, Sequential } from "../nn/mod.ts";

/** The shortcut of a residual block: identity (empty) or 1x1 conv + BN. */
function shortcut(inPlanes: number, outPlanes: number, stride: number): Sequential {
  if (stride === 1 && inPlanes === outPlanes) return new Sequential();
  return new Sequential(
    new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false }),
    new BatchNorm2d(outPlanes),
  );
}

/** Two 3x3 convolutions with BN; out = relu(bn2(conv2(relu(bn1(conv1 x)))) + shortcut x). */
export class BasicBlock extends Module {
  /** Output channels per `planes`. */
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: Sequential;

  constructor(inPlanes: number, planes: number, stride = 1) {
    super();
    this.conv1 = this.addModule(
      "conv1",
      new Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false }),
    );
    this.bn1 = this.addModule("bn1", new BatchNorm2d(planes));
    this.conv2 = this.addModule("conv2", new Conv2d(planes, planes, 3, { padding: 1, bias: false }));
    this.bn2 = this.addModule("bn2", new BatchNorm2d(planes));
    this.shortcut = this.addModule("shortcut", shortcut(inPlanes, planes, stride));
  }

  /** See the class documentation. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    const out = this.bn1.forwardRelu(this.conv1.forward(x), opts);
    const y = this.bn2.forward(this.conv2.forward(out), opts);
    return relu(add(y, this.shortcut.forward(x, opts)));
  }
}

/** 1x1 reduce, 3x3 (strided), 1x1 expand (x4), each with BN; residual add, ReLU. */
export class Bottleneck extends Module {
  /** Output channels per `planes`. */
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly shortcut: Sequential;

  constructor(inPlanes: number, planes: number, stride = 1) {
    super();
    const out = planes * Bottleneck.expansion;
    this.conv1 = this.addModule("conv1", new Conv2d(inPlanes, planes, 1, { bias: false }));
    this.bn1 = this.addModule("bn1", new BatchNorm2d(planes));
    this.conv2 = this.addModule("conv2", new Conv2d(planes, planes, 3, { stride, padding: 1, bias: false }));
    this.bn2 = this.addModule("bn2", new BatchNorm2d(planes));
    this.conv3 = this.addModule("conv3", new Conv2d(planes, out, 1, { bias: false }));
    this.bn3 = this.addModule("bn3", new BatchNorm2d(out));
    this.shortcut = this.addModule("shortcut", shortcut(inPlanes, out, stride));
  }

  /** See the class documentation. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.bn1.forwardRelu(this.conv1.forward(x), opts);
    out = this.bn2.forwardRelu(this.conv2.forward(out), opts);
    out = this.bn3.forward(this.conv3.forward(out), opts);
    return relu(add(out, this.shortcut.forward(x, opts)));
  }
}

/** A residual block class: constructor and channel expansion. */
export interface BlockType {
  /** A block from inPlanes to planes * expansion channels. */
  new (inPlanes: number, planes: number, stride: number): Module;
  /** Output channels per `planes`. */
  readonly expansion: number;
}

/** Options shared by the models. */
export interface ArchOptions {
  /** Image channels (3 for CIFAR, 1 for Fashion-MNIST). */
  inChannels: number;
  /** Classes of the classifier. */
  numClasses: number;
}

/** See the module documentation. */
export class ResNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly linear: Linear;

  constructor(block: BlockType, numBlocks: readonly number[], { inChannels, numClasses }: ArchOptions) {
    super();
    this.conv1 = this.addModule("conv1", new Conv2d(inChannels, 64, 3, { padding: 1, bias: false }));
    this.bn1 = this.addModule("bn1", new BatchNorm2d(64));
    let inPlanes = 64;
    this.layers = [64, 128, 256, 512].map((planes, i) => {
      const stage = new Sequential();
      for (let b = 0; b < numBlocks[i]; b++) {
        stage.append(new block(inPlanes, planes, b === 0 && i > 0 ? 2 : 1));
        inPlanes = planes * block.expansion;
      }
      return this.addModule(`layer${i + 1}`, stage);
    });
    this.linear = this.addModule("linear", new Linear(512 * block.expansion, numClasses));
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.bn1.forwardRelu(this.conv1.forward(x), opts);
    for (const layer of this.layers) out = layer.forward(out, opts);
    return this.linear.forward(globalAvgPool(out));
  }
}

/** ResNet-18: BasicBlocks [2, 2, 2, 2] (11,173,962 parameters for 10 classes). */
export const resnet18 = (o: ArchOptions): ResNet => new ResNet(BasicBlock, [2, 2, 2, 2], o);
/** ResNet-34: BasicBlocks [3, 4, 6, 3]. */
export const resnet34 = (o: ArchOptions): ResNet => new ResNet(BasicBlock, [3, 4, 6, 3], o);
/** ResNet-50: Bottlenecks [3, 4, 6, 3]. */
export const resnet50 = (o: ArchOptions): ResNet => new ResNet(Bottleneck, [3, 4, 6, 3], o);
