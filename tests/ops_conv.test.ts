// conv2d forward and both gradients against a float64 direct convolution, over the
// geometries the models use and odd ones: odd channels, batch 1, stride 2, padding 0 and 1,
// 1x1 (direct path), non-multiple-of-4 K and P (padded paths), and chunked im2col.
import * as sw from "../mod.ts";
import { convGeometry, convSettings } from "../src/ops/conv.ts";
import { gpuTest, gradcheck, randArray, type Ref, rng, withTunables } from "./harness.ts";
import { assert, assertEquals } from "./assert.ts";

function convRef(x: Ref, w: Ref, stride: number, pad: number, bias?: Ref): Ref {
  const [N, C, H, W] = x.shape, [Co, , KH, KW] = w.shape;
  const OH = Math.floor((H + 2 * pad - KH) / stride) + 1, OW = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const out = new Float64Array(N * Co * OH * OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < Co; o++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let s = bias ? bias.data[o] : 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < KH; kh++) {
              for (let kw = 0; kw < KW; kw++) {
                const ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
                s += x.data[((n * C + c) * H + ih) * W + iw] * w.data[((o * C + c) * KH + kh) * KW + kw];
              }
            }
          }
          out[((n * Co + o) * OH + oh) * OW + ow] = s;
        }
      }
    }
  }
  return { data: out, shape: [N, Co, OH, OW] };
}

// [N, C, H, W, Co, K, stride, pad]
const cases: number[][] = [
  [2, 3, 5, 7, 5, 3, 1, 1], // odd everything, padded K (27) and P (35)
  [1, 3, 7, 6, 4, 3, 2, 0], // batch 1, stride 2, no padding
  [2, 5, 6, 6, 3, 3, 2, 1], // stride 2 with padding, odd channels
  [3, 4, 4, 4, 8, 1, 1, 0], // 1x1 stride 1: direct path (image = column matrix)
  [2, 4, 6, 6, 8, 1, 2, 0], // 1x1 stride 2 (ResNet shortcut)
  [2, 8, 6, 6, 8, 3, 1, 1], // aligned: vec4 GEMM in all three products
  [2, 8, 4, 4, 12, 3, 1, 1], // a 4x4 map: 16 pixels, the 16-column GEMM tile
  [1, 1, 9, 9, 2, 5, 1, 2], // 5x5 kernel
  [2, 3, 11, 10, 4, 5, 3, 2], // stride 3 under a 5x5 kernel: 1 or 2 taps per axis land on the grid
  [3, 5, 5, 5, 7, 3, 1, 1], // batch 3, odd channels, P = 25 padded to 28 per image
];

/** Runs `fn` with the given convolution tunables, restoring them afterwards. */
const withSettings = (change: Partial<typeof convSettings>, fn: () => Promise<void>) =>
  withTunables(convSettings, change, fn);

// Every case through every layout: images folded into the GEMM columns (small maps, the
// default below foldMaxP), one GEMM slice per image (foldMaxP = 0), and Winograd F(2x2, 3x3) and
// F(4x4, 3x3), which take the 3x3 stride-1 pad-1 cases (the im2col layouts run with it off).
// The im2col weight gradient runs on transposed columns by default; "col^T" is the other form.
// A folded forward keeps its (transposed) columns for the weight gradient when the batch is one
// chunk (convSettings.keepColumns); "folded, columns rebuilt" is the weight gradient building them.
const layouts = {
  folded: { foldMaxP: 1 << 30, winograd: false },
  "folded, columns rebuilt": { foldMaxP: 1 << 30, winograd: false, keepColumns: false },
  "per-image": { foldMaxP: 0, winograd: false },
  "folded col^T": { foldMaxP: 1 << 30, winograd: false, im2colRows: false },
  "per-image col^T": { foldMaxP: 0, winograd: false, im2colRows: false },
  "winograd F2": { winograd: true, winogradTile: 2 as const, winogradMinChannels: 1 },
  "winograd F4": { winograd: true, winogradTile: 4 as const, winogradMinChannels: 1 },
};

for (const [N, C, H, W, Co, K, s, p] of cases) {
  for (const [layout, settings] of Object.entries(layouts)) {
    if (layout.startsWith("winograd") && !(K === 3 && s === 1 && p === 1)) continue; // im2col again
    gpuTest(
      `conv2d N${N} C${C} ${H}x${W} -> ${Co}, ${K}x${K} stride ${s} pad ${p}, ${layout}`,
      () =>
        withSettings(settings, () =>
          gradcheck(
            "conv2d",
            [[N, C, H, W], [Co, C, K, K]],
            ([x, w]) => sw.conv2d(x, w, null, { stride: s, padding: p }),
            ([x, w]) => convRef(x, w, s, p),
            { fwdAtol: 1e-4, gradAtol: 5e-4 },
          )),
    );
  }
}

// x feeding two convolutions: its gradient arrives twice, and the second input gradient adds the
// first in its own last pass (GradThunk.withAddend: the Winograd output transform, col2im), or
// (fuseAddend off) the autograd adds it. The direct 1x1 path always leaves the add to the
// autograd; chunks add chunk by chunk.
const twoConvs = [
  [2, 3, 5, 7, 5, 3, 1, 1], // F(4x4) rows as floats
  [2, 3, 5, 6, 4, 3, 1, 1], // rows as vec2s (W = 2 mod 4)
  [2, 4, 4, 8, 4, 3, 1, 1], // rows as vec4s
  [2, 5, 6, 6, 3, 3, 2, 1], // stride 2: col2im
  [3, 4, 4, 4, 8, 1, 1, 0], // direct 1x1
];
for (const fuseAddend of [true, false]) {
  for (const [N, C, H, W, Co, K, s, p] of twoConvs) {
    for (const layout of ["folded", "per-image", "winograd F2", "winograd F4"] as const) {
      if (layout.startsWith("winograd") && !(K === 3 && s === 1 && p === 1)) continue;
      for (const maxColFloats of [1 << 24, 1]) {
        const label = `${layout}${maxColFloats === 1 ? ", in chunks" : ""}${
          fuseAddend ? "" : ", no fused addend"
        }`;
        gpuTest(
          `conv2d(x, w1) + conv2d(x, w2) N${N} C${C} ${H}x${W} ${K}x${K} stride ${s}: ${label}`,
          () =>
            withSettings({ ...layouts[layout], fuseAddend, maxColFloats }, () =>
              gradcheck(
                "two convolutions of x",
                [[N, C, H, W], [Co, C, K, K], [Co, C, K, K]],
                ([x, w1, w2]) =>
                  sw.add(
                    sw.conv2d(x, w1, null, { stride: s, padding: p }),
                    sw.conv2d(x, w2, null, { stride: s, padding: p }),
                  ),
                ([x, w1, w2]) => {
                  const a = convRef(x, w1, s, p), b = convRef(x, w2, s, p);
                  return { data: a.data.map((v, i) => v + b.data[i]), shape: a.shape };
                },
                { fwdAtol: 2e-4, gradAtol: 1e-3 },
              )),
        );
      }
    }
  }
}

gpuTest("conv2d folds small maps by default and keeps large ones per image", async () => {
  const big = sw.zeros([2, 4, 32, 32]), small = sw.zeros([2, 4, 8, 8]);
  const w3 = sw.zeros([4, 4, 3, 3]), w1 = sw.zeros([4, 4, 1, 1]);
  // By default 3x3 stride-1 pad-1 convolutions take Winograd, every other one im2col.
  assertEquals(convGeometry(small, w3, { padding: 1 }).winograd !== null, true);
  assertEquals(convGeometry(small, w3, { padding: 1, stride: 2 }).winograd !== null, false);
  assertEquals(convGeometry(small, w3, { padding: 0 }).winograd !== null, false);
  assertEquals(convGeometry(small, w3, { stride: 2, padding: 1 }).fold, true); // 16 pixels
  await withSettings({ winograd: false }, () => {
    assertEquals(convGeometry(big, w3, { padding: 1 }).fold, false); // 1024 pixels
    assertEquals(convGeometry(small, w3, { padding: 1 }).fold, true); // 64 pixels
    return Promise.resolve();
  });
  assertEquals(convGeometry(small, w1, { stride: 2 }).fold, true); // strided 1x1 shortcut
  // A stem (fewer than 4 input channels) folds into im2col whatever its map size, not Winograd.
  for (const C of [1, 3]) {
    const stemX = sw.zeros([2, C, 32, 32]), stemW = sw.zeros([4, C, 3, 3]);
    const stem = convGeometry(stemX, stemW, { padding: 1 });
    assertEquals([stem.winograd, stem.fold], [null, true]);
    await withSettings({ winogradMinChannels: 1 }, () => {
      assertEquals(convGeometry(stemX, stemW, { padding: 1 }).winograd !== null, true);
      return Promise.resolve();
    });
    [stemX, stemW].forEach((t) => t.dispose());
  }
  assertEquals(convGeometry(small, w1).fold, false); // direct 1x1: the image is the column matrix
  [big, small, w3, w1].forEach((t) => t.dispose());
});

gpuTest("conv2d with bias", () =>
  gradcheck(
    "conv2d+bias",
    [[2, 3, 5, 5], [4, 3, 3, 3], [4]],
    ([x, w, b]) => sw.conv2d(x, w, b, { padding: 1 }),
    ([x, w, b]) => convRef(x, w, 1, 1, b),
    { fwdAtol: 1e-4, gradAtol: 5e-4 },
  ));

for (const [layout, settings] of Object.entries(layouts)) {
  gpuTest(`conv2d im2col in chunks of one image gives the same result, ${layout}`, () =>
    // maxColFloats smaller than one image's columns: chunk = 1
    withSettings({ ...settings, maxColFloats: 64 }, () =>
      gradcheck(
        "conv2d chunked",
        [[3, 2, 5, 5], [3, 2, 3, 3]],
        ([x, w]) => sw.conv2d(x, w, null, { padding: 1 }),
        ([x, w]) => convRef(x, w, 1, 1),
        { fwdAtol: 1e-4, gradAtol: 5e-4 },
      )));
  gpuTest(`conv2d in chunks of two images with a remainder chunk of one, ${layout}`, () =>
    // Kp * Pp = 20 * 28 floats per image's columns: room for two, so chunks of 2 + 1
    withSettings({ ...settings, maxColFloats: 2 * 20 * 28 }, () =>
      gradcheck(
        "conv2d chunked 2+1",
        [[3, 2, 5, 5], [3, 2, 3, 3]],
        ([x, w]) => sw.conv2d(x, w, null, { padding: 1 }),
        ([x, w]) => convRef(x, w, 1, 1),
        { fwdAtol: 1e-4, gradAtol: 5e-4 },
      )));
}

gpuTest("conv2d folded and per-image layouts sum in the same order: bit-identical results", async () => {
  // The folded GEMMs walk the same products in the same order as the per-image ones (the
  // weight gradient over images, then pixels), so switching layouts changes no training run.
  const r = rng(7);
  const [N, C, H, Co] = [3, 5, 5, 7]; // P = 25, padded to 28 per image
  const xs = Float32Array.from(randArray(N * C * H * H, r)), ws = Float32Array.from(randArray(Co * C * 9, r));
  const run = async (settings: Partial<typeof convSettings>) => {
    let result: Float32Array[] = [];
    await withSettings(settings, async () => {
      const x = sw.tensor(xs, [N, C, H, H]), w = sw.tensor(ws, [Co, C, 3, 3]);
      x.requiresGrad = w.requiresGrad = true;
      const y = sw.conv2d(x, w, null, { stride: 1, padding: 1 });
      sw.backward(sw.sum(sw.mul(y, y)));
      result = [await y.data(), await x.grad!.data(), await w.grad!.data()];
      [x, w, y, x.grad!, w.grad!].forEach((t) => t.dispose());
    });
    return result;
  };
  const folded = await run(layouts.folded), perImage = await run(layouts["per-image"]);
  for (let i = 0; i < 3; i++) assertEquals(Array.from(folded[i]), Array.from(perImage[i]));
});

gpuTest("a folded conv keeps its transposed columns for the weight gradient, which frees them", async () => {
  const r = rng(21);
  const x = sw.tensor(Float32Array.from(randArray(2 * 3 * 36, r)), [2, 3, 6, 6]);
  const w = sw.tensor(Float32Array.from(randArray(4 * 3 * 9, r)), [4, 3, 3, 3]);
  w.requiresGrad = true;
  const saved = (y: sw.Tensor) => (y.node?.attrs as { saved?: sw.Tensor | null } | undefined)?.saved ?? null;
  await withSettings({ winograd: false, foldMaxP: 1 << 30 }, async () => {
    const y = sw.conv2d(x, w, null, { stride: 2, padding: 1 });
    const cols = saved(y);
    assert(cols !== null && !cols.isDisposed, "one chunk: the forward keeps its columns");
    sw.backward(sw.sum(y));
    assert(cols.isDisposed, "the weight gradient frees them");
    assert((await w.grad!.data()).some((v) => v !== 0), "the weight gradient has values");
    y.dispose();
    w.grad!.dispose();
    w.grad = null;
  });
  for (const change of [{ keepColumns: false }, { im2colRows: false }, { maxColFloats: 64 }]) {
    await withSettings({ winograd: false, foldMaxP: 1 << 30, ...change }, () => {
      const y = sw.conv2d(x, w, null, { stride: 2, padding: 1 });
      assert(saved(y) === null, `${JSON.stringify(change)}: nothing kept`);
      y.dispose();
      return Promise.resolve();
    });
  }
  x.dispose();
  w.dispose();
});
