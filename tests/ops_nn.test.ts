// CNN ops against float64 references: batch norm (train mode through the batch statistics, eval
// mode, running-statistics updates), max/avg/global pooling, dropout masks and their gradients.
// Odd channel counts, batch 1, stride 2, padding 0 and 1.
import * as sw from "../mod.ts";
import { batchNorm2d, batchNormSettings } from "../src/ops/batch_norm.ts";
import { adaptiveAvgPool2d1, avgPool2d, globalAvgPool, maxPool2d } from "../src/ops/pool.ts";
import { dropout } from "../src/ops/dropout.ts";
import { assert, assertClose, assertEquals } from "./assert.ts";
import { gpuTest, gradcheck, randArray, type Ref, rng, withTunables } from "./harness.ts";

// ---------------------------------------------------------------- batch norm

/** Per-channel mean and biased variance of an NCHW reference. */
function channelStats(x: Ref): { mean: Float64Array; varB: Float64Array; count: number } {
  const [N, C, H, W] = x.shape, HW = H * W, count = N * HW;
  const mean = new Float64Array(C), varB = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < HW; k++) s += x.data[(n * C + c) * HW + k];
    mean[c] = s / count;
    let v = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < HW; k++) v += (x.data[(n * C + c) * HW + k] - mean[c]) ** 2;
    }
    varB[c] = v / count;
  }
  return { mean, varB, count };
}

function bnRef(
  x: Ref,
  w: Ref,
  b: Ref,
  mean: ArrayLike<number>,
  variance: ArrayLike<number>,
  eps = 1e-5,
): Ref {
  const [, C, H, W] = x.shape, HW = H * W;
  const data = x.data.map((v, i) => {
    const c = Math.floor(i / HW) % C;
    return (v - mean[c]) / Math.sqrt(variance[c] + eps) * w.data[c] + b.data[c];
  });
  return { data, shape: x.shape };
}

function bnTrainRef([x, w, b]: Ref[]): Ref {
  const { mean, varB } = channelStats(x);
  return bnRef(x, w, b, mean, varB);
}

/** Runs `fn` with some batch-norm tunables changed (to reach the split and plane code paths). */
const withSettings = (change: Partial<typeof batchNormSettings>, fn: () => Promise<void>) =>
  withTunables(batchNormSettings, change, fn);

const bnTrain = ([x, w, b]: sw.Tensor[]) => batchNorm2d(x, w, b, { training: true });
const bnTrainRelu = ([x, w, b]: sw.Tensor[]) => batchNorm2d(x, w, b, { training: true, relu: true });
const reluRef = (r: Ref): Ref => ({ data: r.data.map((v) => Math.max(v, 0)), shape: r.shape });

const bnCases: [string, number[], Partial<typeof batchNormSettings>, [number, number]?][] = [
  ["N2 C3 4x4", [2, 3, 4, 4], {}],
  ["batch 1, C5 3x3", [1, 5, 3, 3], {}],
  ["C2 5x5 in 9-element parts (two-level reduction)", [3, 2, 5, 5], { minPartElems: 8 }],
  ["C7 1x1 spatial", [6, 7, 1, 1], {}],
  ["C3 16x16: the plane layout (32 invocations per plane)", [2, 3, 16, 16], {}],
  ["N3 C5 16x16: 15 planes, 8 per workgroup", [3, 5, 16, 16], {}],
  ["C2 48x48: 576 vec4s per plane, two workgroup columns", [1, 2, 48, 48], {}],
  ["C3 5x5, plane layout with a ragged plane", [2, 3, 5, 5], { planeMin: 4 }],
  // 36-element planes load as 9 vec4s (shaders/lib/lanes4.wgsl); 5x5 above loads f32s.
  ["C3 6x6, plane layout of vec4s", [2, 3, 6, 6], { planeMin: 4 }],
  ["C2 4x5 in parts of 12 (vec4 loads, a short last part)", [3, 2, 4, 5], { minPartElems: 8 }],
  // Parts whose elements do not divide evenly into the 128 sums of a part.
  ["C2 9x11: parts of 149 and 148 elements", [3, 2, 9, 11], { minPartElems: 100 }],
  ["C3 20x20: 200 vec4s a channel", [2, 3, 20, 20], {}],
  ["mean 50 >> std (shifted sums)", [2, 3, 4, 4], { minPartElems: 8 }, [50, 51]],
  // C % 4 == 0 under planeMin: groups of 4 planes as vec4s (QUAD), vec4s spanning channels.
  ["C4 3x3: quad layout, vec4s spanning two channels", [2, 4, 3, 3], {}],
  ["N3 C8 7x7: quad layout, two channel groups per image", [3, 8, 7, 7], {}],
  ["C4 1x2: quad layout, two channels per vec4", [3, 4, 1, 2], {}],
  ["C8 1x1: quad layout, four channels per vec4", [3, 8, 1, 1], {}],
  ["C4 2x2: quad layout, a vec4 per plane", [2, 4, 2, 2], {}],
  ["C4 3x3: flat layout (quads off)", [2, 4, 3, 3], { quads: false }],
];

// Each case also as relu(batch_norm(x)) fused (BatchNormOptions.relu), against the reference's ReLU.
for (const relu of [false, true]) {
  for (const [label, shape, settings, range] of bnCases) {
    gpuTest(
      `batchNorm2d train${relu ? " + fused relu" : ""}: ${label}`,
      () =>
        withSettings(settings, () =>
          gradcheck(
            `batchNorm2d train${relu ? " relu" : ""}`,
            [shape, [shape[1]], [shape[1]]],
            relu ? bnTrainRelu : bnTrain,
            relu ? (xs) => reluRef(bnTrainRef(xs)) : bnTrainRef,
            {
              range: [range ?? [-1, 1], [0.5, 1.5], [-1, 1]],
              fwdAtol: range ? 5e-4 : 1e-4,
              gradAtol: range ? 2e-3 : 5e-4,
              gradRtol: 2e-3,
            },
          )),
    );
  }
}

// x + relu(batch_norm(x)): x's gradient arrives twice, and the batch norm's input gradient adds
// the one accumulated first (the identity shortcut's) in its own pass (GradThunk.withAddend),
// or (fuseAddend off) the autograd adds it; both layouts of small planes and the plane layout.
for (const fuseAddend of [true, false]) {
  for (const [label, shape, settings] of bnCases.filter(([l]) => /quad|plane layout \(/.test(l))) {
    gpuTest(
      `batchNorm2d + identity shortcut${fuseAddend ? "" : " (no fused addend)"}: ${label}`,
      () =>
        withSettings({ ...settings, fuseAddend }, () =>
          gradcheck(
            "x + relu(batchNorm2d(x))",
            [shape, [shape[1]], [shape[1]]],
            (xs) => sw.add(bnTrainRelu(xs), xs[0]),
            (xs) => {
              const y = reluRef(bnTrainRef(xs));
              return { data: y.data.map((v, i) => v + xs[0].data[i]), shape: y.shape };
            },
            { fwdAtol: 1e-4, gradAtol: 5e-4, gradRtol: 2e-3 },
          )),
    );
  }
}

gpuTest("batchNorm2d eval, plane layout", () => {
  const C = 3, r = rng(8);
  const rm = randArray(C, r, -0.5, 0.5), rv = randArray(C, r, 0.5, 2);
  return withSettings({ planeMin: 4 }, () =>
    gradcheck(
      "batchNorm2d eval plane",
      [[2, C, 3, 4], [C], [C]],
      ([x, w, b]) =>
        batchNorm2d(x, w, b, {
          training: false,
          runningMean: sw.tensor(Float32Array.from(rm)),
          runningVar: sw.tensor(Float32Array.from(rv)),
        }),
      ([x, w, b]) => bnRef(x, w, b, rm, rv),
      { gradAtol: 2e-4 },
    ));
});

gpuTest("batchNorm2d eval + fused relu, plane, flat and quad layouts", async () => {
  for (const [C, planeMin, H, W] of [[3, 4, 3, 4], [3, 256, 3, 4], [4, 256, 3, 3]]) {
    const r = rng(9);
    const rm = randArray(C, r, -0.5, 0.5), rv = randArray(C, r, 0.5, 2);
    await withSettings({ planeMin }, () =>
      gradcheck(
        `batchNorm2d eval relu C${C} planeMin ${planeMin}`,
        [[2, C, H, W], [C], [C]],
        ([x, w, b]) =>
          batchNorm2d(x, w, b, {
            training: false,
            relu: true,
            runningMean: sw.tensor(Float32Array.from(rm)),
            runningVar: sw.tensor(Float32Array.from(rv)),
          }),
        ([x, w, b]) => reluRef(bnRef(x, w, b, rm, rv)),
        { gradAtol: 2e-4 },
      ));
  }
});

gpuTest("batchNorm2d eval uses the running statistics (gradients as constants)", () => {
  const C = 3, r = rng(7);
  const rm = randArray(C, r, -0.5, 0.5), rv = randArray(C, r, 0.5, 2);
  return gradcheck(
    "batchNorm2d eval",
    [[2, C, 3, 4], [C], [C]],
    ([x, w, b]) =>
      batchNorm2d(x, w, b, {
        training: false,
        runningMean: sw.tensor(Float32Array.from(rm)),
        runningVar: sw.tensor(Float32Array.from(rv)),
      }),
    ([x, w, b]) => bnRef(x, w, b, rm, rv),
    { gradAtol: 2e-4 },
  );
});

gpuTest("batchNorm2d running statistics: one update as PyTorch, frozen with updateStats false", async () => {
  const shape = [2, 5, 3, 3], C = 5, r = rng(11);
  const xv = randArray(2 * C * 9, r, -2, 3);
  const rm0 = randArray(C, r, -1, 1), rv0 = randArray(C, r, 0.5, 1.5);
  const x = sw.tensor(Float32Array.from(xv), shape).keep();
  const w = sw.ones([C]).keep(), b = sw.zeros([C]).keep();
  const rm = sw.tensor(Float32Array.from(rm0)).keep(), rv = sw.tensor(Float32Array.from(rv0)).keep();
  const nbt = sw.zeros([]).keep();
  const opts = { training: true, runningMean: rm, runningVar: rv, numBatchesTracked: nbt };
  try {
    sw.tidy(() => batchNorm2d(x, w, b, opts));
    const { mean, varB, count } = channelStats({ data: xv, shape });
    const gotM = await rm.data(), gotV = await rv.data();
    for (let c = 0; c < C; c++) {
      assertClose(gotM[c], 0.9 * rm0[c] + 0.1 * mean[c], 1e-5, `running_mean[${c}]`);
      assertClose(gotV[c], 0.9 * rv0[c] + 0.1 * varB[c] * count / (count - 1), 1e-5, `running_var[${c}]`);
    }
    assertEquals(await nbt.item(), 1, "num_batches_tracked");
    // A second forward pass of the same step with updates frozen (SAM's second pass).
    sw.tidy(() => batchNorm2d(x, w, b, { ...opts, updateStats: false }));
    assertEquals([...await rm.data()], [...gotM], "running_mean frozen");
    assertEquals([...await rv.data()], [...gotV], "running_var frozen");
    assertEquals(await nbt.item(), 1, "num_batches_tracked frozen");
    sw.tidy(() => batchNorm2d(x, w, b, opts));
    assertEquals(await nbt.item(), 2, "num_batches_tracked after a second update");
  } finally {
    [x, w, b, rm, rv, nbt].forEach((t) => t.dispose());
  }
});

/**
 * The first-level sums of batch norm's reductions in their fixed order (shaders/lib/channel_partials.wgsl),
 * emulated in float32: part `part` of a channel is read as rows of 128 elements of `lanes` floats,
 * sum q adds element q of every row in row order (one accumulator per float of the element, then
 * (a0 + a1) + (a2 + a3)), and the second level adds the parts' sums in order: the first of the
 * two sums (a += u, where `term(i)` is the u of flat index i), for channel c.
 */
function orderedSum(
  shape: number[],
  c: number,
  parts: number,
  chunk: number,
  lanes: number,
  term: (i: number) => number,
): number {
  const f = Math.fround, [, C, H, W] = shape, HW = H * W, count = shape[0] * HW;
  let total = 0;
  for (let part = 0; part < parts; part++) {
    const j0 = part * chunk, j1 = Math.min(count, j0 + chunk);
    for (let q = 0; q < 128; q++) {
      const a = new Array(lanes).fill(0);
      for (let j = j0 + q * lanes; j < j1; j += 128 * lanes) {
        for (let l = 0; l < lanes; l++) {
          const e = j + l, n = Math.floor(e / HW);
          a[l] = f(a[l] + term((n * C + c) * HW + e - n * HW));
        }
      }
      total = f(total + (lanes === 4 ? f(f(a[0] + a[1]) + f(a[2] + a[3])) : a[0]));
    }
  }
  return total;
}

// The sums decide the statistics' last bits, and a run follows the last bits (see
// channel_partials.wgsl): the mean and the bias gradient must be the emulated order's, bit for bit.
// Rows: ragged last rows, parts of several rows, f32 and vec4 loads.
for (
  const [shape, minPartElems] of [
    [[3, 2, 9, 11], 100], // f32 loads, parts of 149 and 148: one ragged row each
    [[3, 2, 25, 25], 600], // f32 loads, parts of 625: four rows and a ragged one
    [[4, 2, 24, 24], 1000], // vec4 loads, parts of 1152: two rows and a ragged one
  ] as [number[], number][]
) {
  gpuTest(`batchNorm2d: the per-channel sums keep their order, bit for bit (${shape})`, async () => {
    const [N, C, H, W] = shape, HW = H * W, count = N * HW, size = N * C * HW, r = rng(23);
    const xv = Float32Array.from(randArray(size, r, -1, 3)), gv = Float32Array.from(randArray(size, r));
    const bv = Float32Array.from(randArray(C, r, -0.5, 0.5));
    const lanes = HW % 4 === 0 ? 4 : 1;
    const parts = Math.min(
      Math.ceil(batchNormSettings.targetWorkgroups / C),
      Math.floor(count / minPartElems),
    );
    const chunk = Math.ceil(count / parts / lanes) * lanes;
    await withSettings({ minPartElems }, async () => {
      const x = sw.tensor(xv, shape).keep(), w = sw.ones([C]).keep(), b = sw.tensor(bv).keep();
      const rm = sw.zeros([C]).keep(), rv = sw.ones([C]).keep(), g = sw.tensor(gv, shape).keep();
      b.requiresGrad = true;
      try {
        // momentum 1: running_mean = 0 * 0 + 1 * mean, the batch mean's bits. Without a ReLU the
        // bias gradient is the sum of g.
        sw.backward(
          batchNorm2d(x, w, b, { training: true, runningMean: rm, runningVar: rv, momentum: 1 }),
          g,
        );
        const mean = await rm.data(), db = await b.grad!.data(), f = Math.fround;
        for (let c = 0; c < C; c++) {
          const shift = xv[c * HW];
          const a = orderedSum(shape, c, parts, chunk, lanes, (i) => f(xv[i] - shift));
          assertEquals(mean[c], f(shift + f(a / count)), `mean[${c}]`);
          assertEquals(db[c], orderedSum(shape, c, parts, chunk, lanes, (i) => gv[i]), `dbias[${c}]`);
        }
      } finally {
        b.grad?.dispose();
        [x, w, b, rm, rv, g].forEach((t) => t.dispose());
      }
    });
  });
}

gpuTest("batchNorm2d rejects one value per channel in training and bad shapes", () => {
  sw.tidy(() => {
    const x = sw.zeros([1, 2, 1, 1]), w = sw.ones([2]), b = sw.zeros([2]);
    let msg = "";
    try {
      batchNorm2d(x, w, b, { training: true });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(/more than 1 value per channel/.test(msg), msg);
    try {
      batchNorm2d(sw.zeros([2, 3, 2, 2]), w, b, { training: true });
      msg = "";
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(/weight must have shape \[3\]/.test(msg), msg);
  });
});

// ---------------------------------------------------------------- pooling

interface PoolCase {
  shape: number[];
  k: number;
  s: number;
  p: number;
  includePad?: boolean;
  ceil?: boolean;
}

/** PyTorch's output size (aten's pooling_output_shape). */
function poolOut(n: number, k: number, s: number, p: number, ceil: boolean): number {
  let o = Math.floor((n + 2 * p - k + (ceil ? s - 1 : 0)) / s) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

function poolRef(x: Ref, { k, s, p, includePad = true, ceil = false }: PoolCase, op: "max" | "avg"): Ref {
  const [N, C, H, W] = x.shape;
  const OH = poolOut(H, k, s, p, ceil), OW = poolOut(W, k, s, p, ceil);
  const out = new Float64Array(N * C * OH * OW);
  for (let pl = 0; pl < N * C; pl++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        let best = -Infinity, acc = 0, inside = 0;
        for (let kh = 0; kh < k; kh++) {
          for (let kw = 0; kw < k; kw++) {
            const ih = oh * s - p + kh, iw = ow * s - p + kw;
            if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
            const v = x.data[(pl * H + ih) * W + iw];
            best = Math.max(best, v);
            acc += v;
            inside++;
          }
        }
        const h0 = oh * s - p, w0 = ow * s - p;
        const padded = (Math.min(h0 + k, H + p) - h0) * (Math.min(w0 + k, W + p) - w0);
        out[(pl * OH + oh) * OW + ow] = op === "max" ? best : acc / (includePad ? padded : inside);
      }
    }
  }
  return { data: out, shape: [N, C, OH, OW] };
}

const poolCases: PoolCase[] = [
  { shape: [2, 3, 6, 6], k: 2, s: 2, p: 0 },
  { shape: [1, 5, 7, 7], k: 3, s: 2, p: 1 }, // batch 1, odd size, padding 1
  { shape: [2, 3, 5, 6], k: 3, s: 1, p: 1 }, // overlapping windows
  { shape: [1, 3, 5, 5], k: 2, s: 2, p: 0 }, // odd size: last row and column unused
  { shape: [2, 1, 6, 5], k: 3, s: 2, p: 1, includePad: false },
  { shape: [1, 2, 7, 7], k: 2, s: 2, p: 0, ceil: true }, // ceil mode: 7 -> 4, partial last window
  { shape: [2, 3, 1, 1], k: 2, s: 2, p: 0, ceil: true }, // 1x1 stays 1x1 (VGG on 28x28 inputs)
  { shape: [1, 2, 6, 5], k: 3, s: 2, p: 1, ceil: true }, // ceil with padding
];

for (const c of poolCases) {
  const geom = `[${c.shape}] k${c.k} s${c.s} p${c.p}${c.ceil ? " ceil_mode" : ""}`;
  gpuTest(`maxPool2d ${geom}`, () =>
    gradcheck(
      "maxPool2d",
      [c.shape],
      ([x]) => maxPool2d(x, { kernel: c.k, stride: c.s, padding: c.p, ceilMode: c.ceil }),
      ([x]) => poolRef(x, c, "max"),
    ));
  gpuTest(`avgPool2d ${geom}${c.includePad === false ? " count_include_pad=False" : ""}`, () =>
    gradcheck(
      "avgPool2d",
      [c.shape],
      ([x]) =>
        avgPool2d(x, {
          kernel: c.k,
          stride: c.s,
          padding: c.p,
          countIncludePad: c.includePad,
          ceilMode: c.ceil,
        }),
      ([x]) => poolRef(x, c, "avg"),
    ));
}

gpuTest("global average pooling: [N, C] and adaptive [N, C, 1, 1]", async () => {
  const plane = ([x]: Ref[]): Ref => {
    const [N, C, H, W] = x.shape, HW = H * W;
    const data = new Float64Array(N * C);
    for (let i = 0; i < N * C; i++) for (let k = 0; k < HW; k++) data[i] += x.data[i * HW + k] / HW;
    return { data, shape: [N, C] };
  };
  await gradcheck("globalAvgPool", [[2, 3, 5, 7]], ([x]) => globalAvgPool(x), plane);
  await gradcheck("adaptiveAvgPool2d", [[1, 5, 4, 4]], ([x]) => adaptiveAvgPool2d1(x), (xs) => {
    const r = plane(xs);
    return { data: r.data, shape: [...r.shape, 1, 1] };
  });
});

gpuTest("pooling rejects padding over half the kernel", () => {
  sw.tidy(() => {
    let msg = "";
    try {
      maxPool2d(sw.zeros([1, 1, 4, 4]), { kernel: 2, padding: 2 });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(/at most half the kernel/.test(msg), msg);
  });
});

// ---------------------------------------------------------------- dropout

gpuTest("dropout: mask statistics, scale 1/(1-p), reproducible per (seed, salt)", async () => {
  const n = 1 << 16, p = 0.3;
  const x = sw.ones([n]).keep();
  try {
    const [a, a2, b, c] = await Promise.all(
      sw.tidy(() => [
        dropout(x, p, { training: true, seed: 1, salt: 0 }),
        dropout(x, p, { training: true, seed: 1, salt: 0 }),
        dropout(x, p, { training: true, seed: 1, salt: 1 }),
        dropout(x, p, { training: true, seed: 2, salt: 0 }),
      ]).map(async (t) => {
        const d = await t.data();
        t.dispose();
        return d;
      }),
    );
    const zeros = a.filter((v) => v === 0).length;
    // Binomial(n, p): the standard deviation of the dropped fraction is ~0.0018.
    assertClose(zeros / n, p, 0.01, "dropped fraction");
    assert(a.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6), "kept elements scaled by 1/(1-p)");
    assertEquals([...a], [...a2], "same seed and salt, same mask");
    const agree = (u: Float32Array, v: Float32Array) =>
      u.filter((q, i) => (q === 0) === (v[i] === 0)).length / n;
    // Independent masks agree on a fraction p^2 + (1-p)^2 = 0.58 of the elements.
    assertClose(agree(a, b), 0.58, 0.02, "another salt gives an independent mask");
    assertClose(agree(a, c), 0.58, 0.02, "another seed gives an independent mask");
  } finally {
    x.dispose();
  }
});

gpuTest("dropout: the gradient uses the forward mask; eval and p = 0 are the identity", async () => {
  const n = 4096, p = 0.5, r = rng(3);
  const x = sw.tensor(Float32Array.from(randArray(n, r, 1, 2))).keep();
  const proj = Float32Array.from(randArray(n, r));
  x.requiresGrad = true;
  try {
    const y = sw.tidy(() => {
      const y = dropout(x, p, { training: true, seed: 99, salt: 5 });
      sw.backward(sw.sum(sw.mul(y, sw.tensor(proj))));
      return y;
    });
    const yv = await y.data(), xv = await x.data(), gv = await x.grad!.data();
    y.dispose();
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const keep = yv[i] !== 0;
      if (keep) {
        kept++;
        assertClose(yv[i], xv[i] * 2, 1e-5, `y[${i}]`);
      }
      assertClose(gv[i], keep ? proj[i] * 2 : 0, 1e-5, `dx[${i}]`);
    }
    assertClose(kept / n, 0.5, 0.04, "kept fraction");
    sw.tidy(() => {
      assert(dropout(x, p, { training: false, seed: 1 }) === x, "eval: identity");
      assert(dropout(x, 0, { training: true, seed: 1 }) === x, "p = 0: identity");
    });
    const z = sw.tidy(() => sw.keep(dropout(x, 1, { training: true, seed: 1 })));
    assert((await z.data()).every((v) => v === 0), "p = 1: all zero");
    z.dispose();
  } finally {
    x.dispose();
  }
});
