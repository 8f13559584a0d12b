/**
 * Decodes many JPEG files in parallel in Deno workers (`jpeg_worker.ts`), so the main thread,
 * which records the GPU's work, never decodes. Files go out in chunks, several per worker in
 * flight, and land at their index, so the result is in the order given whatever the timing.
 * @module
 */
import { DatasetError } from "./errors.ts";
import type { JpegJob, JpegResult } from "./jpeg_worker.ts";

/** Options of {@link decodeJpegFiles}. */
export interface DecodeOptions {
  /** Workers (default: the cores, at most 8). */
  workers?: number;
  /** Files per message (default 64). */
  chunk?: number;
}

/** Options of one {@link decodeJpegFiles} call. */
export interface DecodeCallOptions extends DecodeOptions {
  /** Where to decode to (files x 3 x height x width bytes); default: a new array. */
  out?: Uint8Array;
}

/** Default worker count: one per core, at most 8. */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
}

/**
 * Decodes `files` (each `height` x `width` RGB JPEG) into one uint8 array of planar images in
 * the order of `files`. Fails with a one-line DatasetError naming the first bad file.
 */
export async function decodeJpegFiles(
  files: readonly string[],
  height: number,
  width: number,
  opts: DecodeCallOptions = {},
): Promise<Uint8Array> {
  const per = 3 * height * width;
  const out = opts.out ?? new Uint8Array(files.length * per);
  if (out.length !== files.length * per) {
    throw new Error(`decodeJpegFiles: out has ${out.length} bytes for ${files.length} images of ${per}`);
  }
  if (files.length === 0) return out;
  const chunk = Math.max(1, opts.chunk ?? 64);
  const jobs = Math.ceil(files.length / chunk);
  const nWorkers = Math.max(1, Math.min(opts.workers ?? defaultWorkers(), jobs));
  const url = new URL("./jpeg_worker.ts", import.meta.url).href;
  const workers = Array.from({ length: nWorkers }, () => new Worker(url, { type: "module" }));
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      const send = (w: Worker) => {
        if (next >= jobs) return;
        const id = next++;
        const job: JpegJob = { id, files: files.slice(id * chunk, (id + 1) * chunk), height, width };
        w.postMessage(job);
      };
      for (const w of workers) {
        w.onmessage = (e: MessageEvent<JpegResult>) => {
          const { id, pixels, error } = e.data;
          if (error !== undefined || !pixels) {
            reject(new DatasetError(error ?? "JPEG worker returned nothing"));
            return;
          }
          out.set(pixels, id * chunk * per);
          if (++done === jobs) resolve();
          else send(w);
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new DatasetError(`JPEG worker failed: ${e.message}`));
        };
        // Two chunks in flight per worker, so a worker never waits for the main thread.
        send(w);
        send(w);
      }
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return out;
}
