/**
 * 2-D convolution (NCHW, groups = 1) by im2col + the register-blocked GEMM.
 *
 * Forward: for each image n, out[n] = W [Co, K] x col[n] [K, P], K = Ci*KH*KW, P = OH*OW,
 * one batched GEMM with W broadcast. Backward: dW = sum_n dOut[n] col[n]^T (one GEMM pass
 * that sums over the batch inside the kernel), dcol[n] = W^T dOut[n] folded back by col2im.
 * The column buffer is built per chunk of images (at most `convSettings.maxColFloats` floats),
 * reused across chunks, and recomputed in backward rather than kept: a ResNet-18 layer's
 * columns are 75 MB at batch 32, too much to hold for every layer.
 * K and P are rounded up to multiples of 4 (zero rows/columns) so the vec4 GEMM applies;
 * a 1x1, stride-1, unpadded conv skips im2col entirely (the image is its own column matrix).
 *
 * Small maps (P <= `convSettings.foldMaxP`) fold the chunk's images into the GEMM's columns
 * instead: col is [Kp, nb * Pp], the forward product is one W [Co, Kp] x col GEMM into
 * [Co, nb * Pp] (then unpacked to [N, Co, P]), dcol = W^T dOut' and dW = dOut' col^T with
 * dOut' the chunk's gradient packed the same way. A per-image product of P = 16 or 64 columns
 * leaves most of the GEMM's column tile idle (the 512@4x4 layers ran at a third of the speed of
 * the 64@32x32 ones); folded, every product is nb * Pp columns wide.
 *
 * @module
 */
import im2colText from "../../shaders/im2col.wgsl" with { type: "text" };
import col2imText from "../../shaders/col2im.wgsl" with { type: "text" };
import padColsText from "../../shaders/pad_cols.wgsl" with { type: "text" };
import foldSrcText from "../../shaders/conv_fold.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { bucketSize } from "../gpu/pool.ts";
import { record } from "./record.ts";
import { isGradEnabled } from "../tape/tape.ts";
import { Tensor } from "../tensor/tensor.ts";
import { gridStride, lanesFor, laneSources, launch, shaderSource } from "./launch.ts";
import { gemm } from "./matmul.ts";
import { gatherStrided, reshape } from "./shape_ops.ts";
import { add } from "./elementwise.ts";
import {
  winogradBackwardInput,
  winogradBackwardWeight,
  winogradForward,
  type WinogradPlan,
  winogradPlan,
  type WinogradTile,
} from "./winograd.ts";

const foldSrc = laneSources(foldSrcText);
const im2colSrc = shaderSource(im2colText);
const col2imSrc = shaderSource(col2imText);
const padColsSrc = shaderSource(padColsText);

/**
 * Tunables: the largest column buffer built at once, in floats (default 64 MiB), the
 * largest output map (OH * OW) whose images are folded into the GEMM columns, and whether 3x3
 * stride-1 pad-1 convolutions run through Winograd F(m x m, 3x3) (src/ops/winograd.ts) instead of
 * im2col (tests switch it to run every case both ways).
 */
export const convSettings: {
  maxColFloats: number;
  /**
   * The largest output map (OH * OW) folded: 256, 16 x 16. ResNet-18's stride-2 layer into 16 x 16
   * (3x3, 64 -> 128, batch 32) ran forward + both gradients in 0.80-0.81x the time per image
   * (167-171 -> 133-139 ms), its 1x1 shortcut in 0.93-0.99x (two runs of `bench/fold_ab.ts`,
   * medians of 12 interleaved rounds each). Per image, its weight gradient summed 32 slices on
   * 16 x 32 tiles (18 GFLOP/s); folded, it is one K = 8192 product on the large tile. Raised
   * from 196 (14 x 14), which stopped short of that layer; the peak at batch 128 moved 1267 ->
   * 1275 MiB (pool) and 79.5 -> 72.1 MiB (textures).
   */
  foldMaxP: number;
  winograd: boolean;
  /**
   * Winograd output tile side: F(2x2, 3x3) or F(4x4, 3x3). 4 by default: on ResNet-18's 3x3
   * layers at batch 32 its forward + backward ran 1.3-1.8x faster than F(2x2) and 2.2-3.8x faster
   * than im2col (process CPU time, bench/conv_ab.ts), at ~3e-6 relative error (F(2x2): ~1e-6).
   */
  winogradTile: WinogradTile;
  /**
   * The im2col weight gradient on transposed columns ([P, K] rows, im2col.wgsl ROWS): dOut x colT
   * instead of dOut x col^T, a GEMM without a transposed operand.
   */
  im2colRows: boolean;
  /**
   * A folded convolution whose batch is one chunk, and whose weight gradient will be taken, builds
   * its columns transposed ([P, K] rows; the forward GEMM reads them transposed) and keeps them
   * for the weight gradient, which then builds none (with im2colRows only). Costs the columns'
   * memory from forward to backward; folded layers hold small maps, and a batch split into chunks
   * never keeps them.
   */
  keepColumns: boolean;
  /**
   * The input gradient adds the gradient already accumulated for x (GradThunk.withAddend) in its
   * last pass, the Winograd output transform or col2im, rather than the autograd adding it after.
   */
  fuseAddend: boolean;
  /**
   * Layers with fewer input channels take im2col, folded, instead of Winograd (see
   * convGeometry): the default run's step ran 1.01-1.04x faster with its 1-channel stem folded.
   */
  winogradMinChannels: number;
} = {
  maxColFloats: 1 << 24,
  foldMaxP: 256,
  winograd: true,
  winogradTile: 4,
  im2colRows: true,
  keepColumns: true,
  fuseAddend: true,
  winogradMinChannels: 4,
};

/** Stride and zero padding, the same along height and width (PyTorch's int arguments). */
export interface Conv2dOptions {
  /** Step between windows, in pixels (default 1). */
  stride?: number;
  /** Zero padding on each side, in pixels (default 0). */
  padding?: number;
}

/** Everything about one convolution's shapes, computed once in forward and kept for backward. */
export interface ConvGeometry {
  /** Batch size. */
  N: number;
  /** Input channels. */
  C: number;
  /** Input height. */
  H: number;
  /** Input width. */
  W: number;
  /** Output channels. */
  Co: number;
  /** Kernel height. */
  KH: number;
  /** Kernel width. */
  KW: number;
  /** Stride (both axes). */
  stride: number;
  /** Zero padding (both axes). */
  pad: number;
  /** Output height. */
  OH: number;
  /** Output width. */
  OW: number;
  /** Output pixels per image: OH * OW. */
  P: number;
  /** Column depth: C * KH * KW. */
  K: number;
  /** K rounded up to a multiple of 4 (the vec4 GEMM). */
  Kp: number;
  /** P rounded up to a multiple of 4. */
  Pp: number;
  /** 1x1, stride 1, no padding, aligned: the input is used as the column matrix directly. */
  direct: boolean;
  /** Images per im2col chunk. */
  chunk: number;
  /** Small map: the chunk's images side by side as GEMM columns (see the module documentation). */
  fold: boolean;
  /** 3x3, stride 1, pad 1 with `convSettings.winograd`: forward and both gradients by Winograd (else null). */
  winograd: WinogradPlan | null;
}

const up4 = (v: number) => Math.ceil(v / 4) * 4;

/** Validates shapes and derives the geometry; errors name the offending shapes. */
export function convGeometry(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): ConvGeometry {
  const stride = opts.stride ?? 1, pad = opts.padding ?? 0;
  if (x.rank !== 4) throw new Error(`conv2d: input must be [N, C, H, W], got [${x.shape}]`);
  if (w.rank !== 4) throw new Error(`conv2d: weight must be [Co, Ci, KH, KW], got [${w.shape}]`);
  const [N, C, H, W] = x.shape, [Co, Ci, KH, KW] = w.shape;
  if (Ci !== C) throw new Error(`conv2d: input has ${C} channels, weight expects ${Ci}`);
  if (!(stride >= 1 && Number.isInteger(stride)) || !(pad >= 0 && Number.isInteger(pad))) {
    throw new Error(`conv2d: stride ${stride} / padding ${pad} must be integers >= 1 / >= 0`);
  }
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1, OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  if (OH < 1 || OW < 1) throw new Error(`conv2d: kernel ${KH}x${KW} larger than padded input ${H}x${W}`);
  const P = OH * OW, K = C * KH * KW;
  const Kp = up4(K), Pp = up4(P);
  const direct = KH === 1 && KW === 1 && stride === 1 && pad === 0 && K === Kp && P === Pp;
  const geom = { N, C, H, W, Co, KH, KW, stride, pad, OH, OW, P, K, Kp, Pp, direct };
  // Few input channels (an image stem: 1 or 3): Winograd would pad them to 4, so a quarter to
  // three quarters of its transforms and products would run on zeros, while im2col's columns are
  // only 9 * C deep. Such a layer takes im2col, folded (one GEMM over the batch) whatever its map.
  const stem = C < convSettings.winogradMinChannels;
  const fold = !direct && (P <= convSettings.foldMaxP || stem);
  // Folded, the chunk's output (gradient) [Co, nb * Pp] is a temporary beside its columns; the
  // two together stay within maxColFloats, so folding never raises the peak memory.
  const perImage = fold ? (Kp + Co) * Pp : Kp * Pp;
  const chunk = Math.max(1, Math.min(N, Math.floor(convSettings.maxColFloats / perImage)));
  if (convSettings.winograd && !stem && KH === 3 && KW === 3 && stride === 1 && pad === 1) {
    // Winograd's temporaries get what im2col's chunks would have held in pool buffers (sizes
    // rounded to buckets), not the whole budget, so switching paths never raises a layer's peak.
    const room = fold
      ? bucketSize(4 * Kp * chunk * Pp) + bucketSize(4 * Co * chunk * Pp)
      : bucketSize(4 * chunk * Kp * Pp);
    const winograd = winogradPlan(convSettings.winogradTile, N, C, Co, H, W, room);
    return { ...geom, chunk: winograd.chunk, fold: false, winograd };
  }
  return { ...geom, chunk, fold, winograd: null };
}

function geomParams(n0: number, total: number): ArrayBuffer {
  return new Params().u32(n0, total).bytes();
}

/** Specialization constants of im2col/col2im for this geometry and a chunk of nb images. */
function geomConstants(g: ConvGeometry, nb: number): Record<string, number> {
  const { C, H, W, KH, KW, OH, OW, K, Kp, Pp } = g;
  const consts: Record<string, number> = { C, H, W, KH, KW, STRIDE: g.stride, PAD: g.pad, OH, OW, K, Kp, Pp };
  if (g.fold) Object.assign(consts, { FOLD: 1, NB: nb });
  return consts;
}

/**
 * Builds the column matrices of images n0..n0+nb-1 into `col` ([nb, Kp, Pp], or [Kp, nb * Pp]
 * folded; with `rows` their transposes, [nb * Pp, Kp] either way).
 */
function im2col(x: Tensor, g: ConvGeometry, n0: number, nb: number, col: Tensor, rows = false): void {
  const total4 = (nb * g.Kp * g.Pp) / 4;
  launch(
    rows ? "im2col.rows" : "im2col",
    im2colSrc,
    { ...geomConstants(g, nb), ROWS: rows ? 1 : 0 },
    [x, col],
    geomParams(n0, total4),
    gridStride(total4, 256, 8),
  );
}

/**
 * Moves images n0..n0+nb-1 between [N, Co, P] (`y`) and the folded [Co, nb * Pp] (`folded`):
 * pack reads y into folded, unpack writes folded into y.
 */
function foldMove(y: Tensor, folded: Tensor, g: ConvGeometry, n0: number, nb: number, pack: boolean): void {
  // vec4s when a map is a whole number of them (then Pp == P): under llvmpipe each load is a
  // loop over the SIMD lanes, whatever its width.
  const lanes = lanesFor(g.P);
  const total = (pack ? g.Co * nb * g.Pp : nb * g.Co * g.P) / lanes;
  const consts = { CO: g.Co, P: g.P, Pp: g.Pp, NB: nb, PACK: pack ? 1 : 0 };
  const bind = pack ? [y, folded] : [folded, y];
  launch(
    `conv_fold.${pack ? "pack" : "unpack"}${lanes === 4 ? "4" : ""}`,
    foldSrc[lanes],
    consts,
    bind,
    geomParams(n0, total),
    gridStride(total),
  );
}

/** Rows of width K widened to Kp with zeros. */
function padCols(x: Tensor, rows: number, K: number, Kp: number): Tensor {
  if (K === Kp) return x;
  const out = Tensor.empty([rows, Kp]);
  launch("pad_cols", padColsSrc, {}, [x, out], new Params().u32(rows, K, Kp).bytes(), gridStride(rows * Kp));
  return out;
}

/** Chunks of the batch: [n0, nb] pairs. */
function chunks(g: ConvGeometry): [number, number][] {
  const out: [number, number][] = [];
  for (let n0 = 0; n0 < g.N; n0 += g.chunk) out.push([n0, Math.min(g.chunk, g.N - n0)]);
  return out;
}

/**
 * Forward of a folded (small-map) convolution: per chunk, im2col, one GEMM, unpack. With `keep`
 * (one chunk, weight gradient ahead; see convSettings.keepColumns) the columns are built
 * transposed and returned with the output.
 */
function foldedForward(
  x: Tensor,
  wp: Tensor,
  g: ConvGeometry,
  keep: boolean,
): { out: Tensor; cols: Tensor | null } {
  const out = Tensor.empty([g.N, g.Co, g.OH, g.OW]);
  const col = Tensor.empty(keep ? [g.chunk * g.Pp, g.Kp] : [g.Kp, g.chunk * g.Pp]);
  const outF = Tensor.empty([g.Co, g.chunk * g.Pp]);
  for (const [n0, nb] of chunks(g)) {
    im2col(x, g, n0, nb, col, keep);
    gemm({ a: wp.range, b: col.range, c: outF.range, M: g.Co, N: nb * g.Pp, K: g.Kp, transB: keep });
    foldMove(out, outF, g, n0, nb, false);
  }
  outF.dispose();
  if (keep) return { out, cols: col };
  col.dispose();
  return { out, cols: null };
}

/** Records op "conv2d" with the transformed input its forward kept for the weight gradient. */
function recordKeeping(x: Tensor, w: Tensor, y: Tensor, g: ConvGeometry, saved: Tensor | null): Tensor {
  record("conv2d", [x, w], y, { geom: g, saved });
  if (saved && !y.node) saved.dispose(); // not recorded after all: nothing will read it
  return y;
}

/** The convolution without bias, recorded as op "conv2d". */
function conv2dNoBias(x: Tensor, w: Tensor, opts: Conv2dOptions): Tensor {
  const g = convGeometry(x, w, opts);
  // The weight gradient will be taken when the tape records this op and w requires it.
  const weightGrad = isGradEnabled() && w.requiresGrad;
  if (g.winograd) {
    const { y, tiles } = winogradForward(x, w, g.winograd, weightGrad);
    return recordKeeping(x, w, y, g, tiles);
  }
  const wp = padCols(w, g.Co, g.K, g.Kp);
  if (g.fold) {
    const keep = weightGrad && convSettings.keepColumns && convSettings.im2colRows && g.chunk >= g.N;
    const { out, cols } = foldedForward(x, wp, g, keep);
    if (wp !== w) wp.dispose();
    return recordKeeping(x, w, out, g, cols);
  }
  const outP = g.Pp === g.P ? Tensor.empty([g.N, g.Co, g.OH, g.OW]) : Tensor.empty([g.N, g.Co, g.Pp]);
  const col = g.direct ? null : Tensor.empty([g.chunk, g.Kp, g.Pp]);
  for (const [n0, nb] of chunks(g)) {
    if (col) im2col(x, g, n0, nb, col);
    gemm({
      a: wp.range,
      b: (col ?? x).range,
      c: outP.range,
      M: g.Co,
      N: g.Pp,
      K: g.Kp,
      batch: nb,
      strideB: g.Kp * g.Pp,
      baseB: col ? 0 : n0 * g.Kp * g.Pp,
      baseC: n0 * g.Co * g.Pp,
    });
  }
  col?.dispose();
  if (wp !== w) wp.dispose();
  let out = outP;
  if (g.Pp !== g.P) {
    out = gatherStrided(outP, [g.N, g.Co, g.P], [g.Co * g.Pp, g.Pp, 1]);
    outP.dispose();
    const v = out.view([g.N, g.Co, g.OH, g.OW]);
    out.dispose();
    out = v;
  }
  return record("conv2d", [x, w], out, { geom: g });
}

/**
 * conv2d(x [N, C, H, W], w [Co, C, KH, KW], bias? [Co]) with PyTorch's semantics for groups = 1.
 */
export function conv2d(x: Tensor, w: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const y = conv2dNoBias(x, w, opts);
  return bias ? add(y, reshape(bias, [1, bias.size, 1, 1])) : y;
}

/** dOut as [N, Co, Pp] (padded copy if P is not a multiple of 4). */
function paddedGrad(dy: Tensor, g: ConvGeometry): Tensor {
  return padCols(dy, g.N * g.Co, g.P, g.Pp);
}

/** Folds the column gradients of images n0..n0+nb-1 back onto dx. */
function col2im(
  dcol: Tensor,
  dx: Tensor,
  g: ConvGeometry,
  n0: number,
  nb: number,
  addend: Tensor | null,
): void {
  const total = nb * g.C * g.H * g.W;
  const consts = { ...geomConstants(g, nb), ADD: addend ? 1 : 0 };
  // Without an addend, dcol stands in for its binding (not read).
  const bindings = [dcol, dx, addend ?? dcol];
  launch(
    `col2im${addend ? ".add" : ""}`,
    col2imSrc,
    consts,
    bindings,
    geomParams(n0, total),
    gridStride(total),
  );
}

/** Input gradient of a folded convolution: per chunk, pack dOut, dcol = W^T dOut', col2im. */
function foldedBackwardInput(dy: Tensor, w: Tensor, g: ConvGeometry, addend: Tensor | null): Tensor {
  const wp = padCols(w, g.Co, g.K, g.Kp);
  const dx = Tensor.empty([g.N, g.C, g.H, g.W]);
  const dyF = Tensor.empty([g.Co, g.chunk * g.Pp]);
  const dcol = Tensor.empty([g.Kp, g.chunk * g.Pp]);
  for (const [n0, nb] of chunks(g)) {
    foldMove(dy, dyF, g, n0, nb, true);
    gemm({ a: wp.range, b: dyF.range, c: dcol.range, M: g.Kp, N: nb * g.Pp, K: g.Co, transA: true });
    col2im(dcol, dx, g, n0, nb, addend);
  }
  dyF.dispose();
  dcol.dispose();
  if (wp !== w) wp.dispose();
  return dx;
}

/**
 * Gradient of conv2d with respect to its input, plus `addend` (the gradient already accumulated
 * for the input, GradThunk.withAddend) when given.
 */
export function conv2dBackwardInput(
  dy: Tensor,
  w: Tensor,
  g: ConvGeometry,
  addend: Tensor | null = null,
): Tensor {
  // The direct 1x1 path writes dx from its GEMM: the sum is left to a separate add there.
  if (addend && (!convSettings.fuseAddend || g.direct)) return add(addend, conv2dBackwardInput(dy, w, g));
  if (g.winograd) return winogradBackwardInput(dy, w, g.winograd, addend);
  if (g.fold) return foldedBackwardInput(dy, w, g, addend);
  const dyP = paddedGrad(dy, g);
  const wp = padCols(w, g.Co, g.K, g.Kp);
  const dx = Tensor.empty([g.N, g.C, g.H, g.W]);
  const common = { a: wp.range, b: dyP.range, M: g.Kp, N: g.Pp, K: g.Co, transA: true, strideB: g.Co * g.Pp };
  if (g.direct) {
    gemm({ ...common, c: dx.range, batch: g.N });
  } else {
    const dcol = Tensor.empty([g.chunk, g.Kp, g.Pp]);
    for (const [n0, nb] of chunks(g)) {
      gemm({ ...common, c: dcol.range, batch: nb, baseB: n0 * g.Co * g.Pp });
      col2im(dcol, dx, g, n0, nb, addend);
    }
    dcol.dispose();
  }
  if (dyP !== dy) dyP.dispose();
  if (wp !== w) wp.dispose();
  return dx;
}

/**
 * Gradient of conv2d with respect to its weight. `saved` is what the forward kept for it (Winograd
 * input tiles or transposed im2col columns), used instead of rebuilt, and freed.
 */
export function conv2dBackwardWeight(
  dy: Tensor,
  x: Tensor,
  g: ConvGeometry,
  saved: Tensor | null = null,
): Tensor {
  if (g.winograd) return winogradBackwardWeight(dy, x, g.winograd, saved);
  const dwP = Tensor.empty([g.Co, g.Kp]);
  if (g.fold) foldedBackwardWeight(dy, x, g, dwP, saved);
  else perImageBackwardWeight(dy, x, g, dwP);
  const shape = [g.Co, g.C, g.KH, g.KW];
  if (g.Kp === g.K) {
    const v = dwP.view(shape);
    dwP.dispose();
    return v;
  }
  const dw = gatherStrided(dwP, [g.Co, g.K], [g.Kp, 1]);
  dwP.dispose();
  const v = dw.view(shape);
  dw.dispose();
  return v;
}

/** The weight gradient summed over the batch inside the GEMM (zsum), chunk by chunk. */
function perImageBackwardWeight(dy: Tensor, x: Tensor, g: ConvGeometry, dwP: Tensor): void {
  const dyP = paddedGrad(dy, g);
  const col = g.direct ? null : Tensor.empty([g.chunk, g.Kp, g.Pp]);
  // Transposed columns where im2col builds them (a direct 1x1 convolution reads x as its columns).
  const rows = col !== null && convSettings.im2colRows;
  chunks(g).forEach(([n0, nb], i) => {
    if (col) im2col(x, g, n0, nb, col, rows);
    gemm({
      a: dyP.range,
      b: (col ?? x).range,
      c: dwP.range,
      M: g.Co,
      N: g.Kp,
      K: g.Pp,
      transB: !rows,
      zsum: nb,
      strideA: g.Co * g.Pp,
      baseA: n0 * g.Co * g.Pp,
      strideB: g.Kp * g.Pp,
      baseB: col ? 0 : n0 * g.Kp * g.Pp,
      accumulate: i > 0,
    });
  });
  col?.dispose();
  if (dyP !== dy) dyP.dispose();
}

/** The weight gradient summed over chunks, with the chunk's images as GEMM columns. */
function foldedBackwardWeight(
  dy: Tensor,
  x: Tensor,
  g: ConvGeometry,
  dwP: Tensor,
  saved: Tensor | null,
): void {
  const col = saved ?? Tensor.empty([g.Kp, g.chunk * g.Pp]);
  const dyF = Tensor.empty([g.Co, g.chunk * g.Pp]);
  const rows = saved !== null || convSettings.im2colRows;
  chunks(g).forEach(([n0, nb], i) => {
    if (!saved) im2col(x, g, n0, nb, col, rows);
    foldMove(dy, dyF, g, n0, nb, true);
    gemm({
      a: dyF.range,
      b: col.range,
      c: dwP.range,
      M: g.Co,
      N: g.Kp,
      K: nb * g.Pp,
      transB: !rows,
      accumulate: i > 0,
    });
  });
  col.dispose();
  dyF.dispose();
}
