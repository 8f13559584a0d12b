/**
 * Neural-network modules after PyTorch's `torch.nn`: `Module` (named parameters and buffers,
 * train/eval, state dicts with PyTorch's names), layers, PyTorch's default initialisation from a
 * seeded CPU generator, flat parameter/gradient buffers, and safetensors checkpoints.
 *
 * ```ts
 * import * as sw from "../../mod.ts";
 * import { BatchNorm2d, Conv2d, GlobalAvgPool, Linear, ReLU, Sequential } from "./mod.ts";
 * await sw.init();
 * const net = new Sequential(new Conv2d(3, 8, 3, { padding: 1 }), new BatchNorm2d(8), new ReLU(),
 *   new GlobalAvgPool(), new Linear(8, 10)).materialize({ seed: 1 });
 * net.zeroGrad();
 * const x = sw.full([2, 3, 8, 8], 0.5), labels = sw.tensor([1, 4]);
 * sw.tidy(() => sw.backward(sw.crossEntropy(net.forward(x), labels))); // net.grads now hold the gradient
 * ```
 *
 * @module
 */
export { type ForwardOptions, type MaterializeOptions, Module, type StateEntry } from "./module.ts";
export { Parameter, StateBuffer, type StateDtype } from "./parameter.ts";
export {
  ALIGN_FLOATS,
  FlatParameters,
  type FlatSpec,
  type Layout,
  type ParamGroup,
  type Placement,
  planLayout,
} from "./flat.ts";
export * as init from "./init.ts";
export type { Initializer } from "./init.ts";
export { deriveSeed, Rng } from "../random/rng.ts";
export { Sequential } from "./sequential.ts";
export { Conv2d, type Conv2dLayerOptions } from "./conv.ts";
export { Linear } from "./linear.ts";
export { BatchNorm2d } from "./batch_norm.ts";
export { ReLU } from "./activation.ts";
export { AdaptiveAvgPool2d, AvgPool2d, GlobalAvgPool, MaxPool2d, type PoolLayerOptions } from "./pooling.ts";
export { Flatten } from "./flatten.ts";
export { Dropout } from "./dropout.ts";
export { LayerNorm } from "./layer_norm.ts";
export { GELU } from "./gelu.ts";
export { Attention, tokenLinear } from "./attention.ts";
export { truncNormal } from "./trunc_normal.ts";
export {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  type SafeDtype,
  type SafeFile,
  type SafeTensor,
  writeSafetensors,
} from "./safetensors.ts";
export { loadWeights, readStateDict, saveWeights } from "./weights.ts";
