/**
 * Channel padding: a narrower tensor zero-padded along one axis (`padChannels`), or added into
 * the first channels of a wider one (`addPadded`, PyramidNet's zero-padded shortcut in one pass),
 * and the inverse, `sliceChannels`, which their backward rules use.
 * @module
 */
import padChannelsSrcText from "../../shaders/pad_channels.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { sizeOf, stridesOf } from "../tensor/shape.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";
import { gatherStrided } from "./shape_ops.ts";

const padChannelsSrc = shaderSource(padChannelsSrcText);

/** [outer, extent, inner] of `shape` around `axis`. */
function around(shape: readonly number[], axis: number): [number, number, number] {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

function checkAxis(name: string, x: Tensor, axis: number): number {
  const a = axis < 0 ? axis + x.rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= x.rank) {
    throw new Error(`${name}: no axis ${axis} in [${x.shape}]`);
  }
  return a;
}

/** One dispatch of shaders/pad_channels.wgsl: (base +) x zero-padded to `outShape` along `axis`. */
function padLaunch(x: Tensor, outShape: number[], axis: number, base: Tensor | null): Tensor {
  const [, narrow, inner] = around(x.shape, axis);
  const out = Tensor.empty(outShape);
  const params = new Params().u32(out.size, outShape[axis], narrow, inner).bytes();
  // Without a base, x's binding stands in for it (read-only, and the kernel never reads it).
  const bindings = [x, base ?? x, out];
  launch("pad_channels", padChannelsSrc, { HAS_BASE: base ? 1 : 0 }, bindings, params, gridStride(out.size));
  return out;
}

/**
 * x zero-padded along `axis` (default 1, the channels of NCHW) to `channels` entries: the first
 * x.shape[axis] are x, the rest 0, as torch.cat((x, zeros), axis). Copies.
 */
export function padChannels(x: Tensor, channels: number, axis = 1): Tensor {
  const a = checkAxis("padChannels", x, axis);
  if (!Number.isInteger(channels) || channels < x.shape[a]) {
    throw new Error(`padChannels: cannot pad axis ${a} of [${x.shape}] to ${channels}`);
  }
  const shape = [...x.shape];
  shape[a] = channels;
  return record("padChannels", [x], padLaunch(x, shape, a, null), { axis: a });
}

/**
 * wide + narrow zero-padded along `axis` (default 1): narrow is added into the first
 * narrow.shape[axis] channels of wide, whose other extents it must equal. One pass, with no
 * padded copy: PyramidNet's residual plus its zero-padded shortcut.
 */
export function addPadded(wide: Tensor, narrow: Tensor, axis = 1): Tensor {
  const a = checkAxis("addPadded", wide, axis);
  const ok = narrow.rank === wide.rank && narrow.shape[a] <= wide.shape[a] &&
    wide.shape.every((d, i) => i === a || d === narrow.shape[i]);
  if (!ok) throw new Error(`addPadded: cannot add [${narrow.shape}] into [${wide.shape}] along axis ${a}`);
  return record("addPadded", [wide, narrow], padLaunch(narrow, [...wide.shape], a, wide), { axis: a });
}

/** The first `channels` entries of x along `axis` (default 1). Copies; records no gradient. */
export function sliceChannels(x: Tensor, channels: number, axis = 1): Tensor {
  const a = checkAxis("sliceChannels", x, axis);
  if (!Number.isInteger(channels) || channels < 0 || channels > x.shape[a]) {
    throw new Error(`sliceChannels: cannot take ${channels} of axis ${a} of [${x.shape}]`);
  }
  const shape = [...x.shape];
  shape[a] = channels;
  return gatherStrided(x, shape, stridesOf(x.shape));
}
