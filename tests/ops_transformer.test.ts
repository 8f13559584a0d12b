// Transformer and DenseNet ops against float64 references, forward and gradient, on odd shapes:
// softmax over the last axis (with a fused scale, and its stability on large logits), GELU (erf
// form), layer norm with affine weight and bias, concatenation and slicing along an axis, and
// scaled dot-product attention through the batched matmul.
import * as sw from "../mod.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest, gradcheck, type Ref, strides } from "./harness.ts";

// ---------------------------------------------------------------- references

/** erf in float64: its Maclaurin series (exact to ~1e-12 for |x| <= 5), 1 beyond. */
function erf(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x, s = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    const add = term / (2 * n + 1);
    s += add;
    if (Math.abs(add) < 1e-17 * Math.abs(s)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * s;
}

/** Applies `f` to each row of the last axis of x. */
function rows(x: Ref, f: (row: Float64Array) => Float64Array): Ref {
  const C = x.shape[x.shape.length - 1];
  const out = new Float64Array(x.data.length);
  for (let r = 0; r < x.data.length / C; r++) out.set(f(x.data.subarray(r * C, (r + 1) * C)), r * C);
  return { data: out, shape: x.shape };
}

function softmaxRow(row: Float64Array, scale: number): Float64Array {
  const m = Math.max(...row.map((v) => v * scale));
  const e = row.map((v) => Math.exp(v * scale - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const softmaxRef = (x: Ref, scale = 1) => rows(x, (r) => softmaxRow(r, scale));

function layerNormRef([x, w, b]: Ref[], eps = 1e-5): Ref {
  return rows(x, (row) => {
    const D = row.length;
    const mean = row.reduce((a, v) => a + v, 0) / D;
    const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / D;
    return row.map((v, j) => ((v - mean) / Math.sqrt(variance + eps)) * w.data[j] + b.data[j]);
  });
}

/** Batched [B, M, K] x [B, K, N] (transposing the second when asked). */
function bmm(a: Ref, b: Ref, transB = false): Ref {
  const [B, M, K] = a.shape;
  const N = transB ? b.shape[1] : b.shape[2];
  const out = new Float64Array(B * M * N);
  for (let z = 0; z < B; z++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          s += a.data[(z * M + i) * K + k] *
            (transB ? b.data[(z * N + j) * K + k] : b.data[(z * K + k) * N + j]);
        }
        out[(z * M + i) * N + j] = s;
      }
    }
  }
  return { data: out, shape: [B, M, N] };
}

function attentionRef([q, k, v]: Ref[], scale?: number): Ref {
  return bmm(softmaxRef(bmm(q, k, true), scale ?? 1 / Math.sqrt(q.shape[2])), v);
}

/** Slice [start, start + n) of axis `axis`. */
function narrowRef(x: Ref, axis: number, start: number, n: number): Ref {
  const shape = [...x.shape];
  shape[axis] = n;
  const so = strides(shape), sx = strides(x.shape);
  const size = shape.reduce((p, q) => p * q, 1);
  const data = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let ix = 0;
    for (let d = 0; d < shape.length; d++) {
      const c = Math.floor(i / so[d]) % shape[d];
      ix += (d === axis ? c + start : c) * sx[d];
    }
    data[i] = x.data[ix];
  }
  return { data, shape };
}

function concatRef(xs: Ref[], axis: number): Ref {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const outer = shape.slice(0, axis).reduce((p, q) => p * q, 1);
  const data: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (const x of xs) {
      const block = x.data.length / outer;
      data.push(...x.data.subarray(o * block, (o + 1) * block));
    }
  }
  return { data: Float64Array.from(data), shape };
}

// ---------------------------------------------------------------- softmax

gpuTest(
  "softmax over the last axis of a [3, 5, 7] tensor",
  () => gradcheck("softmax", [[3, 5, 7]], ([x]) => sw.softmax(x), ([x]) => softmaxRef(x), { range: [-3, 3] }),
);

gpuTest(
  "softmax with a fused scale, [4, 9]",
  () =>
    gradcheck("softmax scaled", [[4, 9]], ([x]) => sw.softmax(x, 0.37), ([x]) => softmaxRef(x, 0.37), {
      range: [-5, 5],
    }),
);

gpuTest(
  "softmax of a single column is 1 with zero gradient",
  () => gradcheck("softmax 1 col", [[5, 1]], ([x]) => sw.softmax(x), ([x]) => softmaxRef(x)),
);

gpuTest(
  "softmax over long rows (150 columns)",
  () =>
    gradcheck("softmax long rows", [[2, 3, 150]], ([x]) => sw.softmax(x, 0.8), ([x]) => softmaxRef(x, 0.8), {
      range: [-4, 4],
    }),
);

gpuTest("softmax is stable on logits near 1e4 (no overflow to NaN)", async () => {
  const y = sw.softmax(sw.tensor([10000, 10001, 10002, -10000, 0, 10000], [2, 3]));
  const got = await y.data();
  const want = [
    ...softmaxRow(Float64Array.from([0, 1, 2]), 1),
    ...softmaxRow(Float64Array.from([-10000, 0, 10000]), 1),
  ];
  got.forEach((v, i) => assert(Math.abs(v - want[i]) < 1e-6, `element ${i}: ${v} vs ${want[i]}`));
  y.dispose();
});

// ---------------------------------------------------------------- GELU

gpuTest("gelu (erf form) on [7, 13] over [-4, 4]", () =>
  gradcheck(
    "gelu",
    [[7, 13]],
    ([x]) => sw.gelu(x),
    ([x]) => ({ data: x.data.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), shape: x.shape }),
    { range: [-4, 4], fwdAtol: 2e-6, gradAtol: 2e-5 },
  ));

gpuTest("gelu is the erf form, not the tanh approximation", async () => {
  // Values of 0.5 x (1 + erf(x / sqrt 2)) from Python's math.erf; the tanh approximation is off
  // by 2e-4 to 4e-4 at these points (-0.1004284, 0.8411920, 2.9963626, -0.0036374).
  const y = await sw.gelu(sw.tensor([-1.5, 1, 3, -3])).data();
  const want = [-0.1002108019, 0.8413447461, 2.9959503059, -0.0040496941];
  y.forEach((v, i) => assert(Math.abs(v - want[i]) < 1e-6, `gelu element ${i}: ${v} vs ${want[i]}`));
});

// ---------------------------------------------------------------- layer norm

gpuTest(
  "layerNorm over the last axis of [5, 7] with weight and bias",
  () =>
    gradcheck("layerNorm", [[5, 7], [7], [7]], ([x, w, b]) => sw.layerNorm(x, w, b), layerNormRef, {
      range: [[-2, 2], [0.5, 1.5], [-1, 1]],
      gradAtol: 3e-4,
    }),
);

gpuTest("layerNorm on [2, 3, 9] with timm's eps 1e-6", () =>
  gradcheck(
    "layerNorm 3-D",
    [[2, 3, 9], [9], [9]],
    ([x, w, b]) => sw.layerNorm(x, w, b, 1e-6),
    (xs) => layerNormRef(xs, 1e-6),
    { range: [[-1, 3], [-1, 1], [-1, 1]], gradAtol: 3e-4 },
  ));

gpuTest(
  "layerNorm of rows with mean 50 >> std (two-pass variance)",
  () =>
    gradcheck(
      "layerNorm shifted",
      [[3, 11], [11], [11]],
      ([x, w, b]) => sw.layerNorm(x, w, b),
      layerNormRef,
      {
        range: [[50, 51], [0.5, 1.5], [-1, 1]],
        fwdAtol: 5e-4,
        gradAtol: 3e-3,
        gradRtol: 3e-3,
        eps: 1e-5,
      },
    ),
);

gpuTest(
  "layerNorm over long rows (D 130)",
  () =>
    gradcheck(
      "layerNorm long rows",
      [[3, 130], [130], [130]],
      ([x, w, b]) => sw.layerNorm(x, w, b),
      layerNormRef,
      {
        range: [[-2, 2], [0.5, 1.5], [-1, 1]],
        gradAtol: 3e-4,
      },
    ),
);

gpuTest("layerNorm rejects a weight of the wrong length", () => {
  let msg = "";
  try {
    sw.layerNorm(sw.zeros([2, 4]), sw.ones([3]), sw.zeros([4]));
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("weight must have shape [4]"), msg);
});

// ---------------------------------------------------------------- concat and narrow

gpuTest("concat along axis 1 of [2,3,5], [2,1,5], [2,4,5]", () =>
  gradcheck(
    "concat axis 1",
    [[2, 3, 5], [2, 1, 5], [2, 4, 5]],
    (xs) => sw.concat(xs, 1),
    (xs) => concatRef(xs, 1),
  ));

gpuTest("concat along axis 0 and the last axis (-1)", async () => {
  await gradcheck("concat axis 0", [[1, 3], [2, 3]], (xs) => sw.concat(xs, 0), (xs) => concatRef(xs, 0));
  await gradcheck(
    "concat axis -1",
    [[3, 2, 1], [3, 2, 3]],
    (xs) => sw.concat(xs, -1),
    (xs) => concatRef(xs, 2),
  );
});

gpuTest(
  "concat with a gradient for only some inputs",
  () =>
    gradcheck("concat wrt 1", [[3, 2, 2], [3, 5, 2]], (xs) => sw.concat(xs, 1), (xs) => concatRef(xs, 1), {
      wrt: [1],
    }),
);

gpuTest("concat rejects mismatched shapes off the axis", () => {
  let msg = "";
  try {
    sw.concat([sw.zeros([2, 3]), sw.zeros([3, 3])], 1);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.startsWith("concat: shapes [2,3], [3,3] differ off axis 1"), msg);
});

gpuTest("narrow: slices along axes 1, 0 and 2", async () => {
  await gradcheck(
    "narrow axis 1",
    [[3, 7, 2]],
    ([x]) => sw.narrow(x, 1, 2, 3),
    ([x]) => narrowRef(x, 1, 2, 3),
  );
  await gradcheck("narrow axis 0", [[5, 3]], ([x]) => sw.narrow(x, 0, 4, 1), ([x]) => narrowRef(x, 0, 4, 1));
  await gradcheck(
    "narrow axis 2",
    [[2, 3, 5]],
    ([x]) => sw.narrow(x, -1, 0, 1),
    ([x]) => narrowRef(x, 2, 0, 1),
  );
});

gpuTest("narrow rejects a slice past the end", () => {
  let msg = "";
  try {
    sw.narrow(sw.zeros([2, 3]), 1, 2, 2);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, "narrow: [2, 4) is outside axis 1 of [2,3]");
});

// ---------------------------------------------------------------- attention

gpuTest("scaledDotProductAttention: q [3,5,4], k [3,6,4], v [3,6,3] (naive GEMM shapes)", () =>
  gradcheck(
    "attention odd",
    [[3, 5, 4], [3, 6, 4], [3, 6, 3]],
    ([q, k, v]) => sw.scaledDotProductAttention(q, k, v),
    attentionRef,
    { range: [-1.5, 1.5], gradAtol: 2e-4 },
  ));

gpuTest("scaledDotProductAttention: [2,8,8] heads (vec4 GEMM shapes), explicit scale", () =>
  gradcheck(
    "attention aligned",
    [[2, 8, 8], [2, 8, 8], [2, 8, 4]],
    ([q, k, v]) => sw.scaledDotProductAttention(q, k, v, 0.6),
    (xs) => attentionRef(xs, 0.6),
    { range: [-1, 1], gradAtol: 2e-4 },
  ));

gpuTest(
  "scaledDotProductAttention with 5 queries and 7 keys padded to 8 for the vec4 GEMM (exact)",
  () =>
    gradcheck(
      "attention padded",
      [[2, 5, 4], [2, 7, 4], [2, 7, 8]],
      ([q, k, v]) => sw.scaledDotProductAttention(q, k, v),
      attentionRef,
      { range: [-1.5, 1.5], gradAtol: 2e-4 },
    ),
);

gpuTest(
  "softmax over the first `valid` columns: padding columns get 0 and no gradient",
  () =>
    gradcheck("softmax valid", [[3, 8]], ([x]) => sw.softmax(x, 0.5, 5), ([x]) => {
      const y = rows(x, (r) => {
        const out = new Float64Array(r.length);
        out.set(softmaxRow(r.subarray(0, 5), 0.5));
        return out;
      });
      return y;
    }, { range: [-3, 3] }),
);
