// log_softmax, NLL, cross-entropy and top-k counts against float64 references.
import * as sw from "../mod.ts";
import { assertEquals } from "./assert.ts";
import { gpuTest, gradcheck, type Ref, rng } from "./harness.ts";

function logSoftmaxRef(x: Ref): Ref {
  const [R, C] = x.shape;
  const out = new Float64Array(R * C);
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let j = 0; j < C; j++) m = Math.max(m, x.data[r * C + j]);
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(x.data[r * C + j] - m);
    for (let j = 0; j < C; j++) out[r * C + j] = x.data[r * C + j] - m - Math.log(s);
  }
  return { data: out, shape: [R, C] };
}

const labels = Float64Array.from([3, 0, 6, 6, 1]);

gpuTest(
  "logSoftmax",
  () =>
    gradcheck("logSoftmax", [[5, 7]], ([x]) => sw.logSoftmax(x), ([x]) => logSoftmaxRef(x), {
      range: [-3, 3],
    }),
);

gpuTest("crossEntropy with integer labels, mean over the batch", () =>
  gradcheck(
    "crossEntropy",
    [[5, 7], [5]],
    ([x, y]) => sw.crossEntropy(x, y),
    ([x]) => {
      const lp = logSoftmaxRef(x);
      let s = 0;
      labels.forEach((l, r) => (s -= lp.data[r * 7 + l]));
      return { data: Float64Array.of(s / 5), shape: [] };
    },
    { fixed: { 1: labels }, wrt: [0], range: [-3, 3] },
  ));

gpuTest("topkCorrect counts top-1 and top-5 hits, ties broken by index", async () => {
  const r = rng(7);
  const R = 37, C = 10;
  const x = Float32Array.from({ length: R * C }, () => Math.round(r() * 8)); // many ties
  const y = Float32Array.from({ length: R }, () => Math.floor(r() * C));
  let top1 = 0, top5 = 0;
  for (let i = 0; i < R; i++) {
    const v = x[i * C + y[i]];
    let rank = 0;
    for (let j = 0; j < C; j++) if (x[i * C + j] > v || (x[i * C + j] === v && j < y[i])) rank++;
    if (rank < 1) top1++;
    if (rank < 5) top5++;
  }
  const counts = sw.topkCorrect(sw.tensor(x, [R, C]), sw.tensor(y, [R]));
  assertEquals([...await counts.data()], [top1, top5]);
});
