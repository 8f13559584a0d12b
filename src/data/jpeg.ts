/**
 * JPEG to planar RGB with jpeg-js (a maintained pure-JavaScript codec from npm), for one file.
 * The worker pool (`jpeg_pool.ts`) runs this off the main thread.
 * @module
 */
import jpeg from "jpeg-js";

/**
 * Decodes `bytes` (the JPEG file `file`) into `out` as 3 x height x width planar RGB uint8.
 * Grayscale (and CMYK) JPEGs are converted to RGB as PIL's `convert("RGB")` does (gray
 * replicated). Throws, naming the file, for a corrupt file or one of another size.
 */
export function decodeJpegRgb(
  bytes: Uint8Array,
  file: string,
  height: number,
  width: number,
  out: Uint8Array,
) {
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 64 });
  } catch (e) {
    throw new Error(`${file}: not a readable JPEG (${(e as Error).message})`);
  }
  if (img.width !== width || img.height !== height) {
    throw new Error(`${file}: ${img.width}x${img.height} pixels, expected ${width}x${height}`);
  }
  const plane = height * width;
  const rgba = img.data;
  for (let i = 0; i < plane; i++) {
    out[i] = rgba[4 * i];
    out[plane + i] = rgba[4 * i + 1];
    out[2 * plane + i] = rgba[4 * i + 2];
  }
}

/** Encodes planar RGB uint8 (3 x height x width) as a JPEG of `quality` (tests and benches make files with it). */
export function encodeJpegRgb(chw: Uint8Array, height: number, width: number, quality = 90): Uint8Array {
  const plane = height * width;
  const data = new Uint8Array(4 * plane);
  for (let i = 0; i < plane; i++) {
    data[4 * i] = chw[i];
    data[4 * i + 1] = chw[plane + i];
    data[4 * i + 2] = chw[2 * plane + i];
    data[4 * i + 3] = 255;
  }
  return new Uint8Array(jpeg.encode({ data, width, height }, quality).data);
}
