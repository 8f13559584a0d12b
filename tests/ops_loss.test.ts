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

gpuTest(
  "topkCorrect: a NaN label logit is never a hit; NaN elsewhere outranks; Inf and ties by index",
  async () => {
    const C = 6, nan = NaN, inf = Infinity;
    const rows: [number[], number][] = [
      [[nan, nan, nan, nan, nan, nan], 0], // all NaN: no hit (was counted top-1 and top-5)
      [[nan, nan, nan, nan, nan, nan], 3],
      [[1, nan, 2, 0, 0, 0], 1], // NaN label logit beside finite ones: no hit
      [[1, 9, nan, 0, 0, 0], 1], // another class is NaN: ranks above the label (top-5, not top-1)
      [[inf, inf, inf, inf, inf, inf], 0], // all +Inf: ties by index, label 0 is top-1
      [[inf, inf, inf, inf, inf, inf], 5], // ... label 5 has rank 5: no hit
      [[-inf, -inf, -inf, -inf, -inf, -inf], 2], // rank 2: top-5 only
      [[0, inf, 3, -inf, 1, 2], 1], // +Inf label: top-1
      [[0, -inf, 3, -inf, 1, 2], 3], // -Inf label tied with index 1: rank 5, no hit
      [[2, 2, 2, 1, 1, 1], 1], // finite tie with a smaller index: top-5 only
    ];
    const x = Float32Array.from(rows.flatMap(([v]) => v));
    const y = Float32Array.from(rows.map(([, l]) => l));
    // Per-row flags from one-row calls, so each expectation is checked on its own.
    const want: [number, number][] = [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 1],
      [1, 1],
      [0, 0],
      [0, 1],
      [1, 1],
      [0, 0],
      [
        0,
        1,
      ],
    ];
    for (let i = 0; i < rows.length; i++) {
      const got = sw.topkCorrect(
        sw.tensor(x.subarray(i * C, (i + 1) * C), [1, C]),
        sw.tensor(y.subarray(i, i + 1)),
      );
      assertEquals([...await got.data()], want[i], `row ${i}: [${rows[i][0]}] label ${rows[i][1]}`);
    }
    const all = sw.topkCorrect(sw.tensor(x, [rows.length, C]), sw.tensor(y, [rows.length]));
    assertEquals([...await all.data()], [2, 5], "counts over the batch");
  },
);
