/**
 * The models of the seed, by its names: `resnet18`, `resnet34`, `resnet50`, `wideresnet28x10`
 * (and any `wideresnet{depth}x{width}`), `vgg11bn`, `vgg13bn`, `vgg16bn`, `vgg19bn`, `pyramidnet110`,
 * for CIFAR-sized inputs with any channel count (3x32x32 CIFAR, 1x28x28 Fashion-MNIST); `densenet`
 * (torchvision's densenet121, 29x29 and larger) and `vit` (timm's vit_small_patch16_224, built for the
 * image size).
 *
 * ```ts
 * import * as sw from "../../mod.ts";
 * import { createModel } from "./mod.ts";
 * await sw.init();
 * const model = createModel("resnet18", { inChannels: 3, numClasses: 10, seed: 0 });
 * model.train();
 * model.zeroGrad();
 * const x = sw.full([2, 3, 32, 32], 0.5), y = sw.tensor([3, 7]); // two images, their classes
 * const loss = sw.tidy(() => {
 *   const l = sw.crossEntropy(model.forward(x), y);
 *   sw.backward(l);
 *   return l;
 * });
 * console.log(await loss.item());
 * // model.flatParams / model.flatGrads: the whole model in one buffer each (per group).
 * ```
 *
 * @module
 */
export {
  buildModel,
  countParameters,
  createModel,
  type ImageSize,
  imageSizeProblem,
  isModelName,
  MODEL_NAMES,
  type ModelOptions,
} from "./registry.ts";
export {
  type ArchOptions,
  BasicBlock,
  type BlockType,
  Bottleneck,
  ResNet,
  resnet18,
  resnet34,
  resnet50,
} from "./resnet.ts";
export {
  NetworkBlock,
  parseWideResNetName,
  WideBasicBlock,
  WideResNet,
  type WideResNetOptions,
} from "./wideresnet.ts";
export { VGG, vgg11bn, vgg13bn, vgg16bn, vgg19bn, VGG_CONFIGS, VGG_HIDDEN } from "./vgg.ts";
export {
  PyramidBasicBlock,
  PyramidBottleneck,
  PyramidNet,
  pyramidnet110,
  type PyramidNetOptions,
  roundHalfEven,
} from "./pyramidnet.ts";
export {
  DenseBlock,
  DenseLayer,
  DenseNet,
  densenet121,
  DENSENET_MIN_SIDE,
  type DenseNetOptions,
  NamedSequential,
  Transition,
} from "./densenet.ts";
export {
  Block,
  Mlp,
  PatchEmbed,
  VisionTransformer,
  VIT_PATCH,
  type ViTOptions,
  vitSmallPatch16,
} from "./vit.ts";
