/**
 * Data: CIFAR-10/100, Fashion-MNIST and Tiny ImageNet (JPEG, decoded in workers) readers, the seed's augmentation on the GPU, and a
 * batch loader; plus an embedded Fashion-MNIST subset so training works with no download.
 *
 * ```ts
 * import { init } from "../gpu/runtime.ts";
 * import { loadDataset, Loader } from "./mod.ts";
 * await init();
 * const ds = await loadDataset("FashionMNIST_subset_cutout");
 * const train = new Loader(ds.train, { batchSize: 128, train: true, seed: 1 });
 * for await (const { x, y } of train.epoch(0)) {
 *   // x: [128, 1, 28, 28], y: [128]; both disposed by the loader at the next batch
 * }
 * train.dispose();
 * ```
 *
 * @module
 */
export { DatasetError } from "./errors.ts";
export {
  type Dataset,
  DEFAULT_DATADIR,
  defaultDatasetName,
  loadDataset,
  type LoadOptions,
  type Split,
  SUBSET_COUNTS,
  SUBSET_DIR,
} from "./dataset.ts";
export {
  CIFAR_CUTOUT,
  CIFAR_MEAN,
  CIFAR_STD,
  CROP_PAD,
  DATASET_NAMES,
  type DatasetName,
  FASHION_CUTOUT,
  FASHION_MEAN,
  FASHION_STD,
  IMAGENET_MEAN,
  IMAGENET_STD,
  isDatasetName,
  trainRecipe,
} from "./names.ts";
export { type AugmentSpec, normalizeOnly } from "./spec.ts";
export { classCounts, type ImageSet } from "./image_set.ts";
export {
  CIFAR100_DIR,
  CIFAR100_FILES,
  CIFAR10_DIR,
  CIFAR10_FILES,
  parseCifar,
  readCifar10,
  readCifar100,
  type TrainTest,
} from "./cifar.ts";
export { FASHION_DEFAULT_DIR, FASHION_FILES, readFashionMnist } from "./fashion.ts";
export { encodeIdx, parseIdx } from "./idx.ts";
export {
  listTinyImageNet,
  readTinyImageNet,
  TINY_IMAGENET_DIR,
  TINY_IMAGENET_LAYOUT,
  TINY_IMAGENET_SIZE,
  type TinyImageNetFiles,
  type TinyImageNetOptions,
} from "./tiny_imagenet.ts";
export { decodeJpegRgb, encodeJpegRgb } from "./jpeg.ts";
export { type DecodeCallOptions, decodeJpegFiles, type DecodeOptions, defaultWorkers } from "./jpeg_pool.ts";
export { GpuImages } from "./gpu_images.ts";
export { StreamedImages } from "./streamed_images.ts";
export { type AugmentArgs, augmentBatch, type AugmentedBatch, type AugmentSource } from "./augment.ts";
export { augmentCpu, type ImageDraws, imageDraws } from "./reference.ts";
export { type Batch, Loader, type LoaderOptions, type LoaderSource } from "./loader.ts";
export { pcg4d, permutation } from "../random/rng.ts";
