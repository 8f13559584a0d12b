/**
 * Winograd F(2x2, 3x3) convolution (Lavin & Gray 2016) for 3x3, stride-1, pad-1 convolutions,
 * NCHW, groups = 1: the 88% of a CIFAR ResNet-18 step that are such convolutions do 2.25x fewer
 * multiplications than through im2col.
 *
 * The output is cut into 2x2 tiles (TH x TW per image; a tile hanging over an odd edge computes
 * outputs that are dropped). Each tile's 4x4 input patch d becomes V = B^T d B, each filter
 * g becomes U = G g G^T, and the tile's outputs are A^T (U . V) A, where the elementwise product
 * summed over input channels is, for each of the 16 transformed elements e, one GEMM
 * U[e] [Co x Ci] x V[e] [Ci x tiles]: 16 products in one batched {@link gemm}, the chunk's images
 * side by side in the columns (so small maps still fill the GEMM's column tiles).
 *
 * Backward: dx is itself the stride-1 pad-1 convolution of dy with the filter flipped in both axes
 * and its channel axes swapped, so it runs through the same forward with that filter's transform.
 * dw is the exact gradient of the forward: per e, dU[e] = sum over tiles of (A dy_t A^T)[e] x
 * V_t[e]^T (one GEMM over the tile axis), then dw = G^T dU G.
 *
 * Layouts: transformed operands are [16, rows, cols] with the GEMM depth (channels) rounded up
 * to a multiple of 4 by zero rows/columns, and the tile count of a chunk rounded up to a
 * multiple of 4 by zero columns (shaders/winograd_*.wgsl). Transformed inputs are rebuilt per
 * chunk of images in backward rather than kept from forward, as im2col's columns are.
 *
 * @module
 */
import tilesSrc from "../../shaders/winograd_tiles.wgsl" with { type: "text" };
import outputSrc from "../../shaders/winograd_output.wgsl" with { type: "text" };
import filterSrc from "../../shaders/winograd_filter.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { Tensor } from "../tensor/tensor.ts";
import { grid, gridStride, launch } from "./launch.ts";
import { gemm } from "./matmul.ts";

const up4 = (v: number) => Math.ceil(v / 4) * 4;

/** Output tiles of an H x W map: rows, columns, and per image. */
function tileGrid(H: number, W: number): { TH: number; TW: number; T: number } {
  const TH = Math.ceil(H / 2), TW = Math.ceil(W / 2);
  return { TH, TW, T: TH * TW };
}

/**
 * Images per chunk so that one chunk's transformed operands (input tiles and products, both
 * [16, channels, tiles]) stay within `maxFloats`, as im2col's column buffer does.
 */
export function winogradChunk(
  N: number,
  C: number,
  Co: number,
  H: number,
  W: number,
  maxFloats: number,
): number {
  const perImage = 16 * tileGrid(H, W).T * (up4(C) + up4(Co));
  return Math.max(1, Math.min(N, Math.floor(maxFloats / perImage)));
}

/** Chunks of the batch: [n0, nb] pairs. */
function chunks(N: number, chunk: number): [number, number][] {
  const out: [number, number][] = [];
  for (let n0 = 0; n0 < N; n0 += chunk) out.push([n0, Math.min(chunk, N - n0)]);
  return out;
}

/**
 * Transforms images n0..n0+nb-1 of `src` ([N, C, H, W]) into `out` ([16, CP, TP]): input patches
 * (mode 0, B^T d B) or output-gradient patches (mode 1, A g A^T).
 */
function toTiles(
  src: Tensor,
  mode: 0 | 1,
  CP: number,
  TP: number,
  n0: number,
  nb: number,
  out: Tensor,
): void {
  const [, C, H, W] = src.shape;
  const { TH, TW } = tileGrid(H, W);
  const total = CP * (TP / 4);
  launch(
    `winograd.tiles${mode}`,
    tilesSrc,
    { MODE: mode, C, H, W, TH, TW, NB: nb, CP, TP },
    [src, out],
    new Params().u32(n0, total).bytes(),
    gridStride(total, 64, 4),
  );
}

/** Writes the 2x2 outputs of the products `m` ([16, R, TP]) into images n0..n0+nb-1 of `y`. */
function fromTiles(m: Tensor, y: Tensor, TP: number, n0: number, nb: number): void {
  const [, R, H, W] = y.shape;
  const { TH, TW } = tileGrid(H, W);
  const total = R * (TP / 4);
  launch(
    "winograd.output",
    outputSrc,
    { R, H, W, TH, TW, NB: nb, TP },
    [m, y],
    new Params().u32(n0, total).bytes(),
    gridStride(total, 64, 4),
  );
}

/** The filter transform (mode 0), or that of the flipped, channel-swapped filter (mode 1). */
function filterTransform(w: Tensor, mode: 0 | 1): Tensor {
  const [CO, CI] = w.shape;
  const rows = mode === 0 ? CO : CI, KP = up4(mode === 0 ? CI : CO);
  const u = Tensor.empty([16, rows, KP]);
  const total = rows * KP;
  launch(
    `winograd.filter${mode}`,
    filterSrc,
    { MODE: mode, CO, CI, KP },
    [w, u],
    new Params().u32(total).bytes(),
    grid(total, 64),
  );
  return u;
}

/** y = conv(x, filter) from the filter's transform u ([16, R, KP]), chunk by chunk. */
function convFromTransform(x: Tensor, u: Tensor, chunk: number): Tensor {
  const [N, , H, W] = x.shape, [, R, KP] = u.shape;
  const { T } = tileGrid(H, W);
  const y = Tensor.empty([N, R, H, W]);
  const TPmax = up4(chunk * T);
  const v = Tensor.empty([16, KP, TPmax]), m = Tensor.empty([16, R, TPmax]);
  for (const [n0, nb] of chunks(N, chunk)) {
    const TP = up4(nb * T);
    toTiles(x, 0, KP, TP, n0, nb, v);
    gemm({
      a: u.range,
      b: v.range,
      c: m.range,
      M: R,
      N: TP,
      K: KP,
      batch: 16,
      strideA: R * KP,
      strideB: KP * TP,
    });
    fromTiles(m, y, TP, n0, nb);
  }
  v.dispose();
  m.dispose();
  return y;
}

/** Forward: y [N, Co, H, W] = conv2d(x [N, Ci, H, W], w [Co, Ci, 3, 3]), stride 1, pad 1. */
export function winogradForward(x: Tensor, w: Tensor, chunk: number): Tensor {
  const u = filterTransform(w, 0);
  const y = convFromTransform(x, u, chunk);
  u.dispose();
  return y;
}

/** Input gradient: dx [N, Ci, H, W], the convolution of dy with the flipped, swapped filter. */
export function winogradBackwardInput(dy: Tensor, w: Tensor, chunk: number): Tensor {
  const u = filterTransform(w, 1);
  const dx = convFromTransform(dy, u, chunk);
  u.dispose();
  return dx;
}

/** Weight gradient: dw [Co, Ci, 3, 3] summed over the batch. */
export function winogradBackwardWeight(dy: Tensor, x: Tensor, chunk: number): Tensor {
  const [N, CI, H, W] = x.shape, CO = dy.shape[1];
  const { T } = tileGrid(H, W);
  const KP = up4(CI), TPmax = up4(chunk * T);
  const v = Tensor.empty([16, KP, TPmax]), z = Tensor.empty([16, CO, TPmax]);
  const du = Tensor.empty([16, CO, KP]);
  chunks(N, chunk).forEach(([n0, nb], i) => {
    const TP = up4(nb * T);
    toTiles(x, 0, KP, TP, n0, nb, v);
    toTiles(dy, 1, CO, TP, n0, nb, z);
    gemm({
      a: z.range,
      b: v.range,
      c: du.range,
      M: CO,
      N: KP,
      K: TP,
      transB: true,
      batch: 16,
      strideA: CO * TP,
      strideB: KP * TP,
      accumulate: i > 0,
    });
  });
  v.dispose();
  z.dispose();
  const dw = Tensor.empty([CO, CI, 3, 3]);
  const total = CO * CI;
  launch(
    "winograd.filter2",
    filterSrc,
    { MODE: 2, CO, CI, KP },
    [du, dw],
    new Params().u32(total).bytes(),
    grid(total, 64),
  );
  du.dispose();
  return dw;
}
