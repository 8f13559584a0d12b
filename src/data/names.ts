/**
 * The dataset names a run can ask for, and each one's recipe.
 * @module
 */
import type { AugmentSpec } from "./spec.ts";

/**
 * Every dataset name, as a CLI offers them. The CIFAR names are the seed's; `_cutout`
 * adds the seed's cutout to the training augmentation. `FashionMNIST_subset` is the
 * 6,000/1,000-image subset shipped in the repository (see `data/fashion-mnist-subset/`).
 * `TinyImageNet` is the seed's: 200 classes of 64x64 JPEGs in ImageFolder layout
 * (`src/data/tiny_imagenet.ts`).
 */
export const DATASET_NAMES = [
  "CIFAR10_base",
  "CIFAR10_cutout",
  "CIFAR100_base",
  "CIFAR100_cutout",
  "FashionMNIST",
  "FashionMNIST_cutout",
  "FashionMNIST_subset",
  "FashionMNIST_subset_cutout",
  "TinyImageNet",
] as const;

/** One of {@link DATASET_NAMES}. */
export type DatasetName = typeof DATASET_NAMES[number];

/** Where a dataset's files come from. */
export type DatasetFamily = "cifar10" | "cifar100" | "fashion" | "fashion_subset" | "tiny_imagenet";

/** True if `name` is one of {@link DATASET_NAMES}. */
export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/** The seed's CIFAR normalisation (both CIFAR-10 and CIFAR-100): mean, in pixel / 255. */
export const CIFAR_MEAN: readonly number[] = [125.3 / 255, 123.0 / 255, 113.9 / 255];
/** The seed's CIFAR normalisation: standard deviation, in pixel / 255. */
export const CIFAR_STD: readonly number[] = [63.0 / 255, 62.1 / 255, 66.7 / 255];

/**
 * Fashion-MNIST's pixel mean and standard deviation (population), in pixel / 255,
 * measured once over all 60,000 x 784 pixels of the full training set from Debian's
 * dataset-fashion-mnist package and hard-coded here: 0.2860405969804586 and
 * 0.3530242445185261. The embedded subset uses the same values, so a model trained on
 * it sees the same input scale as one trained on the full set.
 */
export const FASHION_MEAN: readonly number[] = [0.2860405969804586];
/** See {@link FASHION_MEAN}. */
export const FASHION_STD: readonly number[] = [0.3530242445185261];

/** ImageNet's normalisation, the seed's for TinyImageNet: mean, in pixel / 255. */
export const IMAGENET_MEAN: readonly number[] = [0.485, 0.456, 0.406];
/** ImageNet's normalisation: standard deviation, in pixel / 255. */
export const IMAGENET_STD: readonly number[] = [0.229, 0.224, 0.225];

/** The seed's cutout on 32x32 CIFAR images: 16x16 with probability 0.5. */
export const CIFAR_CUTOUT = 16;
/**
 * Cutout side on 28x28 Fashion-MNIST: 14, half the image side as 16 is of CIFAR's 32,
 * so the expected occluded fraction matches the seed's.
 */
export const FASHION_CUTOUT = 14;

/** The random crop's zero padding, for both families: the seed's 4 pixels per side. */
export const CROP_PAD = 4;

/** Facts about one named dataset. */
export interface DatasetInfo {
  family: DatasetFamily;
  cutout: boolean;
}

/** Family and cutout flag of `name`. */
export function datasetInfo(name: DatasetName): DatasetInfo {
  const cutout = name.endsWith("_cutout");
  const family: DatasetFamily = name === "TinyImageNet"
    ? "tiny_imagenet"
    : name.startsWith("CIFAR100")
    ? "cifar100"
    : name.startsWith("CIFAR10")
    ? "cifar10"
    : name.startsWith("FashionMNIST_subset")
    ? "fashion_subset"
    : "fashion";
  return { family, cutout };
}

/**
 * The training recipe of `name`. CIFAR: the seed's crop 32 with 4-pixel padding, flip
 * p = 0.5 and, for `_cutout`, cutout 16 with p = 0.5. Fashion-MNIST: crop 28 with the
 * same 4-pixel padding (a one-pixel-in-seven shift, as CIFAR's is one in eight), no flip
 * unless `flip` is set (flipping turns some garments' asymmetric details around; the
 * seed has no Fashion-MNIST recipe), and cutout 14 with p = 0.5 for `_cutout`.
 * TinyImageNet: the seed's RandomCrop(64) without padding (on 64x64 images the identity, so no
 * crop), flip p = 0.5, ImageNet's mean and std.
 */
export function trainRecipe(name: DatasetName, flip?: boolean): AugmentSpec {
  const { family, cutout } = datasetInfo(name);
  if (family === "tiny_imagenet") {
    return {
      mean: IMAGENET_MEAN,
      std: IMAGENET_STD,
      pad: 0,
      flip: (flip ?? true) ? 0.5 : 0,
      cutout: 0,
      cutoutP: 0,
    };
  }
  const cifar = family === "cifar10" || family === "cifar100";
  return {
    mean: cifar ? CIFAR_MEAN : FASHION_MEAN,
    std: cifar ? CIFAR_STD : FASHION_STD,
    pad: CROP_PAD,
    flip: (flip ?? cifar) ? 0.5 : 0,
    cutout: cutout ? (cifar ? CIFAR_CUTOUT : FASHION_CUTOUT) : 0,
    cutoutP: cutout ? 0.5 : 0,
  };
}
