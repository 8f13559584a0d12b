/**
 * Reading dataset files from disk: existence checks and transparent gunzip.
 * @module
 */
import { DatasetError } from "./errors.ts";

/** True if `path` is an existing regular file. */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** The first of `paths` that is a file, or null. */
export async function firstFile(paths: readonly string[]): Promise<string | null> {
  for (const p of paths) if (await isFile(p)) return p;
  return null;
}

/** True if `bytes` start with the gzip magic number (1f 8b). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Compressed bytes fed to the decompressor per step; the granularity of error offsets. */
const CHUNK = 1 << 12;

/**
 * Decompresses a gzip file's bytes with the web-standard `DecompressionStream`.
 * The input is fed in 4 KiB chunks so that a corrupt stream is reported with the
 * compressed byte offset (to within a chunk) at which decompression failed; a truncated
 * stream fails its length/CRC check at the end and is reported at the file's length.
 */
export async function gunzip(bytes: Uint8Array<ArrayBuffer>, file: string): Promise<Uint8Array> {
  const ds = new DecompressionStream("gzip");
  const writer = ds.writable.getWriter();
  const parts: Uint8Array[] = [];
  let total = 0;
  let fed = 0;
  const drain = (async () => {
    const reader = ds.readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      parts.push(value);
      total += value.length;
    }
  })();
  // A failed stream rejects both sides; the writer's error is the one reported below.
  drain.catch(() => {});
  try {
    while (fed < bytes.length) {
      const end = Math.min(bytes.length, fed + CHUNK);
      await writer.write(bytes.subarray(fed, end));
      fed = end;
    }
    await writer.close();
    await drain;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const where = fed >= bytes.length
      ? `truncated or corrupt at byte ${bytes.length} (end of file)`
      : `corrupt at or before byte ${Math.min(bytes.length, fed + CHUNK)}`;
    throw new DatasetError(`${file}: gzip stream ${where} after ${total} decompressed bytes (${why})`);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Reads a whole file, gunzipping it if it starts with the gzip magic number. */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(`${path}: file not found`);
    throw new DatasetError(`${path}: cannot read (${(e as Error).message})`);
  }
  return isGzip(bytes) ? await gunzip(bytes, path) : bytes;
}
