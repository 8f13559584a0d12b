/**
 * PyramidNet (Han, Kim & Kim, "Deep Pyramidal Residual Networks") for CIFAR-sized inputs, as the
 * seed defines it (`models/pyramidnet.py`, the authors' CIFAR definition): `pyramidnet110` is the
 * seed's `PyramidNet(110, 48, classes)`, whose `bottleneck` argument keeps its default, True.
 *
 * - Stem: conv3x3 to 16 channels (no bias) and BN, no ReLU.
 * - Three stages of n blocks (bottleneck: n = (depth - 2) / 9 = 12 for depth 110; basic:
 *   (depth - 2) / 6), strides 1, 2, 2. Additive widening: the block width grows by
 *   alpha / (3n) per block, kept as a float and rounded per block with Python's `round`
 *   (half to even), and a block outputs width x 4 (bottleneck) or width x 1 (basic) channels.
 * - Bottleneck block: BN - conv1x1 - BN - ReLU - conv3x3(stride) - BN - ReLU - conv1x1(x4) - BN
 *   (`bn1, conv1, bn2, conv2, bn3, conv3, bn4`); basic block: BN - conv3x3(stride) - BN - ReLU -
 *   conv3x3 - BN (`bn1, conv1, bn2, conv2, bn3`). No ReLU after the addition.
 * - Shortcut: the input itself, or for the first block of stages 2 and 3 a 2x2 stride-2 average
 *   pool (ceil_mode); it has fewer channels than the block's output, and is zero-padded to them
 *   (the seed's `torch.cat((shortcut, zeros), 1)`), which `addPadded` does in the addition itself.
 * - Head: BN (`bn_final`), ReLU, average pool, `fc`.
 *
 * Initialisation as the seed: every conv N(0, 2 / (k * k * out)), BN weight 1 and bias 0, the
 * Linear PyTorch's default. 1,153,458 parameters with 10 classes.
 *
 * The head's pool is global: the seed's `AvgPool2d(8)` is the same on 32x32 inputs (8x8 maps),
 * and the global pool also accepts 28x28 (7x7 maps) and 64x64 inputs, where the seed's fails.
 * The stem takes `inChannels` (the seed's is fixed at 3).
 *
 * State-dict names: `conv1.weight`, `bn1.running_mean`, `layer1.0.bn1.weight`,
 * `layer2.0.conv3.weight`, `layer3.11.bn4.num_batches_tracked`, `bn_final.weight`, `fc.bias`, …
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { avgPool2d, globalAvgPool } from "../ops/pool.ts";
import { addPadded } from "../ops/pad_channels.ts";
import { BatchNorm2d, Conv2d, type ForwardOptions, init, Linear, Module, Sequential } from "../nn/mod.ts";
import type { ArchOptions } from "./resnet.ts";

/** Python 3's `round` to an integer: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d < 0.5 ? f : f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** The shortcut of a block: x, average-pooled 2x2 (ceil_mode) when the block strides. */
function shortcut(x: Tensor, stride: number): Tensor {
  return stride === 1 ? x : avgPool2d(x, { kernel: 2, stride: 2, ceilMode: true });
}

const conv3x3 = (i: number, o: number, stride = 1) =>
  new Conv2d(i, o, 3, { stride, padding: 1, bias: false });

/** The basic pyramidal block; see the module documentation. */
export class PyramidBasicBlock extends Module {
  /** Output channels per unit of width. */
  static readonly outChannelRatio = 1;
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn3: BatchNorm2d;

  constructor(inPlanes: number, planes: number, readonly stride = 1) {
    super();
    this.bn1 = this.addModule("bn1", new BatchNorm2d(inPlanes));
    this.conv1 = this.addModule("conv1", conv3x3(inPlanes, planes, stride));
    this.bn2 = this.addModule("bn2", new BatchNorm2d(planes));
    this.conv2 = this.addModule("conv2", conv3x3(planes, planes));
    this.bn3 = this.addModule("bn3", new BatchNorm2d(planes));
  }

  /** See the module documentation. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.conv1.forward(this.bn1.forward(x, opts));
    out = this.conv2.forward(this.bn2.forwardRelu(out, opts));
    return addPadded(this.bn3.forward(out, opts), shortcut(x, this.stride));
  }
}

/** The bottleneck pyramidal block; see the module documentation. */
export class PyramidBottleneck extends Module {
  /** Output channels per unit of width. */
  static readonly outChannelRatio = 4;
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn4: BatchNorm2d;

  constructor(inPlanes: number, planes: number, readonly stride = 1) {
    super();
    const out = planes * PyramidBottleneck.outChannelRatio;
    this.bn1 = this.addModule("bn1", new BatchNorm2d(inPlanes));
    this.conv1 = this.addModule("conv1", new Conv2d(inPlanes, planes, 1, { bias: false }));
    this.bn2 = this.addModule("bn2", new BatchNorm2d(planes));
    this.conv2 = this.addModule("conv2", conv3x3(planes, planes, stride));
    this.bn3 = this.addModule("bn3", new BatchNorm2d(planes));
    this.conv3 = this.addModule("conv3", new Conv2d(planes, out, 1, { bias: false }));
    this.bn4 = this.addModule("bn4", new BatchNorm2d(out));
  }

  /** See the module documentation. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.conv1.forward(this.bn1.forward(x, opts));
    out = this.conv2.forward(this.bn2.forwardRelu(out, opts));
    out = this.conv3.forward(this.bn3.forwardRelu(out, opts));
    return addPadded(this.bn4.forward(out, opts), shortcut(x, this.stride));
  }
}

/** Options of {@link PyramidNet}. */
export interface PyramidNetOptions extends ArchOptions {
  /** Total depth: 9n + 2 with bottlenecks, 6n + 2 with basic blocks. */
  depth: number;
  /** Total widening alpha over the three stages. */
  alpha: number;
  /** Bottleneck blocks (the seed's default, true) or basic blocks. */
  bottleneck?: boolean;
}

/** See the module documentation. */
export class PyramidNet extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly layers: Sequential[];
  readonly bnFinal: BatchNorm2d;
  readonly fc: Linear;

  constructor({ depth, alpha, bottleneck = true, inChannels, numClasses }: PyramidNetOptions) {
    super();
    const Block = bottleneck ? PyramidBottleneck : PyramidBasicBlock;
    const perBlock = bottleneck ? 9 : 6;
    if (!Number.isInteger(depth) || (depth - 2) % perBlock !== 0 || depth <= 2) {
      throw new Error(`PyramidNet: depth ${depth} is not ${perBlock}n + 2`);
    }
    const n = (depth - 2) / perBlock;
    const addRate = alpha / (3 * n);
    const ratio = Block.outChannelRatio;
    this.conv1 = this.addModule("conv1", conv3x3(inChannels, 16));
    this.bn1 = this.addModule("bn1", new BatchNorm2d(16));
    // The seed's pyramidal_make_layer, float accumulation included (same doubles as Python).
    let width = 16;
    let inPlanes = 16;
    this.layers = [1, 2, 2].map((stride, s) => {
      const stage = new Sequential();
      width += addRate;
      stage.append(new Block(inPlanes, roundHalfEven(width), stride));
      for (let b = 1; b < n; b++) {
        const next = width + addRate;
        stage.append(new Block(roundHalfEven(width) * ratio, roundHalfEven(next), 1));
        width = next;
      }
      inPlanes = roundHalfEven(width) * ratio;
      return this.addModule(`layer${s + 1}`, stage);
    });
    this.bnFinal = this.addModule("bn_final", new BatchNorm2d(inPlanes));
    this.fc = this.addModule("fc", new Linear(inPlanes, numClasses));
    for (const [, m] of this.namedModules()) {
      if (m instanceof Conv2d) m.weight.init = init.kaimingNormal(m.fanOut);
    }
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.bn1.forward(this.conv1.forward(x), opts);
    for (const layer of this.layers) out = layer.forward(out, opts);
    return this.fc.forward(globalAvgPool(this.bnFinal.forwardRelu(out, opts)));
  }
}

/** The seed's `pyramidnet110`: PyramidNet(110, 48, classes) with bottlenecks (1,153,458 parameters for 10 classes). */
export const pyramidnet110 = (o: ArchOptions): PyramidNet => new PyramidNet({ ...o, depth: 110, alpha: 48 });
