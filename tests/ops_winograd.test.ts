// Winograd F(2x2, 3x3) convolution (src/ops/winograd.ts) against a float64 direct convolution on
// odd shapes: odd H and W (tiles hang over the edge), odd channel counts (depth padding), batch 1
// and 3, chunks of the batch; and its forward error against the im2col path at ResNet-like sizes.
import * as sw from "../mod.ts";
import { convGeometry, convSettings } from "../src/ops/conv.ts";
import { gemmSettings } from "../src/ops/matmul.ts";
import { winogradSettings } from "../src/ops/winograd.ts";
import { gpuTest, gradcheck, randArray, type Ref, rng, withTunables } from "./harness.ts";
import { assert, assertEquals } from "./assert.ts";

/** Direct 3x3 stride-1 pad-1 convolution in float64. */
function conv3x3Ref(x: Ref, w: Ref): Ref {
  const [N, C, H, W] = x.shape, Co = w.shape[0];
  const out = new Float64Array(N * Co * H * W);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < Co; o++) {
      for (let h = 0; h < H; h++) {
        for (let q = 0; q < W; q++) {
          let s = 0;
          for (let c = 0; c < C; c++) {
            for (let kh = 0; kh < 3; kh++) {
              for (let kw = 0; kw < 3; kw++) {
                const ih = h - 1 + kh, iw = q - 1 + kw;
                if (ih < 0 || iw < 0 || ih >= H || iw >= W) continue;
                s += x.data[((n * C + c) * H + ih) * W + iw] * w.data[((o * C + c) * 3 + kh) * 3 + kw];
              }
            }
          }
          out[((n * Co + o) * H + h) * W + q] = s;
        }
      }
    }
  }
  return { data: out, shape: [N, Co, H, W] };
}

/** Runs `fn` with some Winograd tunables changed, restoring them afterwards. */
const withWinograd = (change: Partial<typeof winogradSettings>, fn: () => Promise<void>) =>
  withTunables(winogradSettings, change, fn);

/**
 * Runs `fn` with the given convolution tunables, restoring them afterwards. Layers of every
 * channel count take Winograd here (by default those with fewer than 4 input channels fold).
 */
const withSettings = (change: Partial<typeof convSettings>, fn: () => Promise<void>) =>
  withTunables(convSettings, { winogradMinChannels: 1, ...change }, fn);

// [N, C, H, W, Co]
const cases: number[][] = [
  [1, 3, 5, 7, 5], // batch 1, odd H and W: the last tile row and column hang over the edge
  [3, 5, 6, 5, 7], // batch 3, odd channels both ways, odd W only
  [2, 1, 1, 1, 2], // a 1x1 map: one tile, three of its four outputs dropped
  [3, 8, 4, 4, 12], // aligned channels, a 4x4 map: four tiles per image
  [2, 4, 9, 3, 3], // tall narrow map, Co not a multiple of 4
  [2, 5, 7, 5, 8], // Co a multiple of 4 (tiles-major weight gradient), 5 input channels padded to 8
  [2, 3, 5, 8, 4], // W a multiple of 4: F(4x4) loads patch rows as vec4s; a ragged last tile row
  [2, 3, 5, 6, 4], // W = 2 mod 4: F(4x4) moves rows as vec2s; the last tile's second pair is past the map
  [1, 5, 7, 10, 8], // the same with three tiles a row (two carried columns between each)
  [4, 8, 4, 4, 8], // F(2x2): 16 tiles, so its products are interleaved in groups (F(4x4): planar)
  [2, 16, 4, 4, 4], // 16 input channels: the weight gradient's products interleaved, both tiles
];

const tiles = [2, 4] as const;

for (const m of tiles) {
  for (const [N, C, H, W, Co] of cases) {
    gpuTest(
      `winograd F(${m}x${m}, 3x3) conv2d N${N} C${C} ${H}x${W} -> ${Co}`,
      () =>
        withSettings({ winograd: true, winogradTile: m }, () =>
          gradcheck(
            "winograd conv2d",
            [[N, C, H, W], [Co, C, 3, 3]],
            ([x, w]) => {
              assert(
                convGeometry(x, w, { padding: 1 }).winograd?.m === m,
                "the case must take the Winograd path",
              );
              return sw.conv2d(x, w, null, { padding: 1 });
            },
            ([x, w]) => conv3x3Ref(x, w),
            { fwdAtol: 1e-4, gradAtol: 5e-4 },
          )),
    );
  }
  // One image per chunk, then 2 + 1. Winograd gets the room im2col's chunks would hold: for
  // 4 -> 4 channels on 6x6 maps im2col folds 2 images into 2 * (36 + 4) * 36 floats, where 2
  // images of Winograd tiles (9 of 2x2 or 4 of 4x4, E = 16 or 36 elements, 4 + 4 channels) and
  // the transformed filter (E x 4 x 4) fit for both tile sizes.
  for (const maxColFloats of [1, 2 * (36 + 4) * 36]) {
    gpuTest(
      `winograd F(${m}x${m}, 3x3) conv2d in chunks (maxColFloats ${maxColFloats})`,
      () =>
        withSettings({ winograd: true, winogradTile: m, maxColFloats }, () =>
          gradcheck(
            "winograd conv2d chunked",
            [[3, 4, 6, 6], [4, 4, 3, 3]],
            ([x, w]) => {
              assertEquals(convGeometry(x, w, { padding: 1 }).chunk, maxColFloats === 1 ? 1 : 2);
              return sw.conv2d(x, w, null, { padding: 1 });
            },
            ([x, w]) => conv3x3Ref(x, w),
            { fwdAtol: 1e-4, gradAtol: 5e-4 },
          )),
    );
  }
}

gpuTest("winograd forward and gradients stay close to im2col at ResNet-like sizes", async () => {
  // Winograd rounds differently from im2col (transforms with fractional factors, fewer products
  // per output). Measured max |difference| / max |im2col value| on 64 channels of 8x8 maps with
  // unit-range inputs: F(2x2) 1.0e-6 forward, 4.2e-7 input gradient, 6.0e-7 weight gradient;
  // F(4x4) 3.4e-6, 4.9e-6, 2.3e-6.
  const r = rng(11);
  const [N, C, H, Co] = [2, 64, 8, 64];
  const xs = Float32Array.from(randArray(N * C * H * H, r)), ws = Float32Array.from(randArray(Co * C * 9, r));
  const dys = Float32Array.from(randArray(N * Co * H * H, r));
  const run = async (winograd: boolean, winogradTile: 2 | 4 = 2) => {
    let result: Float32Array[] = [];
    await withSettings({ winograd, winogradTile }, async () => {
      const x = sw.tensor(xs, [N, C, H, H]), w = sw.tensor(ws, [Co, C, 3, 3]);
      x.requiresGrad = w.requiresGrad = true;
      const y = sw.conv2d(x, w, null, { padding: 1 });
      sw.backward(y, sw.tensor(dys, [N, Co, H, H]));
      result = [await y.data(), await x.grad!.data(), await w.grad!.data()];
      [x, w, y, x.grad!, w.grad!].forEach((t) => t.dispose());
    });
    return result;
  };
  const im2col = await run(false);
  for (const m of tiles) {
    const wino = await run(true, m);
    ["forward", "input gradient", "weight gradient"].forEach((what, i) => {
      let maxDiff = 0, maxRef = 0;
      for (let j = 0; j < wino[i].length; j++) {
        maxDiff = Math.max(maxDiff, Math.abs(wino[i][j] - im2col[i][j]));
        maxRef = Math.max(maxRef, Math.abs(im2col[i][j]));
      }
      const rel = maxDiff / maxRef;
      console.log(
        `winograd F(${m}x${m}) vs im2col ${what}: max |diff| ${maxDiff.toExponential(2)}, rel ${
          rel.toExponential(2)
        }`,
      );
      assert(maxRef > 1, `${what}: reference too small to compare`);
      assert(rel < (m === 2 ? 1e-5 : 1e-4), `F(${m}) ${what}: max |diff| ${maxDiff} vs max ${maxRef}`);
    });
  }
});

// The transformed filter is charged to the chunk budget, but never cuts a chunk below 32 GEMM
// columns: ResNet-18's 512@4x4 layer (a 36 MiB filter against ~10 MiB of room) once ran one image
// per chunk, each image's single tile padded to 4 GEMM columns. At batch 32 it keeps the whole
// batch; at batch 128 it is cut to chunks of 32..127 images, which keeps the batch-128 peak where
// it was before the filter was first left out of the budget (bench/conv_ab.ts 0 128 resnet18).
gpuTest("winograd keeps 32 GEMM columns per chunk on a deep layer; the filter is charged above that", () => {
  const chunkAt = (batch: number) => {
    const x = sw.Tensor.empty([batch, 512, 4, 4]), w = sw.Tensor.empty([512, 512, 3, 3]);
    const g = convGeometry(x, w, { padding: 1 });
    x.dispose();
    w.dispose();
    assert(g.winograd !== null, "a 3x3 stride-1 pad-1 convolution runs through Winograd by default");
    return g.chunk;
  };
  assertEquals(chunkAt(32), 32);
  const charged = chunkAt(128);
  assert(charged >= 32 && charged < 128, `batch 128: chunk ${charged}, want 32..127`);
  winogradSettings.chargeFilter = false;
  try {
    assertEquals(chunkAt(128), 128);
  } finally {
    winogradSettings.chargeFilter = true;
  }
  return Promise.resolve();
});

/**
 * Names of the F(4x4) kernels containing `part` that one convolution of an [N, C, 8, 8] input into 4
 * channels runs, forward + both gradients, sorted. "" for `il` on the gpu family, whose GEMM keeps
 * planar layouts.
 */
async function kernelsOf(part: string, C: number, seed: number, N = 2): Promise<string[]> {
  const r = rng(seed), rt = sw.runtime();
  const x = sw.tensor(Float32Array.from(randArray(N * C * 8 * 8, r)), [N, C, 8, 8]);
  const w = sw.tensor(Float32Array.from(randArray(4 * C * 9, r)), [4, C, 3, 3]);
  w.requiresGrad = x.requiresGrad = true;
  rt.startCapture();
  sw.tidy(() => sw.backward(sw.sum(sw.conv2d(x, w, null, { padding: 1 }))));
  const kernels = (await rt.replayTimes(1)).map((t) => t.name).filter((n) => n.includes(part)).sort();
  [x, w, x.grad, w.grad].forEach((t) => t?.dispose());
  return kernels;
}
/**
 * The name suffix of an interleaved layout (of a filter transform in blocks of `block` elements:
 * ".interleaved4"): only the cpu family's GEMM takes them.
 */
const interleavedSuffix = (block = "") => sw.runtime().kernelFamily === "cpu" ? `.interleaved${block}` : "";

// The filter transforms move an invocation's four filters' 36 taps as 9 vec4s where the input
// channels are a multiple of 4 (the forward's loads, the weight gradient's stores), floats
// otherwise; the cases above check the values of both (C = 4 and 8 against C = 1, 3 and 5). The
// forward's and input gradient's write their 36 elements interleaved for the cpu family's GEMM
// where the transformed filter is large ("auto"; the small cases above are planar), or wherever
// the GEMM can read them ("on", the values below): all 36 side by side where the GEMM reads
// them through a texture, in blocks of 4 where from storage (as these small products are, unless
// textures are forced). The weight gradient's (mode 2) reads its products interleaved as the
// output transform does (interleavedProducts; planar when "off").
gpuTest("winograd filter transforms: vec4 taps where C % 4 == 0, interleaved elements", async () => {
  const names = (C: number) => kernelsOf(".filter", C, 7);
  await withSettings({ winograd: true, winogradTile: 4 }, async () => {
    // The weight gradient's products are interleaved where a row of them (KP / 4 vec4s) is whole
    // groups of 4: 16 channels, not 8 or 5.
    const products = interleavedSuffix();
    assertEquals(await names(16), [
      "winograd4.filter0.v4",
      "winograd4.filter1",
      `winograd4.filter2.v4${products}`,
    ]);
    assertEquals(await names(8), ["winograd4.filter0.v4", "winograd4.filter1", "winograd4.filter2.v4"]);
    assertEquals(await names(5), ["winograd4.filter0", "winograd4.filter1", "winograd4.filter2"]);
    await withWinograd({ interleavedProducts: "off" }, async () => {
      assertEquals(await names(16), ["winograd4.filter0.v4", "winograd4.filter1", "winograd4.filter2.v4"]);
    });
    await withWinograd({ interleavedFilter: "on" }, async () => {
      const il = interleavedSuffix("4");
      assertEquals(await names(8), [
        `winograd4.filter0.v4${il}`,
        `winograd4.filter1${il}`,
        "winograd4.filter2.v4",
      ]);
      assertEquals(await names(5), [`winograd4.filter0${il}`, `winograd4.filter1${il}`, "winograd4.filter2"]);
      await withTunables(gemmSettings, { textures: "on" }, async () => {
        const all = interleavedSuffix();
        assertEquals(await names(8), [
          `winograd4.filter0.v4${all}`,
          `winograd4.filter1${all}`,
          "winograd4.filter2.v4",
        ]);
      });
    });
  });
});

/**
 * Registers a float64 check of F(4x4) convolutions [N, C, H, W] -> Co with some layout tunables
 * changed (`label` names them).
 */
function layoutCases(label: string, change: Partial<typeof winogradSettings>, cases: number[][]): void {
  for (const [N, C, H, W, Co] of cases) {
    gpuTest(
      `winograd F(4x4, 3x3) conv2d N${N} C${C} ${H}x${W} -> ${Co}, ${label}`,
      () =>
        withWinograd(change, () =>
          withSettings({ winograd: true, winogradTile: 4 }, () =>
            gradcheck(
              `winograd conv2d, ${label}`,
              [[N, C, H, W], [Co, C, 3, 3]],
              ([x, w]) => sw.conv2d(x, w, null, { padding: 1 }),
              ([x, w]) => conv3x3Ref(x, w),
              { fwdAtol: 1e-4, gradAtol: 5e-4 },
            ))),
    );
  }
}
// Convolutions with interleaved filter transforms ([R, KP / 4, E] vec4s, GemmArgs.interleaveA) and
// input tiles (GemmArgs.interleaveB), against the float64 reference: C a multiple of 4 or not,
// the runs of tiles moving rows as vec4s (W % 4 == 0), vec2s (W % 4 == 2) and floats (odd W).
layoutCases("interleaved filter transforms and tiles", { interleavedFilter: "on", interleavedTiles: "on" }, [
  [2, 8, 6, 7, 4],
  [1, 5, 5, 4, 3],
  [3, 4, 8, 8, 8],
  [2, 3, 5, 6, 4],
  [1, 5, 7, 10, 8],
  // 16 tiles (TP / 4 = 4): the products interleaved in groups, the forward's and input gradient's;
  // with 16 input channels the weight gradient's too.
  [4, 8, 8, 8, 8],
  [4, 5, 8, 7, 4],
  [4, 16, 8, 8, 4],
]);
// The weight gradient's interleaved products summed over chunks (16 input channels: rows of 4
// vec4s; one image of 36 tiles per chunk, so the GEMM adds to interleaved C): the same bits as
// planar products, whose sums are the same in the same order (the layouts move values, not sums).
gpuTest(
  "winograd F(4x4, 3x3) in chunks: interleaved weight-gradient products, the bits of planar",
  async () => {
    const r = rng(11);
    const x = sw.tensor(Float32Array.from(randArray(2 * 16 * 24 * 24, r)), [2, 16, 24, 24]).keep();
    const w = sw.tensor(Float32Array.from(randArray(16 * 16 * 9, r)), [16, 16, 3, 3]).keep();
    const run = async () => {
      x.requiresGrad = w.requiresGrad = true;
      assertEquals(convGeometry(x, w, { padding: 1 }).chunk, 1);
      const y = sw.conv2d(x, w, null, { padding: 1 });
      sw.backward(sw.sum(sw.mul(y, y)));
      const out = [await y.data(), await x.grad!.data(), await w.grad!.data()];
      [y, x.grad, w.grad].forEach((t) => t?.dispose());
      x.grad = w.grad = null;
      return out;
    };
    await withSettings({ winograd: true, winogradTile: 4, maxColFloats: 1 }, async () => {
      const rt = sw.runtime();
      rt.startCapture();
      const grouped = await run();
      const names = (await rt.replayTimes(1)).map((t) => t.name);
      assertEquals(names.includes(`winograd4.filter2.v4${interleavedSuffix()}`), true);
      const planar = await new Promise<Float32Array[]>((resolve, reject) =>
        withWinograd({ interleavedProducts: "off" }, async () => resolve(await run())).catch(reject)
      );
      grouped.forEach((g, i) => assert(g.every((v, j) => v === planar[i][j]), `output ${i}: bits differ`));
    });
    x.dispose();
    w.dispose();
  },
);

// The filter transforms' elements in other blocks (the cases above take blocks of 4): all 36
// in one, and blocks of 5, the last of one element.
for (const block of [36, 5]) {
  layoutCases(`filter elements in blocks of ${block}`, {
    interleavedFilter: "on",
    interleavedFilterBlock: block,
  }, [
    [2, 8, 6, 7, 4],
    [1, 5, 5, 4, 3],
  ]);
}

// The output transform reads the products with their 36 elements interleaved (in groups of 4
// vec4s) where the GEMM writes them so (the cpu family, rows of products of whole groups: TP / 4
// a multiple of 4, as in the cases of 16 tiles above), planar otherwise, with interleavedProducts
// "off" (the values below) and under the gpu family.
gpuTest("winograd output transform: interleaved products on the cpu family, planar when off", async () => {
  await withSettings({ winograd: true, winogradTile: 4 }, async () => {
    // The forward's and the input gradient's, one name.
    // 4 images of 4 tiles: a row of products is 16 / 4 vec4s, one group; 2 images' are planar.
    const il = interleavedSuffix();
    assertEquals(await kernelsOf(".output", 4, 9, 4), [`winograd4.output.v4${il}`]);
    assertEquals(await kernelsOf(".output", 4, 9), ["winograd4.output.v4"]);
    await withWinograd({ interleavedProducts: "off" }, async () => {
      assertEquals(await kernelsOf(".output", 4, 9, 4), ["winograd4.output.v4"]);
    });
  });
});
// The runs of input tiles likewise write interleaved tiles on the cpu family from 64 channels, or
// whatever the channels with "on" (the "interleaved" cases below: the weight gradient reads the
// forward's kept tiles or rebuilds them); planar below 64 channels or when off.
gpuTest("winograd input tiles: interleaved on the cpu family, planar when off", async () => {
  await withSettings({ winograd: true, winogradTile: 4 }, async () => {
    const tiles = ["winograd4.input.tiles.runs.v4"];
    assertEquals(await kernelsOf(".input", 4, 11), tiles);
    await withWinograd({ interleavedTiles: "on" }, async () => {
      assertEquals(await kernelsOf(".input", 4, 11), tiles.map((n) => n + interleavedSuffix()));
    });
  });
});
layoutCases("planar products and tiles", { interleavedProducts: "off", interleavedTiles: "off" }, [
  [2, 8, 6, 7, 4],
  [3, 4, 8, 8, 8],
]);

// The forward keeps its transformed input for the weight gradient only when the batch is one
// chunk and the weight's gradient will be taken; the gradient frees it. The cases above check the
// values on that path (one chunk) and on the rebuilding one (chunks); these check the choice and
// the lifetime, and the rebuilding path on one chunk.
gpuTest(
  "winograd keeps the transformed input for the weight gradient: one chunk only, freed by it",
  async () => {
    const r = rng(5);
    const x = sw.tensor(Float32Array.from(randArray(2 * 4 * 36, r)), [2, 4, 6, 6]);
    const w = sw.tensor(Float32Array.from(randArray(4 * 4 * 9, r)), [4, 4, 3, 3]);
    w.requiresGrad = true;
    const kept = (y: sw.Tensor) => (y.node?.attrs as { saved?: sw.Tensor | null } | undefined)?.saved ?? null;
    await withSettings({ winograd: true, winogradTile: 4 }, async () => {
      const y = sw.conv2d(x, w, null, { padding: 1 });
      const tiles = kept(y);
      assert(tiles !== null && !tiles.isDisposed, "one chunk: the forward keeps its tiles");
      sw.backward(sw.sum(y));
      assert(tiles.isDisposed, "the weight gradient frees the kept tiles");
      assert(w.grad !== null, "the weight gradient was taken");
      assert((await w.grad.data()).some((v) => v !== 0), "the weight gradient has values");
      y.dispose();
      w.grad?.dispose();
      w.grad = null;
      const e = sw.noGrad(() => sw.conv2d(x, w, null, { padding: 1 }));
      assert(e.node === null, "no tape under noGrad");
      e.dispose();
    });
    await withSettings({ winograd: true, winogradTile: 4, maxColFloats: 1 }, () => {
      const y = sw.conv2d(x, w, null, { padding: 1 });
      assert(kept(y) === null, "chunks: nothing kept");
      y.dispose();
      return Promise.resolve();
    });
    await withWinograd(
      { keepInputTiles: false },
      () =>
        withSettings({ winograd: true, winogradTile: 4 }, () => {
          const y = sw.conv2d(x, w, null, { padding: 1 });
          assert(kept(y) === null, "keepInputTiles false: nothing kept");
          y.dispose();
          return Promise.resolve();
        }),
    );
    x.dispose();
    w.dispose();
  },
);

// The other paths on shapes where the cases above take the defaults: the input tiles rebuilt by
// the weight gradient on one chunk, channels-major tiles with a B-transposed weight-gradient
// GEMM and scalar patch loads (the cases above take those only where Co or W is not a multiple
// of 4), the per-tile input transform the runs of tiles replaced, and floats where W = 2 mod 4.
const otherPaths: [string, Partial<typeof winogradSettings>][] = [
  ["one chunk, input tiles rebuilt", { keepInputTiles: false }],
  ["channels-major, scalar loads", { tilesMajorWeightGrad: false, rowLoads: false }],
  ["input transform per tile (no runs)", { runsOfTiles: false }],
  ["no vec2 pairs", { pairs: false }],
];
for (const [label, change] of otherPaths) {
  layoutCases(label, change, [[3, 8, 4, 4, 12], [2, 5, 7, 5, 8], [2, 3, 5, 8, 4], [2, 3, 5, 6, 4]]);
}
