/**
 * The model registry: the seed's model names, each mapped to a constructor, and `createModel`
 * which builds and materialises one. `wideresnet{depth}x{width}` accepts any valid depth and
 * width; the seed's spelling with an underscore (`vgg16_bn`) is accepted as an alias. `densenet`
 * (alias `densenet121`) is torchvision's densenet121 and `vit` timm's vit_small_patch16_224, built
 * for `imageSize` (224 by default).
 *
 * @module
 */
import type { Module } from "../nn/module.ts";
import { type ArchOptions, resnet18, resnet34, resnet50 } from "./resnet.ts";
import { parseWideResNetName, WideResNet } from "./wideresnet.ts";
import { VGG, vgg11bn, vgg13bn, vgg16bn, vgg19bn } from "./vgg.ts";
import { pyramidnet110 } from "./pyramidnet.ts";
import { densenet121, DENSENET_MIN_SIDE } from "./densenet.ts";
import { VIT_PATCH, vitSmallPatch16 } from "./vit.ts";

const FIXED: Record<string, (o: ArchOptions) => Module> = {
  resnet18,
  resnet34,
  resnet50,
  vgg11bn,
  vgg13bn,
  vgg16bn,
  vgg19bn,
  pyramidnet110,
  densenet: densenet121,
  densenet121,
};

/** Models whose shape depends on the image size (the ViT's position embedding). */
const SIZED: Record<string, (o: ArchOptions, imageSize: ImageSize) => Module> = {
  vit: (o, imageSize) => vitSmallPatch16({ ...o, imageSize }),
};

/** An image side, or [height, width]. */
export type ImageSize = number | readonly [number, number];

/** Model names for CLI choices (any `wideresnet{depth}x{width}` with depth = 6n + 4 also works). */
export const MODEL_NAMES: readonly string[] = [
  "resnet18",
  "resnet34",
  "resnet50",
  "wideresnet28x10",
  "wideresnet16x4",
  "wideresnet16x8",
  "wideresnet28x2",
  "wideresnet34x10",
  "wideresnet40x2",
  "vgg11bn",
  "vgg13bn",
  "vgg16bn",
  "vgg19bn",
  "pyramidnet110",
  "densenet",
  "vit",
];

/** Options of {@link createModel}. */
export interface ModelOptions {
  /** Image channels: 3 for CIFAR (default), 1 for Fashion-MNIST. */
  inChannels?: number;
  /** Number of classes (default 10). */
  numClasses?: number;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /** WideResNet only: dropout between the block convolutions (default 0). */
  dropRate?: number;
  /** Largest flat parameter buffer in bytes (default: the adapter's binding limit). */
  maxBindingBytes?: number;
  /**
   * Input image size, for models built for one (`vit`: its position embedding); 224 by default,
   * as timm's vit_small_patch16_224. The trainer passes the dataset's.
   */
  imageSize?: ImageSize;
}

const canonical = (name: string) => name.toLowerCase().replace(/_bn$/, "bn");

/** True if `name` is a known model (see {@link MODEL_NAMES}). */
export function isModelName(name: string): boolean {
  const n = canonical(name);
  return n in FIXED || n in SIZED || validWide(n);
}

function validWide(n: string): boolean {
  const w = parseWideResNetName(n);
  return !!w && w.depth >= 10 && (w.depth - 4) % 6 === 0 && w.widenFactor >= 1;
}

/**
 * Constructs a model without allocating anything (CPU only): for parameter counts and state-dict
 * names. Call `materialize({ seed })` on it, or use {@link createModel}.
 */
export function buildModel(name: string, opts: ModelOptions = {}): Module {
  const arch: ArchOptions = { inChannels: opts.inChannels ?? 3, numClasses: opts.numClasses ?? 10 };
  const n = canonical(name);
  if (n in FIXED) return FIXED[n](arch);
  if (n in SIZED) return SIZED[n](arch, opts.imageSize ?? 224);
  const w = parseWideResNetName(n);
  if (w) return new WideResNet({ ...arch, ...w, dropRate: opts.dropRate });
  throw new Error(
    `unknown model '${name}' (choose from ${MODEL_NAMES.join(", ")}, or wideresnet{depth}x{width})`,
  );
}

/** Builds the model `name` and materialises it: flat parameters initialised from `seed`, buffers, on the GPU. */
export function createModel(name: string, opts: ModelOptions = {}): Module {
  return buildModel(name, opts).materialize({ seed: opts.seed ?? 0, maxBindingBytes: opts.maxBindingBytes });
}

/** Smallest image side of the models that have one (the others take any CIFAR or Fashion-MNIST size). */
const MIN_SIDE: Record<string, number> = {
  densenet: DENSENET_MIN_SIDE,
  densenet121: DENSENET_MIN_SIDE,
  vit: VIT_PATCH,
};

/**
 * Why model `name` cannot take images of `height` x `width`, or null if it can: lets the trainer
 * refuse a model/dataset pair before it creates anything.
 */
export function imageSizeProblem(name: string, height: number, width: number): string | null {
  const min = MIN_SIDE[canonical(name)];
  if (min !== undefined && Math.min(height, width) < min) {
    return `${canonical(name)} needs images of at least ${min}x${min}, got ${height}x${width}`;
  }
  // The seed's VGG classifier needs a 1x1 feature map, so e.g. 64x64 TinyImageNet images are
  // refused before training rather than at the first forward pass.
  const m = canonical(name).startsWith("vgg") ? buildModel(name) : null;
  return m instanceof VGG ? m.inputError(height, width) : null;
}

/** Trained parameters of a model (CPU only, nothing allocated). */
export function countParameters(name: string, opts: ModelOptions = {}): number {
  return buildModel(name, opts).parameterCount();
}
