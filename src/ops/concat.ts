/**
 * Concatenation along an axis and its adjoint, the slice (`narrow`) along an axis: DenseNet's
 * channel concatenation, ViT's class token in front of the patch tokens and its read-out.
 * Both are one copy kernel (`shaders/slice_copy.wgsl`) over the tensor viewed as
 * [outer, axis, inner]: one dispatch per concatenated input, one per slice.
 * @module
 */
import sliceCopySrcText from "../../shaders/slice_copy.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { sizeOf } from "../tensor/shape.ts";
import { fill_ } from "./elementwise.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";

const sliceCopySrc = shaderSource(sliceCopySrcText);

function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new Error(`${what}: axis ${axis} out of range for rank ${rank}`);
  }
  return a;
}

/** Copies `small` into (into = true) or out of (false) the slice [offset, offset + n) of `big` along `axis`. */
function sliceCopy(small: Tensor, big: Tensor, axis: number, offset: number, into: boolean): void {
  if (!small.size) return;
  const inner = sizeOf(big.shape.slice(axis + 1));
  const params = new Params().u32(small.size, small.shape[axis], inner, big.shape[axis], offset).bytes();
  launch(
    into ? "slice_copy.into" : "slice_copy.from",
    sliceCopySrc,
    { INTO: into ? 1 : 0 },
    [small, big],
    params,
    gridStride(small.size),
  );
}

/** Concatenates tensors along `axis` (torch.cat): equal shapes except along that axis. */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error("concat: no tensors");
  const rank = xs[0].rank;
  const a = normAxis(axis, rank, "concat");
  for (const t of xs) {
    if (t.rank !== rank || t.shape.some((d, i) => i !== a && d !== xs[0].shape[i])) {
      throw new Error(`concat: shapes ${xs.map((x) => `[${x.shape}]`).join(", ")} differ off axis ${a}`);
    }
  }
  const sizes = xs.map((t) => t.shape[a]);
  const shape = [...xs[0].shape];
  shape[a] = sizes.reduce((p, q) => p + q, 0);
  const out = Tensor.empty(shape);
  let offset = 0;
  xs.forEach((t, i) => {
    sliceCopy(t, out, a, offset, true);
    offset += sizes[i];
  });
  return record("concat", [...xs], out, { axis: a, sizes });
}

/** The slice [start, start + length) of x along `axis` (torch.narrow), copied. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis(axis, x.rank, "narrow");
  if (
    !Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 ||
    start + length > x.shape[a]
  ) {
    throw new Error(`narrow: [${start}, ${start + length}) is outside axis ${a} of [${x.shape}]`);
  }
  const shape = [...x.shape];
  shape[a] = length;
  const out = Tensor.empty(shape);
  sliceCopy(out, x, a, start, false);
  return record("narrow", [x], out, { axis: a, start, shape: x.shape });
}

/** Backward of {@link concat}: the gradient of input `i` is its slice of g (not recorded). */
export function concatBackward(g: Tensor, axis: number, sizes: readonly number[], i: number): Tensor {
  const start = sizes.slice(0, i).reduce((p, q) => p + q, 0);
  const shape = [...g.shape];
  shape[axis] = sizes[i];
  const out = Tensor.empty(shape);
  sliceCopy(out, g, axis, start, false);
  return out;
}

/** Backward of {@link narrow}: g placed at its slice of zeros of the input's shape (not recorded). */
export function narrowBackward(g: Tensor, axis: number, start: number, shape: readonly number[]): Tensor {
  const out = fill_(Tensor.empty(shape), 0);
  sliceCopy(g, out, axis, start, true);
  return out;
}
