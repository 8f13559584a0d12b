/**
 * Classification losses and metrics: log_softmax, NLL, cross-entropy, top-k correct counts.
 * Labels are f32 tensors of class indices, shape [batch].
 * @module
 */
import logSoftmaxSrc from "../../shaders/log_softmax.wgsl" with { type: "text" };
import logSoftmaxGradSrc from "../../shaders/log_softmax_grad.wgsl" with { type: "text" };
import nllSrc from "../../shaders/nll.wgsl" with { type: "text" };
import nllGradSrcText from "../../shaders/nll_grad.wgsl" with { type: "text" };
import topkSrc from "../../shaders/topk_rank.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { gridStride, launch, shaderSource } from "./launch.ts";
import { sum } from "./reduce.ts";

const nllGradSrc = shaderSource(nllGradSrcText);

function rowsCols(x: Tensor, what: string): [number, number] {
  if (x.rank !== 2) throw new Error(`${what}: expected [batch, classes], got [${x.shape}]`);
  return [x.shape[0], x.shape[1]];
}

function checkLabels(labels: Tensor, rows: number, what: string): void {
  if (labels.rank !== 1 || labels.shape[0] !== rows) {
    throw new Error(`${what}: labels must have shape [${rows}], got [${labels.shape}]`);
  }
}

/** log(softmax(x)) over the last axis of a [batch, classes] tensor. */
export function logSoftmax(x: Tensor): Tensor {
  const [rows, C] = rowsCols(x, "logSoftmax");
  const out = Tensor.empty(x.shape);
  launch("log_softmax", logSoftmaxSrc, {}, [x, out], new Params().u32(rows, C).bytes(), [
    Math.ceil(rows / 64),
  ]);
  return record("logSoftmax", [x], out);
}

/** Backward of logSoftmax given its output: g - softmax * rowsum(g). */
export function logSoftmaxBackward(g: Tensor, logp: Tensor): Tensor {
  const [rows, C] = rowsCols(logp, "logSoftmaxBackward");
  const out = Tensor.empty(logp.shape);
  launch("log_softmax_grad", logSoftmaxGradSrc, {}, [g, logp, out], new Params().u32(rows, C).bytes(), [
    Math.ceil(rows / 64),
  ]);
  return out;
}

/** Per-row -logp[label] * scale, shape [batch]. */
export function nllRows(logp: Tensor, labels: Tensor, scale = 1): Tensor {
  const [rows, C] = rowsCols(logp, "nll");
  checkLabels(labels, rows, "nll");
  const out = Tensor.empty([rows]);
  launch("nll", nllSrc, {}, [logp, labels, out], new Params().u32(rows, C).f32(scale).bytes(), [
    Math.ceil(rows / 64),
  ]);
  return record("nllRows", [logp], out, { labels, scale });
}

/** Backward of nllRows: scatters -g * scale into the label positions. */
export function nllRowsBackward(g: Tensor, labels: Tensor, C: number, scale: number): Tensor {
  const rows = labels.shape[0];
  const out = Tensor.empty([rows, C]);
  launch(
    "nll_grad",
    nllGradSrc,
    {},
    [g, labels, out],
    new Params().u32(rows, C).f32(scale).bytes(),
    gridStride(rows * C),
  );
  return out;
}

/** Mean negative log-likelihood of `labels` under log-probabilities `logp`. */
export function nllLoss(logp: Tensor, labels: Tensor): Tensor {
  return sum(nllRows(logp, labels, 1 / logp.shape[0]));
}

/** Cross-entropy of integer `labels` under `logits` [batch, classes], averaged over the batch. */
export function crossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return nllLoss(logSoftmax(logits), labels);
}

/**
 * Counts of rows whose label is the top-1 and among the top-5 scores: a [2] tensor left on
 * the GPU, so an epoch's counts can be summed without a readback per batch.
 */
export function topkCorrect(logits: Tensor, labels: Tensor): Tensor {
  const [rows, C] = rowsCols(logits, "topkCorrect");
  checkLabels(labels, rows, "topkCorrect");
  const flags = Tensor.empty([rows, 2]);
  launch("topk_rank", topkSrc, {}, [logits, labels, flags], new Params().u32(rows, C).bytes(), [
    Math.ceil(rows / 64),
  ]);
  const counts = sum(flags, 0);
  flags.dispose();
  return counts;
}
