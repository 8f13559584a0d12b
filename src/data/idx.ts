/**
 * The idx file format of (Fashion-)MNIST: a big-endian header, then raw uint8 data.
 *
 * Header: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
 * then one big-endian u32 per dimension. Labels are 1-D (`[n]`), images 3-D (`[n, h, w]`).
 * The parser checks the data length against the header exactly, so a truncated file is
 * an error naming the byte where it ends, never a smaller dataset.
 *
 * @module
 */
import { DatasetError } from "./errors.ts";

/** A parsed idx file: its dimensions and the uint8 data after the header. */
export interface Idx {
  /** Extents, outermost first, as the file's header gives them. */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/**
 * Parses idx bytes (already gunzipped) with `ndim` dimensions; `file` names it in errors.
 * Byte offsets in errors are into the decompressed data.
 */
export function parseIdx(bytes: Uint8Array, ndim: number, file: string): Idx {
  if (bytes.length < 4) throw new DatasetError(`${file}: truncated at byte ${bytes.length}: no idx header`);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || bytes[3] !== ndim) {
    const magic = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DatasetError(
      `${file}: not a ${ndim}-D uint8 idx file (magic ${magic} at byte 0, expected 00 00 08 0${ndim})`,
    );
  }
  const header = 4 + 4 * ndim;
  if (bytes.length < header) {
    throw new DatasetError(`${file}: truncated at byte ${bytes.length} inside the ${header}-byte idx header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const want = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length < want) {
    throw new DatasetError(
      `${file}: truncated at byte ${bytes.length} of ${want} (header says [${dims.join(", ")}])`,
    );
  }
  if (bytes.length > want) {
    throw new DatasetError(
      `${file}: ${bytes.length - want} unexpected bytes after byte ${want} (header says [${
        dims.join(", ")
      }])`,
    );
  }
  return { dims, data: bytes.subarray(header) };
}

/** The bytes of an idx file holding `data` with dimensions `dims` (used by tests and scripts). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
