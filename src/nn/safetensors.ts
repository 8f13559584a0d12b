/**
 * The safetensors format (https://github.com/huggingface/safetensors), on the CPU:
 * an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}`, then the
 * raw little-endian tensor bytes, offsets relative to the start of that data section.
 *
 * The writer lays tensors out contiguously in the given order and pads the header with spaces to
 * a multiple of 8 bytes, as the reference implementation does, so PyTorch's `safetensors.torch`
 * reads the files. Writes are atomic: a temporary file in the same directory, then a rename.
 * The reader validates everything it relies on and names the file in its one-line errors.
 *
 * @module
 */
import { writeFileAtomic } from "../io/atomic.ts";

/** Element types this module reads and writes. */
export type SafeDtype = "F32" | "F64" | "I32" | "I64";

/** A tensor as stored: dtype, shape and a typed array matching the dtype. */
export interface SafeTensor {
  /** Element type. */
  dtype: SafeDtype;
  /** Extents ([] for a scalar). */
  shape: number[];
  /** Row-major values, of the typed array matching `dtype`. */
  data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

const ITEM: Record<SafeDtype, number> = { F32: 4, F64: 8, I32: 4, I64: 8 };
const ARRAY = {
  F32: Float32Array,
  F64: Float64Array,
  I32: Int32Array,
  I64: BigInt64Array,
} as const;

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays use the host's byte order; the format is little-endian.
  throw new Error("safetensors: big-endian hosts are not supported");
}

const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Serialises `tensors` (in the given order) and string `metadata` into one byte array. */
export function encodeSafetensors(
  tensors: Iterable<[string, SafeTensor]>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__" || name in header) {
      throw new Error(`safetensors: duplicate or reserved name '${name}'`);
    }
    if (t.data.length !== sizeOf(t.shape) || !(t.data instanceof ARRAY[t.dtype])) {
      throw new Error(
        `safetensors: tensor '${name}' has ${t.data.length} ${t.dtype} values for shape [${t.shape}]`,
      );
    }
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A decoded file: tensors in header order and the metadata. */
export interface SafeFile {
  /** Tensors by name, in header order. */
  tensors: Map<string, SafeTensor>;
  /** The `__metadata__` strings (empty when absent). */
  metadata: Record<string, string>;
}

/** Parses safetensors bytes; `source` (e.g. the path) prefixes error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): SafeFile {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (bytes.length < 8) fail("not a safetensors file (shorter than its 8-byte header length)");
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (n < 2 || 8 + n > bytes.length) {
    fail(`not a safetensors file (header length ${n} for ${bytes.length} bytes)`);
  }
  let header: Record<string, any>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = info ?? {};
      continue;
    }
    const dtype = info?.dtype as SafeDtype;
    if (!(dtype in ITEM)) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(info?.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0)) {
      fail(`tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const [begin, end] = Array.isArray(info.data_offsets) ? info.data_offsets : [NaN, NaN];
    if (!(Number.isInteger(begin) && Number.isInteger(end) && 0 <= begin && begin <= end && end <= dataLen)) {
      fail(
        `tensor '${name}' has data offsets ${
          JSON.stringify(info.data_offsets)
        } outside ${dataLen} data bytes`,
      );
    }
    if (end - begin !== sizeOf(shape) * ITEM[dtype]) {
      fail(`tensor '${name}' has ${end - begin} bytes for ${dtype} shape [${shape}]`);
    }
    // A copy: the data section need not be aligned for the typed array.
    const buf = bytes.slice(dataStart + begin, dataStart + end).buffer;
    tensors.set(name, { dtype, shape, data: new ARRAY[dtype](buf) });
  }
  return { tensors, metadata };
}

/** Writes a safetensors file atomically (temporary file in the same directory, then rename). */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<[string, SafeTensor]>,
  metadata: Record<string, string> = {},
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
}

/** Reads and parses a safetensors file; errors name the file. */
export async function readSafetensors(path: string): Promise<SafeFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`cannot read ${path}: ${(e as Error).message}`);
  }
  return decodeSafetensors(bytes, path);
}
