/**
 * The JPEG decoding worker of {@link decodeJpegFiles} (`jpeg_pool.ts`): reads and decodes a
 * chunk of files with jpeg-js and answers with their pixels, planar RGB (CHW) uint8, one image
 * after the other. Grayscale and CMYK files come out as RGB, as PIL's `convert("RGB")` (which
 * torchvision's ImageFolder applies) makes them.
 *
 * Message in: {@link JpegJob}; out: {@link JpegResult}.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { decodeJpegRgb } from "./jpeg.ts";

/** A chunk of files to decode, each expected at `height` x `width`. */
export interface JpegJob {
  id: number;
  files: string[];
  height: number;
  width: number;
}

/** The decoded chunk, or the first failure (naming the file). */
export interface JpegResult {
  id: number;
  pixels?: Uint8Array;
  error?: string;
}

self.onmessage = async (e: MessageEvent<JpegJob>) => {
  const { id, files, height, width } = e.data;
  const per = 3 * height * width;
  const pixels = new Uint8Array(files.length * per);
  try {
    for (let i = 0; i < files.length; i++) {
      decodeJpegRgb(await Deno.readFile(files[i]), files[i], height, width, pixels.subarray(i * per));
    }
    self.postMessage({ id, pixels } satisfies JpegResult, [pixels.buffer]);
  } catch (err) {
    self.postMessage({ id, error: (err as Error).message } satisfies JpegResult);
  }
};
