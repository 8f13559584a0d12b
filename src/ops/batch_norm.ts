/**
 * 2-D batch normalisation (NCHW) with PyTorch's semantics, forward and backward in WGSL.
 *
 * Training mode normalises with the batch's per-channel mean and biased variance and, unless
 * `updateStats` is false, moves the running statistics in place on the GPU:
 * running = (1 - momentum) * running + momentum * batch, with the unbiased variance, and adds one
 * to num_batches_tracked. Eval mode normalises with the running statistics.
 *
 * Dispatches: training forward = partial sums, finalize (statistics and running update),
 * coefficients, normalise; eval forward = statistics from the running buffers, coefficients,
 * normalise. Backward = partial sums of g and g*(x - mean), finalize (dw, db), coefficients,
 * input gradient. The coefficients are one vec4 per channel (batch_norm_coef.wgsl), so the
 * elementwise kernels load one value per element's channel rather than four or five: under
 * llvmpipe each load is a loop over the SIMD lanes. The per-channel reductions are
 * two-level: each channel's N*H*W elements are split into parts, each summed into 128 partial
 * sums in a fixed order by one workgroup of 8 invocations (one SIMD group, reading the part front
 * to back; no shared-memory tree: its barriers cost a third of the pass; see
 * shaders/lib/channel_partials.wgsl), then one invocation per channel adds the parts' sums. So 64
 * channels of 32768 elements are 64 workgroups, and 16 channels are split in two parts each:
 * enough workgroups for every core, not one thread per channel looping over everything.
 * More parts than needed to fill the cores made it slower (measured: 2x at 16 parts/channel,
 * with the tree).
 *
 * The statistics are kept as one [2, C] tensor (mean, then 1/sqrt(var + eps)) that backward
 * reuses; x̂ is recomputed from x rather than stored.
 *
 * @module
 */
import partialSrcText from "../../shaders/batch_norm_partial.wgsl" with { type: "text" };
import finalizeSrc from "../../shaders/batch_norm_finalize.wgsl" with { type: "text" };
import evalStatsSrc from "../../shaders/batch_norm_eval_stats.wgsl" with { type: "text" };
import applySrcText from "../../shaders/batch_norm_apply.wgsl" with { type: "text" };
import gradPartialSrcText from "../../shaders/batch_norm_grad_partial.wgsl" with { type: "text" };
import gradFinalizeSrc from "../../shaders/batch_norm_grad_finalize.wgsl" with { type: "text" };
import gradInputSrcText from "../../shaders/batch_norm_grad_input.wgsl" with { type: "text" };
import coefSrc from "../../shaders/batch_norm_coef.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { type GradThunk, record } from "./record.ts";
import { add } from "./elementwise.ts";
import { OFFSET_ALIGN, Storage, Tensor } from "../tensor/tensor.ts";
import { grid, type Lanes, lanesFor, laneSources, launch } from "./launch.ts";

/**
 * The first-level reductions' layout (see shaders/lib/channel_partials.wgsl): sums per part, and
 * invocations per workgroup (one SIMD group under llvmpipe, as grid.wgsl's GRID_WALKERS), each
 * keeping SUMS of them. Defined here only: channelSums declares them for the shaders.
 */
const PART_SUMS = 128, WALKERS = 8, SUMS = PART_SUMS / WALKERS;

/**
 * The `channel_sums` piece of the first-level reductions: PART_SUMS, WALKERS and
 * `sumPart(part, c, li)`, in which invocation li adds element li + WALKERS * k of every row of
 * the part into sum k's accumulators, SUMS pairs of variables, then stores them as sums
 * li + WALKERS * k.
 */
function channelSums(): string {
  const ks = [...Array(SUMS).keys()];
  const at = (k: number) => `r + (li + ${k}u * WALKERS) * LANES`;
  return [
    `const PART_SUMS = ${PART_SUMS}u;`,
    `const WALKERS = ${WALKERS}u;`,
    "fn sumPart(part: u32, c: u32, li: u32) {",
    "  let j0 = part * p.chunk;",
    "  let j1 = min(p.count, j0 + p.chunk);",
    ...ks.map((k) => `  var a${k} = splat(0.0);\n  var b${k} = splat(0.0);`),
    "  for (var r = j0; r < j1; r += PART_SUMS * LANES) {",
    ...ks.map((k) =>
      `    if (${at(k)} < j1) {\n      let t${k} = terms(${at(k)}, c);\n` +
      `      a${k} += t${k}.u;\n      b${k} = fma(t${k}.u, t${k}.w, b${k});\n    }`
    ),
    "  }",
    ...ks.map((k) => `  storePartials(li + ${k}u * WALKERS, c, part, total(a${k}), total(b${k}));`),
    "}",
  ].join("\n");
}

const sumsPiece = { channel_sums: channelSums() };
const partialSrc = laneSources(partialSrcText, () => sumsPiece);
const applySrc = laneSources(applySrcText);
const gradPartialSrc = laneSources(gradPartialSrcText, () => sumsPiece);
const gradInputSrc = laneSources(gradInputSrcText);

/**
 * Tunables of the two-level reductions: a channel is split into parts of at least
 * `minPartElems` elements until there are about `targetWorkgroups` workgroups in all.
 * `planeMin` is the plane size (H*W) from which the elementwise kernels walk each (n, c) plane
 * with 32 invocations of their own; below it, with `quads` and C % 4 == 0, they walk groups of
 * four planes as vec4s (batch_norm_apply.wgsl's QUAD layout), else a flat loop. `fuseAddend`:
 * the input gradient adds the gradient already accumulated for x (a residual block's identity
 * shortcut) in its own pass, instead of the autograd adding it after (see GradThunk).
 */
export const batchNormSettings = {
  targetWorkgroups: 32,
  minPartElems: 4096,
  planeMin: 256,
  quads: true,
  fuseAddend: true,
  /**
   * relu(batch_norm(x)) is written only when something reads it ({@link Tensor.defer}): a
   * Winograd convolution's input transform applies the normalisation and the ReLU to x as it
   * loads ({@link BatchNormReluPayload}), so the normalised map is never stored (off: written
   * at once, for A/B benches and tests).
   */
  deferRelu: true,
};

/**
 * What a deferred relu(batch_norm(x)) is ({@link Tensor.deferredPayload}): per element of
 * channel c, max(fma(x - coef[c].x, coef[c].y, coef[c].z), 0), the operations of
 * batch_norm_apply.wgsl in its order, so a consumer applying them gets the same bits.
 */
export interface BatchNormReluPayload {
  readonly kind: "batchNormRelu";
  /** The batch norm's input, [N, C, H, W]. */
  readonly x: Tensor;
  /** [C, 4] coefficients (mean, invstd * weight, bias, 0) of batch_norm_coef.wgsl. */
  readonly coef: Tensor;
}

/** The payload of `t` if it is a deferred relu(batch_norm(x)) (see batchNormSettings.deferRelu). */
export function batchNormReluOf(t: Tensor): BatchNormReluPayload | null {
  const p = t.deferredPayload as BatchNormReluPayload | null;
  return p?.kind === "batchNormRelu" ? p : null;
}

/** Options of {@link batchNorm2d}; defaults are PyTorch's. */
export interface BatchNormOptions {
  /** Batch statistics (true) or running statistics (false). */
  training: boolean;
  /** Weight of the new batch in the running averages (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** In training, whether to move the running statistics (default true). */
  updateStats?: boolean;
  /** [C] running mean, updated in place in training; required in eval mode. */
  runningMean?: Tensor | null;
  /** [C] running variance (unbiased), updated in place in training; required in eval mode. */
  runningVar?: Tensor | null;
  /** [] batch counter (f32), incremented in place whenever the running statistics move. */
  numBatchesTracked?: Tensor | null;
  /**
   * Returns relu(batch_norm(x)), fused (default false): one pass writes the rectified output,
   * and backward masks the gradient inside the batch norm's own kernels, recomputing the
   * normalised value from x (which they load anyway) by the forward's operations, so the
   * normalised map is never stored, the output is not read back, and the ReLU costs no pass.
   */
  relu?: boolean;
}

/** Shapes of one batch norm, kept on the tape for backward. */
export interface BatchNormGeometry {
  /** Batch size. */
  N: number;
  /** Channels. */
  C: number;
  /** Pixels per image and channel: H * W. */
  HW: number;
  /** Elements per channel: N * H * W. */
  count: number;
  /** Parts each channel is split into for the reductions. */
  parts: number;
  /** Elements per part (a multiple of `lanes`). */
  chunk: number;
  /** Elements per load of the kernels over x and its gradient: 4 when HW % 4 == 0. */
  lanes: Lanes;
}

function geometry(x: Tensor, weight: Tensor, bias: Tensor): BatchNormGeometry {
  if (x.rank !== 4) throw new Error(`batchNorm2d: input must be [N, C, H, W], got [${x.shape}]`);
  const [N, C, H, W] = x.shape;
  for (const [what, t] of [["weight", weight], ["bias", bias]] as const) {
    if (t.rank !== 1 || t.shape[0] !== C) {
      throw new Error(`batchNorm2d: ${what} must have shape [${C}], got [${t.shape}]`);
    }
  }
  const HW = H * W, count = N * HW;
  const { targetWorkgroups, minPartElems } = batchNormSettings;
  let parts = Math.max(1, Math.min(Math.ceil(targetWorkgroups / C), Math.floor(count / minPartElems)));
  // Parts of whole vec4s when the reductions load vec4s (see batch_norm_partial.wgsl).
  const lanes = lanesFor(HW);
  const chunk = Math.ceil(count / parts / lanes) * lanes;
  parts = Math.ceil(count / chunk);
  if (C > 65535 || parts > 65535) throw new Error(`batchNorm2d: ${C} channels exceed the dispatch limit`);
  return { N, C, HW, count, parts, chunk, lanes };
}

/**
 * Layout of the elementwise kernels (normalise, input gradient): see batch_norm_apply.wgsl. They
 * load vec4s when a plane is a whole number of them (every plane of a 28x28 or 32x32 network).
 */
function elementwise(
  g: BatchNormGeometry,
): { plane: boolean; quad: boolean; groups: number[]; planes: number; lanes: Lanes } {
  const planes = g.N * g.C;
  const lanes = g.lanes, perPlane = g.HW / lanes;
  if (g.HW >= batchNormSettings.planeMin) {
    // PER_PLANE (32) invocations per plane, 8 planes per workgroup, up to 16 elements each.
    const blocks = Math.ceil(planes / 8), y = Math.min(blocks, 65535);
    const groups = [Math.ceil(perPlane / 512), y, Math.ceil(blocks / y)];
    return { plane: true, quad: false, groups, planes, lanes };
  }
  if (batchNormSettings.quads && g.C % 4 === 0 && lanesFor(4) === 4) {
    // 8 invocations per group of 4 planes, loading vec4s whatever HW is.
    return { plane: false, quad: true, groups: grid((planes / 4) * 8, 256), planes, lanes: 4 };
  }
  // Flat grid-stride loop, about 4 elements (of V) per invocation.
  const groups = [Math.max(1, Math.min(65535, Math.ceil((planes * perPlane) / 1024)))];
  return { plane: false, quad: false, groups, planes, lanes };
}

function partialParams(g: BatchNormGeometry): ArrayBuffer {
  return new Params().u32(g.count, g.parts, g.chunk).bytes();
}

/** A small temporary for a running-statistics binding the caller did not supply. */
const scratch = (n: number) => Tensor.empty([n]);

/** [2, C] batch statistics (mean, invstd), moving the running statistics when asked. */
function batchStats(x: Tensor, g: BatchNormGeometry, opts: BatchNormOptions): Tensor {
  if (g.count < 2) {
    throw new Error(`batchNorm2d: expected more than 1 value per channel when training, got [${x.shape}]`);
  }
  const consts = { C: g.C, HW: g.HW };
  const partial = Tensor.empty([2, g.C, g.parts * PART_SUMS]);
  launch(
    `bn_partial${g.lanes === 4 ? "4" : ""}`,
    partialSrc[g.lanes],
    consts,
    [x, partial],
    partialParams(g),
    [g.parts, g.C],
  );
  const stats = Tensor.empty([2, g.C]);
  const update = (opts.updateStats ?? true) && !!opts.runningMean && !!opts.runningVar;
  const temps: Tensor[] = [];
  const orScratch = (t: Tensor | null | undefined, n: number) => {
    if (t) return t;
    const s = scratch(n);
    temps.push(s);
    return s;
  };
  const rm = orScratch(opts.runningMean, g.C), rv = orScratch(opts.runningVar, g.C);
  const nbt = orScratch(opts.numBatchesTracked, 1);
  for (const [what, t] of [["runningMean", rm], ["runningVar", rv]] as const) {
    if (t.size !== g.C) throw new Error(`batchNorm2d: ${what} must have ${g.C} elements, got [${t.shape}]`);
  }
  const momentum = opts.momentum ?? 0.1, eps = opts.eps ?? 1e-5;
  const params = new Params().u32(g.C, g.parts * PART_SUMS, g.HW, 0)
    .f32(g.count, momentum, eps, g.count / (g.count - 1)).bytes();
  launch("bn_finalize", finalizeSrc, { UPDATE: update ? 1 : 0 }, [x, partial, stats, rm, rv, nbt], params, [
    Math.ceil(g.C / 64),
  ]);
  partial.dispose();
  temps.forEach((t) => t.dispose());
  return stats;
}

/** [2, C] statistics (running mean, invstd) from the running buffers. */
function runningStats(g: BatchNormGeometry, opts: BatchNormOptions): Tensor {
  const rm = opts.runningMean, rv = opts.runningVar;
  if (!rm || !rv) throw new Error("batchNorm2d: eval mode needs runningMean and runningVar");
  if (rm.size !== g.C || rv.size !== g.C) {
    throw new Error(
      `batchNorm2d: running statistics must have ${g.C} elements, got [${rm.shape}], [${rv.shape}]`,
    );
  }
  const stats = Tensor.empty([2, g.C]);
  const params = new Params().u32(g.C).f32(opts.eps ?? 1e-5).bytes();
  launch("bn_eval_stats", evalStatsSrc, {}, [rm, rv, stats], params, [Math.ceil(g.C / 64)]);
  return stats;
}

/**
 * [C, 4] per-channel coefficients of the elementwise kernels (see batch_norm_coef.wgsl): for
 * normalising (`other` = bias), or for the input gradient (`other` = the dw | db sums, db at
 * float offset `stride`, over `count` elements per channel).
 */
function coefficients(
  stats: Tensor,
  weight: Tensor,
  other: Tensor,
  C: number,
  backward: boolean,
  stride = 0,
  count = 1,
): Tensor {
  const coef = Tensor.empty([C, 4]);
  const params = new Params().u32(C, stride).f32(count).bytes();
  launch("bn_coef", coefSrc, { BACKWARD: backward ? 1 : 0 }, [stats, weight, other, coef], params, [
    Math.ceil(C / 64),
  ]);
  return coef;
}

/**
 * batch_norm(x [N, C, H, W], weight [C], bias [C]) as PyTorch's `F.batch_norm`; see the module
 * documentation. Differentiable with respect to x, weight and bias (through the batch
 * statistics in training mode).
 */
export function batchNorm2d(x: Tensor, weight: Tensor, bias: Tensor, opts: BatchNormOptions): Tensor {
  const g = geometry(x, weight, bias);
  const stats = opts.training ? batchStats(x, g, opts) : runningStats(g, opts);
  const out = Tensor.empty(x.shape);
  const e = elementwise(g);
  const relu = opts.relu ?? false;
  const consts = { C: g.C, HW: g.HW, PLANE: e.plane ? 1 : 0, QUAD: e.quad ? 1 : 0, RELU: relu ? 1 : 0 };
  const params = new Params().u32(x.size, e.planes).bytes();
  const coef = coefficients(stats, weight, bias, g.C, false);
  const name = `bn_apply${e.lanes === 4 ? "4" : ""}${e.quad ? ".quad" : ""}`;
  if (relu && batchNormSettings.deferRelu) {
    // x and coef are held (kept: no tidy scope frees them) until the write runs or out goes.
    const held = { kind: "batchNormRelu", x: x.view(x.shape).keep(), coef: coef.keep() } as const;
    out.defer({
      payload: held,
      run: () => launch(name, applySrc[e.lanes], consts, [held.x, held.coef, out], params, e.groups),
      release: () => {
        held.x.dispose();
        held.coef.dispose();
      },
    });
  } else {
    launch(name, applySrc[e.lanes], consts, [x, coef, out], params, e.groups);
    coef.dispose();
  }
  record("batchNorm2d", [x, weight, bias], out, { stats, geom: g, batch: opts.training, relu });
  // Without a tape entry nothing will read the statistics again.
  if (!out.node) stats.dispose();
  return out;
}

/** A lazily computed input gradient, as the rule table expects. */

/**
 * The backward rule of batchNorm2d: thunks for dx, dweight, dbias, given the forward's statistics
 * and whether they were batch statistics. The per-channel sums are computed once, into one
 * buffer that holds dweight and dbias as two 256-byte-aligned views (no copies). With `reluBias`
 * (the bias of a batch norm fused with a ReLU) the gradient is first masked where the forward's
 * normalised value, recomputed from x, is not positive.
 */
export function batchNorm2dBackward(
  g: Tensor,
  x: Tensor,
  weight: Tensor,
  stats: Tensor,
  geom: BatchNormGeometry,
  batch: boolean,
  reluBias: Tensor | null = null,
): GradThunk[] {
  const { C, HW, parts } = geom;
  const partial = Tensor.empty([2, C, parts * PART_SUMS]);
  // The mask is recomputed from x with the bias; without the ReLU, weight stands in for it.
  const bias = reluBias ?? weight, RELU = reluBias ? 1 : 0;
  launch(
    `bn_grad_partial${geom.lanes === 4 ? "4" : ""}`,
    gradPartialSrc[geom.lanes],
    { C, HW, RELU },
    [g, x, stats, partial, weight, bias],
    partialParams(geom),
    [parts, C],
  );
  const stride = Math.ceil((C * 4) / OFFSET_ALIGN) * (OFFSET_ALIGN / 4);
  const storage = Storage.alloc(2 * stride * 4);
  const sums = new Tensor([2 * stride], storage);
  const params = new Params().u32(C, parts * PART_SUMS, stride).bytes();
  launch("bn_grad_finalize", gradFinalizeSrc, {}, [partial, stats, sums], params, [Math.ceil(C / 64)]);
  partial.dispose();
  const view = (offset: number) => {
    storage.retain();
    return new Tensor([C], storage, offset);
  };
  // dx, or with an addend (the gradient already accumulated for x) addend + dx in the same pass.
  const dx = (addend: Tensor | null) => {
    const out = Tensor.empty(x.shape);
    const e = elementwise(geom);
    const params = new Params().u32(x.size, e.planes, 0).f32(geom.count).bytes();
    const ADD = addend ? 1 : 0;
    const consts = { C, HW, BATCH: batch ? 1 : 0, PLANE: e.plane ? 1 : 0, QUAD: e.quad ? 1 : 0, RELU, ADD };
    const name = `bn_grad_input${e.lanes === 4 ? "4" : ""}${e.quad ? ".quad" : ""}${addend ? ".add" : ""}`;
    const coef = coefficients(stats, weight, sums, C, true, stride, geom.count);
    // Without an addend, g stands in for its binding (not read).
    const bindings = [g, x, coef, out, bias, sums, addend ?? g];
    launch(name, gradInputSrc[e.lanes], consts, bindings, params, e.groups);
    coef.dispose();
    return out;
  };
  const dxThunk = Object.assign(() => dx(null), {
    withAddend: (addend: Tensor) => (batchNormSettings.fuseAddend ? dx(addend) : add(addend, dx(null))),
  });
  return [dxThunk, () => view(0), () => view(stride * 4)];
}
