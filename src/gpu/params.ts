/**
 * Packing of kernel uniform parameters.
 * @module
 */

/**
 * Builds the bytes of a WGSL uniform struct field by field. Fields are 4 bytes each
 * (u32, i32, f32), written in declaration order; WGSL's 16-byte rounding of the struct
 * is applied by {@link Params.bytes}. Arrays of vec4<u32> are written with `u32s`.
 */
export class Params {
  #view = new DataView(new ArrayBuffer(256));
  #off = 0;

  /** Appends unsigned 32-bit integers. */
  u32(...v: number[]): this {
    for (const x of v) {
      this.#view.setUint32(this.#off, x, true);
      this.#off += 4;
    }
    return this;
  }

  /** Appends 32-bit floats. */
  f32(...v: number[]): this {
    for (const x of v) {
      this.#view.setFloat32(this.#off, x, true);
      this.#off += 4;
    }
    return this;
  }

  /** Appends `n` u32 values from `v`, padding with `fill`. */
  u32s(v: readonly number[], n: number, fill = 0): this {
    for (let i = 0; i < n; i++) this.u32(i < v.length ? v[i] : fill);
    return this;
  }

  /** The struct's bytes, rounded up to a multiple of 16. */
  bytes(): ArrayBuffer {
    return this.#view.buffer.slice(0, Math.max(16, Math.ceil(this.#off / 16) * 16));
  }
}
