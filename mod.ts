/**
 * samwise: sharpness-aware training of image classifiers on WebGPU.
 *
 * ```ts
 * import * as sw from "./mod.ts";
 * await sw.init();
 * const x = sw.tensor([1, 2, 3, 4], [2, 2]);
 * x.requiresGrad = true;
 * const loss = sw.sum(sw.square(sw.matmul(x, x)));
 * sw.backward(loss);
 * console.log(await x.grad!.data());
 * ```
 *
 * @module
 */
export { init, NoAdapterError, runtime, type RuntimeStats } from "./src/gpu/mod.ts";
export { keep, Tensor, tidy } from "./src/tensor/mod.ts";
export type { Shape } from "./src/tensor/shape.ts";
export { isGradEnabled, noGrad } from "./src/tape/tape.ts";
export { backward } from "./src/autograd/backward.ts";
export { type Rule, RULES, type RuleTable } from "./src/autograd/rules.ts";
export type { BinaryAttrs, NoAttrs, OpAttrs, OpName, UnaryAttrs } from "./src/ops/record.ts";
export {
  BINARY_OPS,
  type Differentiable,
  type DifferentiableBinary,
  type DifferentiableUnary,
  type ElementwiseOp,
  type ScalarAttrs,
  UNARY_OPS,
} from "./src/ops/elementwise.ts";
export type { ConvGeometry } from "./src/ops/conv.ts";
export type { WinogradPlan, WinogradTile } from "./src/ops/winograd.ts";
export type { BatchNormGeometry } from "./src/ops/batch_norm.ts";
export type { Lanes } from "./src/ops/launch.ts";
export type { PoolGeometry } from "./src/ops/pool.ts";
export * from "./src/ops/elementwise.ts";
export { broadcastTo, flatten, permute, reshape, transpose } from "./src/ops/shape_ops.ts";
export { max, mean, sum, sumTo } from "./src/ops/reduce.ts";
export { linear, matmul } from "./src/ops/matmul.ts";
export { conv2d, type Conv2dOptions } from "./src/ops/conv.ts";
export { batchNorm2d } from "./src/ops/batch_norm.ts";
export { adaptiveAvgPool2d1, avgPool2d, globalAvgPool, maxPool2d } from "./src/ops/pool.ts";
export { dropout } from "./src/ops/dropout.ts";
export { crossEntropy, logSoftmax, nllLoss, topkCorrect } from "./src/ops/loss.ts";
export { softmax } from "./src/ops/softmax.ts";
export { gelu } from "./src/ops/gelu.ts";
export { LAYER_NORM_EPS, layerNorm } from "./src/ops/layer_norm.ts";
export { concat, narrow } from "./src/ops/concat.ts";
export { scaledDotProductAttention } from "./src/ops/attention.ts";
export {
  axpby_,
  axpy_,
  type Coef,
  copy_,
  dot,
  globalNorm,
  scale_,
  sumOfSquares,
} from "./src/ops/multi_tensor.ts";
export { pack } from "./src/ops/flat_layout.ts";

// Data: datasets, GPU augmentation, loaders.
export * from "./src/data/mod.ts";

// Layers and models: nn.Module with flat parameter buffers, the seed's architectures.
export * as nn from "./src/nn/mod.ts";
export {
  countParameters,
  createModel,
  isModelName,
  MODEL_NAMES,
  type ModelOptions,
} from "./src/models/mod.ts";

// Optimizers, criteria and the plugin system. mod.ts is a composition root: importing it
// registers the built-in plugins in the process-wide registry, so `createEngine` knows them.
import { defaultRegistry } from "./src/plugins/mod.ts";
import { registerBuiltins } from "./plugins/builtins.ts";
registerBuiltins(defaultRegistry());
export * as plugins from "./src/plugins/mod.ts";
export { createEngine, loadPlugin } from "./src/plugins/mod.ts";
export { BUILTINS, registerBuiltins } from "./plugins/builtins.ts";

// Types the API above refers to, exported so its documentation is complete (`deno doc --lint`).
export type { PoolStats } from "./src/gpu/pool.ts";
export type { BufferRange, Runtime } from "./src/gpu/runtime.ts";
export type { Disposable } from "./src/tensor/scope.ts";
export type { DeferredWrite, Storage } from "./src/tensor/tensor.ts";
export type { Node } from "./src/tape/tape.ts";
export type { BatchNormOptions } from "./src/ops/batch_norm.ts";
export type { Pool2dOptions } from "./src/ops/pool.ts";
export type { DropoutOptions } from "./src/ops/dropout.ts";
export type { ImageSize } from "./src/models/mod.ts";
export type { Module } from "./src/nn/module.ts";
export type { CifarFormat, CifarReadOptions } from "./src/data/cifar.ts";
export type { FashionReadOptions } from "./src/data/fashion.ts";
export type { Idx } from "./src/data/idx.ts";
export type { FileSplit, SplitOrigin } from "./src/data/tiny_imagenet.ts";
export type { GradThunk } from "./src/autograd/rules.ts";
export type { KernelFamily } from "./src/gpu/kernel_family.ts";
export type { Constants, Kernel, PipelineCache } from "./src/gpu/pipelines.ts";
export type { BufferPool } from "./src/gpu/pool.ts";
export type { KernelTime } from "./src/gpu/profiler.ts";
export type { Binding } from "./src/gpu/runtime.ts";
export type { TexturePool } from "./src/gpu/texture_pool.ts";
export type { FlatParameters, ParamGroup } from "./src/nn/flat.ts";
export type { Initializer } from "./src/nn/init.ts";
export type { ForwardOptions, MaterializeOptions, StateEntry } from "./src/nn/module.ts";
export type { Parameter, Slot, StateBuffer, StateDtype } from "./src/nn/parameter.ts";
export type { Size2 } from "./src/ops/pool.ts";
export type { PooledTexture } from "./src/gpu/texture_pool.ts";
export type { Placement } from "./src/nn/flat.ts";
export type { Rng } from "./src/random/rng.ts";
