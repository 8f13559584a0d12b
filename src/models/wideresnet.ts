/**
 * Wide ResNet WRN-depth-k (Zagoruyko & Komodakis), the pre-activation definition the seed uses
 * (the common PyTorch WRN of xternalz/WideResNet-pytorch): a 3x3 stem conv to 16 channels, three
 * groups of (depth - 4) / 6 blocks with 16k, 32k and 64k channels (stride 1, 2, 2), then BN, ReLU,
 * global average pooling and a linear classifier.
 *
 * Block: BN-ReLU-conv3x3(stride)-BN-ReLU-(dropout)-conv3x3. When the channel count changes, the
 * pre-activation relu(bn1(x)) also feeds a 1x1 projection shortcut (`convShortcut`); otherwise
 * the shortcut is x itself, before activation. Initialisation as that definition: convolutions
 * kaiming_normal(fan_out, relu), i.e. N(0, 2 / (k*k*out)), BN weight 1 and bias 0, linear bias 0
 * (the linear weight keeps PyTorch's default).
 *
 * State-dict names: `conv1.weight`, `block1.layer.0.bn1.weight`, `block2.layer.0.convShortcut.weight`,
 * `bn1.running_var`, `fc.weight`, … The global average pooling replaces the seed's
 * `avg_pool2d(out, 8)`: identical on 32x32 inputs (8x8 maps), and it also accepts 28x28 inputs.
 *
 * @module
 */
import type { Tensor } from "../tensor/tensor.ts";
import { add } from "../ops/elementwise.ts";
import { globalAvgPool } from "../ops/pool.ts";
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  type ForwardOptions,
  init,
  Linear,
  Module,
  Sequential,
} from "../nn/mod.ts";
import type { ArchOptions } from "./resnet.ts";

/** The pre-activation basic block; see the module documentation. */
export class WideBasicBlock extends Module {
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly dropout: Dropout | null;
  readonly convShortcut: Conv2d | null;

  constructor(inPlanes: number, outPlanes: number, stride: number, dropRate = 0) {
    super();
    // The definition's relu1 and relu2 (stateless) run fused into bn1 and bn2 (forwardRelu).
    this.bn1 = this.addModule("bn1", new BatchNorm2d(inPlanes));
    this.conv1 = this.addModule(
      "conv1",
      new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false }),
    );
    this.bn2 = this.addModule("bn2", new BatchNorm2d(outPlanes));
    this.conv2 = this.addModule("conv2", new Conv2d(outPlanes, outPlanes, 3, { padding: 1, bias: false }));
    // Stateless, so registering it changes no state-dict name (the seed calls F.dropout).
    this.dropout = dropRate > 0 ? this.addModule("dropout", new Dropout(dropRate)) : null;
    this.convShortcut = inPlanes === outPlanes
      ? null
      : this.addModule("convShortcut", new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false }));
  }

  /** See the module documentation. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    const act = this.bn1.forwardRelu(x, opts);
    let out = this.bn2.forwardRelu(this.conv1.forward(act), opts);
    if (this.dropout) out = this.dropout.forward(out);
    out = this.conv2.forward(out);
    return add(this.convShortcut ? this.convShortcut.forward(act) : x, out);
  }
}

/** A group of blocks (`NetworkBlock` in the PyTorch definition, whose blocks sit in `layer`). */
export class NetworkBlock extends Module {
  readonly layer: Sequential;

  constructor(count: number, inPlanes: number, outPlanes: number, stride: number, dropRate = 0) {
    super();
    this.layer = this.addModule("layer", new Sequential());
    for (let i = 0; i < count; i++) {
      this.layer.append(
        new WideBasicBlock(i === 0 ? inPlanes : outPlanes, outPlanes, i === 0 ? stride : 1, dropRate),
      );
    }
  }

  /** Applies the blocks in turn. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    return this.layer.forward(x, opts);
  }
}

/** Options of {@link WideResNet}. */
export interface WideResNetOptions extends ArchOptions {
  /** Total depth, 6n + 4 (n blocks per group). */
  depth: number;
  /** Width multiplier k of the groups' 16k, 32k, 64k channels. */
  widenFactor: number;
  /** Dropout between the block's convolutions (default 0, as the seed). */
  dropRate?: number;
}

/** See the module documentation. */
export class WideResNet extends Module {
  readonly conv1: Conv2d;
  readonly blocks: NetworkBlock[];
  readonly bn1: BatchNorm2d;
  readonly fc: Linear;

  constructor({ depth, widenFactor, inChannels, numClasses, dropRate = 0 }: WideResNetOptions) {
    super();
    if (!Number.isInteger(depth) || depth < 10 || (depth - 4) % 6 !== 0) {
      throw new Error(`WideResNet: depth ${depth} is not 6n + 4 (e.g. 16, 22, 28, 40)`);
    }
    if (!Number.isInteger(widenFactor) || widenFactor < 1) {
      throw new Error(`WideResNet: widen factor ${widenFactor} is not a positive integer`);
    }
    const n = (depth - 4) / 6;
    const ch = [16, 16 * widenFactor, 32 * widenFactor, 64 * widenFactor];
    this.conv1 = this.addModule("conv1", new Conv2d(inChannels, ch[0], 3, { padding: 1, bias: false }));
    this.blocks = [1, 2, 3].map((g) =>
      this.addModule(`block${g}`, new NetworkBlock(n, ch[g - 1], ch[g], g === 1 ? 1 : 2, dropRate))
    );
    // The definition's final relu (stateless) runs fused into bn1 (forwardRelu).
    this.bn1 = this.addModule("bn1", new BatchNorm2d(ch[3]));
    this.fc = this.addModule("fc", new Linear(ch[3], numClasses));
    // The definition's own initialisation, applied over PyTorch's defaults as it does.
    for (const [, m] of this.namedModules()) {
      if (m instanceof Conv2d) m.weight.init = init.kaimingNormal(m.fanOut);
      else if (m instanceof Linear && m.bias) m.bias.init = init.zeros;
    }
  }

  /** Logits [N, numClasses] of images [N, inChannels, H, W]. */
  forward(x: Tensor, opts?: ForwardOptions): Tensor {
    let out = this.conv1.forward(x);
    for (const b of this.blocks) out = b.forward(out, opts);
    out = this.bn1.forwardRelu(out, opts);
    return this.fc.forward(globalAvgPool(out));
  }
}

/** Parses `wideresnet{depth}x{width}` (e.g. "wideresnet28x10"); null for other names. */
export function parseWideResNetName(name: string): { depth: number; widenFactor: number } | null {
  const m = /^wideresnet(\d+)x(\d+)$/.exec(name);
  return m ? { depth: Number(m[1]), widenFactor: Number(m[2]) } : null;
}
