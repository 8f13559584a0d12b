// gemm() on raw buffer ranges, every kernel path (cpu family: vec4 register-blocked with storage or
// texture operands, and naive; gpu family: shared-memory tiled) on odd and edge shapes: M, N, K not multiples of any tile, 1,
// batch broadcast, zsum, accumulate, bases, both transposes, split K; against a float64 reference.
import * as sw from "../mod.ts";
import {
  BIG_TILE,
  cpuTile,
  gemm,
  type GemmArgs,
  gemmSettings,
  HUGE_TILE,
  matmulSource,
  resetGemmSettings,
  SPLIT_K,
  TILE,
  type TileQuery,
  WIDE_TILE,
} from "../src/ops/matmul.ts";
import { chooseKernelFamily, KernelFamilyError } from "../src/gpu/kernel_family.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest, randArray, rng } from "./harness.ts";

interface Case {
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  batch?: number;
  zsum?: number;
  /** Slices of A / B in their buffers (1 broadcasts: stride 0). */
  slicesA?: number;
  slicesB?: number;
  baseA?: number;
  baseB?: number;
  baseC?: number;
  accumulate?: boolean;
  /** Extra floats between consecutive B slices (a stride past the slice: textures copied per layer). */
  gapB?: number;
  /** A's `batch` slices interleaved by vec4 (GemmArgs.interleaveA); the reference reads them planar. */
  interleaveA?: boolean;
  /** With interleaveA, slices per block (GemmArgs.interleaveBlockA). */
  interleaveBlockA?: number;
  /** C's `batch` slices interleaved in groups of 4 vec4s (GemmArgs.interleaveC). */
  interleaveC?: boolean;
  /**
   * B's `batch` slices interleaved in groups of 4 vec4s along each row (GemmArgs.interleaveB); the
   * reference reads them planar.
   */
  interleaveB?: boolean;
}

/**
 * Planar slices ([batch, rows, width] floats) interleaved by vec4 in blocks of `block` slices
 * (GemmArgs.interleaveBlockA), written out from its definition: row r is width / 4 * batch vec4s,
 * block b of it the width / 4 vec4s of each of its w slices side by side. With one block (the
 * default), vec4 x of row r of slice s is at (r * width / 4 + x) * batch + s.
 */
function interleave(
  a: Float64Array,
  batch: number,
  rows: number,
  width: number,
  block = batch,
): Float64Array {
  const W4 = width / 4;
  const out = new Float64Array(a.length);
  for (let s = 0; s < batch; s++) {
    const b = Math.floor(s / block), w = Math.min(block, batch - b * block);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < width; k++) {
        const at = r * W4 * batch + b * block * W4 + (k >> 2) * w + (s % block);
        out[at * 4 + (k & 3)] = a[(s * rows + r) * width + k];
      }
    }
  }
  return out;
}

/** float64 reference of gemm's semantics, C slices packed after baseC. */
function reference(c: Case, a: Float64Array, b: Float64Array, c0: Float64Array): Float64Array {
  const { M, N, K } = c;
  const batch = c.batch ?? 1, zsum = c.zsum ?? 1;
  const sa = (c.slicesA ?? 1) > 1 ? M * K : 0, sb = (c.slicesB ?? 1) > 1 ? K * N + (c.gapB ?? 0) : 0;
  const ba = c.baseA ?? 0, bb = c.baseB ?? 0, bc = c.baseC ?? 0;
  const out = Float64Array.from(c0);
  for (let z = 0; z < batch; z++) {
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let q = 0; q < zsum; q++) {
          const ao = ba + (z * zsum + q) * sa, bo = bb + (z * zsum + q) * sb;
          for (let k = 0; k < K; k++) {
            s += a[ao + (c.transA ? k * M + m : m * K + k)] * b[bo + (c.transB ? n * K + k : k * N + n)];
          }
        }
        // Interleaved C: vec4 q of slice z in group q / 4, from GemmArgs.interleaveC's definition.
        const q = m * (N / 4) + (n >> 2);
        const i = c.interleaveC
          ? bc + ((Math.floor(q / 4) * batch + z) * 4 + (q % 4)) * 4 + (n & 3)
          : bc + z * M * N + m * N + n;
        out[i] = (c.accumulate ? out[i] : 0) + s;
      }
    }
  }
  return out;
}

/**
 * Kernel paths: the cpu family's 8x16, 16x32 and 64x32 register tiles (the larger ones forced on
 * every shape, so small ones test their edges), each with storage or texture operands, and with
 * workgroups 8 row tiles high (TILE.WGY 8, the layout before WGY 1); the 32x64 tile (WIDE_TILE,
 * forced where the 64x32 one is); texture operands bound as sampled textures
 * (gemmSettings.textureBinding, kept for A/B runs); the gpu family.
 */
const PATHS = {
  cpu: { family: "cpu", textures: "off", bigTiles: "off", hugeTiles: "off", wgy: 1, splitK: "auto" },
  "cpu-tex": { family: "cpu", textures: "on", bigTiles: "off", hugeTiles: "off", wgy: 1, splitK: "auto" },
  "cpu-tex-sampled": {
    family: "cpu",
    textures: "on",
    bigTiles: "off",
    hugeTiles: "off",
    wgy: 1,
    splitK: "auto",
    sampled: true,
  },
  "cpu-big": { family: "cpu", textures: "off", bigTiles: "on", hugeTiles: "off", wgy: 1, splitK: "auto" },
  "cpu-big-tex": { family: "cpu", textures: "on", bigTiles: "on", hugeTiles: "off", wgy: 1, splitK: "auto" },
  "cpu-wgy8": { family: "cpu", textures: "off", bigTiles: "off", hugeTiles: "off", wgy: 8, splitK: "auto" },
  "cpu-split": { family: "cpu", textures: "off", bigTiles: "off", hugeTiles: "off", wgy: 1, splitK: "on" },
  "cpu-big-split-tex": {
    family: "cpu",
    textures: "on",
    bigTiles: "on",
    hugeTiles: "off",
    wgy: 1,
    splitK: "on",
  },
  "cpu-huge": { family: "cpu", textures: "off", bigTiles: "off", hugeTiles: "on", wgy: 1, splitK: "auto" },
  "cpu-huge-tex": { family: "cpu", textures: "on", bigTiles: "off", hugeTiles: "on", wgy: 1, splitK: "on" },
  "cpu-wide": {
    family: "cpu",
    textures: "off",
    bigTiles: "off",
    hugeTiles: "on",
    wgy: 1,
    splitK: "auto",
    wide: true,
  },
  "cpu-wide-tex": {
    family: "cpu",
    textures: "on",
    bigTiles: "off",
    hugeTiles: "on",
    wgy: 1,
    splitK: "on",
    wide: true,
  },
  gpu: { family: "gpu", textures: "off", bigTiles: "off", hugeTiles: "off", wgy: 1, splitK: "auto" },
} as const;

/** gemm's arguments for a case on tensors holding its A, B and C. */
function caseArgs(c: Case, a: sw.Tensor, b: sw.Tensor, out: sw.Tensor): GemmArgs {
  return {
    a: a.range,
    b: b.range,
    c: out.range,
    M: c.M,
    N: c.N,
    K: c.K,
    transA: c.transA,
    transB: c.transB,
    batch: c.batch ?? 1,
    zsum: c.zsum ?? 1,
    strideA: (c.slicesA ?? 1) > 1 ? c.M * c.K : 0,
    strideB: (c.slicesB ?? 1) > 1 ? c.K * c.N + (c.gapB ?? 0) : 0,
    baseA: c.baseA,
    baseB: c.baseB,
    baseC: c.baseC,
    accumulate: c.accumulate,
    interleaveA: c.interleaveA,
    interleaveBlockA: c.interleaveBlockA,
    interleaveB: c.interleaveB,
    interleaveC: c.interleaveC,
  };
}

/**
 * Planar slices ([batch, rows, width] floats) interleaved as GemmArgs.interleaveB defines, written
 * out from that definition: row r is width / 4 * batch vec4s, its vec4s in groups of 4 of one
 * slice (the last group of a row narrower when width / 4 is no multiple of 4).
 */
function interleaveRows(a: Float64Array, batch: number, rows: number, width: number): Float64Array {
  const W4 = width / 4;
  const out = new Float64Array(a.length);
  for (let s = 0; s < batch; s++) {
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < width; k++) {
        const x = k >> 2, g = x - (x % 4);
        const at = r * W4 * batch + g * batch + s * Math.min(4, W4 - g) + (x % 4);
        out[at * 4 + (k & 3)] = a[(s * rows + r) * width + k];
      }
    }
  }
  return out;
}

async function check(c: Case, path: keyof typeof PATHS, seed: number): Promise<void> {
  const family = path;
  const r = rng(seed);
  const batch = c.batch ?? 1, zsum = c.zsum ?? 1;
  const nA = (c.baseA ?? 0) + (c.slicesA ?? 1) * c.M * c.K,
    nB = (c.baseB ?? 0) + (c.slicesB ?? 1) * (c.K * c.N + (c.gapB ?? 0));
  const nC = (c.baseC ?? 0) + batch * c.M * c.N + 3; // trailing floats must stay untouched
  const a = randArray(nA, r), b = randArray(nB, r), c0 = randArray(nC, r);
  const ta = sw.tensor(
    Float32Array.from(
      c.interleaveA ? interleave(a, batch, c.M, c.K, Math.min(c.interleaveBlockA ?? batch, batch)) : a,
    ),
    [nA],
  );
  const bRows = c.transB ? c.N : c.K, bWidth = c.transB ? c.K : c.N;
  const tb = sw.tensor(Float32Array.from(c.interleaveB ? interleaveRows(b, batch, bRows, bWidth) : b), [nB]);
  const tc = sw.tensor(Float32Array.from(c0), [nC]);
  const args = caseArgs(c, ta, tb, tc);
  gemmSettings.family = PATHS[path].family;
  gemmSettings.textures = PATHS[path].textures;
  gemmSettings.bigTiles = PATHS[path].bigTiles;
  gemmSettings.hugeTiles = PATHS[path].hugeTiles;
  gemmSettings.splitK = PATHS[path].splitK;
  gemmSettings.textureBinding = "sampled" in PATHS[path] ? "sampled" : "storage";
  gemmSettings.wideTiles = "wide" in PATHS[path] ? "on" : "auto";
  const wgy = TILE.WGY;
  TILE.WGY = PATHS[path].wgy;
  try {
    gemm(args);
  } finally {
    resetGemmSettings();
    TILE.WGY = wgy;
  }
  const got = await tc.data();
  const want = reference(c, a, b, c0);
  const tol = 1e-5 * c.K * zsum + 1e-5;
  for (let i = 0; i < nC; i++) {
    const err = Math.abs(got[i] - want[i]);
    assert(
      err <= tol * (1 + Math.abs(want[i])),
      `${family} ${JSON.stringify(c)}: C[${i}] = ${got[i]}, want ${want[i]}`,
    );
  }
  for (const t of [ta, tb, tc]) t.dispose();
}

const cases: Case[] = [
  { M: 1, N: 1, K: 1 },
  { M: 1, N: 4, K: 4 },
  { M: 4, N: 1, K: 4 },
  { M: 3, N: 5, K: 7 },
  { M: 13, N: 20, K: 8 }, // vec4 kernel, tiles hanging over the M and N edges
  { M: 67, N: 72, K: 20 }, // past one 64x64 tiled block in both directions, K not a multiple of 16
  { M: 70, N: 65, K: 33 }, // odd everything: naive on cpu, edges of the tiled kernel on gpu
  { M: 8, N: 12, K: 16, transA: true },
  { M: 12, N: 20, K: 8, transB: true },
  { M: 8, N: 20, K: 12, transA: true, transB: true },
  { M: 9, N: 7, K: 5, transA: true, transB: true },
  { M: 5, N: 8, K: 8, batch: 3, slicesA: 3 }, // B broadcast
  { M: 8, N: 8, K: 4, batch: 3, slicesB: 3 }, // A broadcast (the conv forward shape)
  { M: 7, N: 6, K: 5, batch: 2, slicesA: 2, slicesB: 2 },
  // Narrow C, many slices: the cpu kernel folds slices into its x lanes (11 slices, 8 per group).
  { M: 12, N: 4, K: 8, batch: 11, slicesB: 11 },
  { M: 8, N: 20, K: 12, batch: 3, slicesB: 3, transA: true },
  // zsum (the conv weight gradient: slices summed into one C), with transB and accumulate.
  { M: 8, N: 12, K: 20, zsum: 3, slicesA: 3, slicesB: 3, transB: true },
  { M: 6, N: 10, K: 9, zsum: 2, batch: 2, slicesA: 4, slicesB: 4, accumulate: true },
  { M: 8, N: 12, K: 16, zsum: 3, slicesA: 3, slicesB: 3, transB: true, accumulate: true },
  // bases (chunked conv): multiples of 4 keep the vec4 kernel, odd ones take the strided kernels.
  { M: 8, N: 8, K: 8, batch: 2, slicesB: 3, baseB: 64, baseC: 128, accumulate: true },
  { M: 5, N: 6, K: 7, batch: 2, slicesA: 2, baseA: 3, baseB: 1, baseC: 5 },
  { M: 16, N: 12, K: 8, transA: true, batch: 2, slicesB: 2, baseB: 96 },
  // Past one 16x32 tile in both directions, with edges, for each transpose.
  { M: 36, N: 44, K: 12, transA: true, batch: 2, slicesA: 2 },
  { M: 33, N: 40, K: 8, transB: true, zsum: 2, slicesA: 2, slicesB: 2, accumulate: true },
  { M: 40, N: 36, K: 16, transA: true, transB: true, batch: 3, slicesB: 3 },
  // Long K under a narrow C: "auto" splits K (a weight gradient's shape), with a shorter last part.
  { M: 12, N: 8, K: 1100 },
  { M: 20, N: 16, K: 1036, transA: true, baseC: 8, accumulate: true },
  { M: 8, N: 4, K: 520, transB: true, batch: 2, slicesA: 2, slicesB: 2, baseA: 4, baseB: 8 },
];

for (const path of ["cpu", "cpu-tex", "cpu-tex-sampled", "cpu-big", "gpu"] as const) {
  cases.forEach((c, i) => gpuTest(`gemm ${path} ${JSON.stringify(c)}`, () => check(c, path, 100 + i)));
}
// The 16x32 tile with texture operands on the shapes past one tile (its loads are written once for
// both tiles; each kernel variant costs ~3 s to compile on a cold shader cache, so not every case).
cases.forEach((c, i) => {
  if (c.M > 16 && c.N > 16) {
    gpuTest(`gemm cpu-big-tex ${JSON.stringify(c)}`, () => check(c, "cpu-big-tex", 100 + i));
  }
});
// Split K forced on every product without a slice sum (zsum 1), down to one vec4 of K per part:
// the parts' ranges and the second pass (with accumulate and bases) on every shape.
cases.forEach((c, i) => {
  if ((c.zsum ?? 1) > 1) return;
  gpuTest(`gemm cpu-split ${JSON.stringify(c)}`, () => check(c, "cpu-split", 100 + i));
  if (c.M > 16 && c.N > 16) {
    gpuTest(`gemm cpu-big-split-tex ${JSON.stringify(c)}`, () => check(c, "cpu-big-split-tex", 100 + i));
  }
});
// The 64x32 tile on the shapes past 32 rows and columns (edges in both directions; 21-34 s of
// compile per kernel variant on a cold shader cache, so storage operands for each transpose, and
// one case with both operands in textures and K split).
cases.forEach((c, i) => {
  // Slice sums and accumulation keep to the 16x32 tile (see cpuTile): cpu-big covers them.
  if (c.M <= 32 || c.N <= 32 || (c.zsum ?? 1) > 1 || c.accumulate) return;
  gpuTest(`gemm cpu-huge ${JSON.stringify(c)}`, () => check(c, "cpu-huge", 100 + i));
});
// Texture operands are read-only storage textures where WGSL has them (the faster load under
// llvmpipe), sampled textures where it has not (the cpu-tex-sampled path checks their results).
gpuTest("gemm: texture operands bound as read-only storage textures where WGSL has them", () => {
  const rt = sw.runtime(), has = rt.readOnlyStorageTextures;
  const kernel = { TM: TILE.TM, TN4: TILE.TN4, texA: true, texB: true };
  const storage = (src: string) => src.includes("texture_storage_2d_array<rgba32float, read>");
  const sampled = (src: string) => src.includes("texture_2d_array<f32>");
  const src = matmulSource(false, true, "one", kernel);
  assertEquals([storage(src), sampled(src)], [has, !has]);
  Object.defineProperty(rt, "readOnlyStorageTextures", { value: false, configurable: true });
  try {
    const without = matmulSource(false, true, "one", kernel);
    assertEquals([storage(without), sampled(without)], [false, true]);
  } finally {
    Object.defineProperty(rt, "readOnlyStorageTextures", { value: has, configurable: true });
  }
});
// The 32x64 tile (chosen for untransposed B only): edges in both directions, A transposed, both
// operands in textures with K split, and A's slices interleaved with C's (the Winograd filter and
// products' layouts). ~22 s of compile per kernel variant on a cold shader cache.
const wideCases: Case[] = [
  { M: 40, N: 72, K: 20 },
  { M: 36, N: 44, K: 12, transA: true, batch: 2, slicesA: 2 },
  { M: 36, N: 72, K: 132, batch: 2, slicesB: 2 },
  { M: 36, N: 80, K: 16, batch: 3, slicesA: 3, interleaveA: true, interleaveBlockA: 2, interleaveC: true },
];
wideCases.forEach((c, i) => {
  const path = i < 2 ? "cpu-wide" : "cpu-wide-tex";
  gpuTest(`gemm ${path} ${JSON.stringify(c)}`, () => check(c, path, 180 + i));
});
// Texture operands packed by copyBufferToTexture (rows of a multiple of 16 texels: K or N a
// multiple of 64): slices contiguous (one copy), broadcast (one layer), apart (a copy per layer),
// at a base, transposed, and into pooled textures larger than the operand (the second product
// gets the first one's textures).
const copyCases: Case[] = [
  { M: 20, N: 64, K: 64, batch: 2, slicesA: 2, slicesB: 2 },
  { M: 24, N: 64, K: 64, batch: 3, slicesB: 3, baseB: 64, gapB: 4 },
  { M: 64, N: 12, K: 128, transA: true, batch: 2, slicesA: 2, baseA: 8 },
  { M: 16, N: 64, K: 64, transB: true, batch: 2, slicesB: 2, gapB: 8, accumulate: true },
];
/** Runs a case and asserts that it packed `want` operands by copyBufferToTexture (one copy or more each). */
async function checkCopied(c: Case, path: keyof typeof PATHS, seed: number, want: boolean): Promise<void> {
  const rt = sw.runtime();
  await rt.sync();
  const before = rt.stats().textureCopies;
  await check(c, path, seed);
  const copies = rt.stats().textureCopies - before;
  assert(want ? copies > 0 : copies === 0, `${JSON.stringify(c)}: ${copies} texture copies`);
}
copyCases.forEach((c, i) => {
  gpuTest(`gemm cpu-tex copied ${JSON.stringify(c)}`, () => checkCopied(c, "cpu-tex", 140 + i, true));
  gpuTest(`gemm cpu-big-tex copied ${JSON.stringify(c)}`, () => checkCopied(c, "cpu-big-tex", 140 + i, true));
});
// Rows of 3 texels (K = 12, N = 12) cannot be copied: the compute pass packs them.
gpuTest(
  "gemm cpu-tex: rows that are no multiple of 16 texels are packed by the compute pass",
  () => checkCopied({ M: 8, N: 12, K: 12, batch: 2, slicesB: 2 }, "cpu-tex", 150, false),
);
gpuTest(
  "gemm cpu-huge-tex, split K",
  () => check({ M: 36, N: 40, K: 132, transA: true, transB: true }, "cpu-huge-tex", 99),
);
// A's slices interleaved (the Winograd filter transform's layout): storage and texture A (K = 16,
// 64: rows of 4 x 5 and 16 x 3 texels, packed by the compute pass and by copy), edges of every
// tile, B transposed, split K.
const interleavedCases: Case[] = [
  { M: 13, N: 20, K: 8, batch: 3, slicesA: 3, slicesB: 3, interleaveA: true },
  { M: 9, N: 12, K: 16, batch: 5, slicesA: 5, slicesB: 5, transB: true, interleaveA: true },
  { M: 67, N: 72, K: 20, batch: 2, slicesA: 2, slicesB: 2, transB: true, interleaveA: true },
  { M: 36, N: 40, K: 64, batch: 3, slicesA: 3, interleaveA: true },
  { M: 12, N: 8, K: 1040, batch: 2, slicesA: 2, interleaveA: true },
  // In blocks (the filter transform's layout for A read from storage): of 4 with a last block of
  // 1, of 2 with B transposed (and broadcast), a block larger than the batch (one block), with C
  // interleaved.
  { M: 13, N: 20, K: 8, batch: 9, slicesA: 9, slicesB: 9, interleaveA: true, interleaveBlockA: 4 },
  { M: 9, N: 12, K: 16, batch: 5, slicesA: 5, transB: true, interleaveA: true, interleaveBlockA: 2 },
  { M: 36, N: 40, K: 64, batch: 3, slicesA: 3, interleaveA: true, interleaveBlockA: 4 },
  { M: 12, N: 16, K: 16, batch: 7, slicesA: 7, interleaveA: true, interleaveBlockA: 4, interleaveC: true },
  // C's slices interleaved (the Winograd products for the output transform), with A's or not, at a
  // base, accumulating, and where K would be split (interleaved C is never split); N / 4 a multiple
  // of 4 (its groups), M odd or not, column tiles past the edge (N / 4 = 12 on 8-wide tiles).
  { M: 13, N: 16, K: 8, batch: 3, slicesA: 3, slicesB: 3, interleaveC: true },
  { M: 12, N: 48, K: 8, batch: 3, slicesA: 3, slicesB: 3, interleaveC: true },
  {
    M: 12,
    N: 16,
    K: 16,
    batch: 5,
    slicesA: 5,
    slicesB: 5,
    transB: true,
    interleaveA: true,
    interleaveC: true,
  },
  { M: 36, N: 32, K: 12, batch: 2, slicesB: 2, transA: true, baseC: 8, accumulate: true, interleaveC: true },
  { M: 12, N: 16, K: 1040, batch: 2, slicesA: 2, interleaveC: true },
  // B's slices interleaved (the Winograd input tiles): read transposed (the forward), and as the
  // weight gradient reads them (A transposed, B not, accumulating); all three interleaved. Rows of
  // 2, 6, 10 and 16 vec4s: groups of 4 and narrower last ones.
  { M: 13, N: 20, K: 8, batch: 3, slicesA: 3, slicesB: 3, transB: true, interleaveB: true },
  // Rows of 6 vec4s: a group of 4 and one of 2.
  { M: 8, N: 12, K: 24, batch: 3, slicesA: 3, slicesB: 3, transB: true, interleaveB: true },
  {
    M: 36,
    N: 40,
    K: 12,
    batch: 2,
    slicesA: 2,
    slicesB: 2,
    transA: true,
    accumulate: true,
    interleaveB: true,
  },
  {
    M: 9,
    N: 64,
    K: 16,
    batch: 5,
    slicesA: 5,
    slicesB: 5,
    interleaveA: true,
    interleaveB: true,
    interleaveC: true,
  },
];
for (const path of ["cpu", "cpu-tex", "cpu-big", "cpu-big-tex", "cpu-split"] as const) {
  interleavedCases.forEach((c, i) =>
    gpuTest(`gemm ${path} ${JSON.stringify(c)}`, () => check(c, path, 160 + i))
  );
}
// Interleaved C's groups of 4 vec4s must start every row: N / 4 = 3 is refused.
gpuTest("gemm: interleaved C refuses rows that are no multiple of its groups", async () => {
  await assertRejects(
    () => check({ M: 9, N: 12, K: 8, batch: 2, slicesA: 2, slicesB: 2, interleaveC: true }, "cpu", 199),
    /interleaved C needs N \/ 4 \(12 \/ 4\) to be a multiple of 4/,
  );
});
// The 64x32 tile with both operands in textures and K split, on the copy-packed case only: each of
// its kernel variants costs 15-30 s to compile on a cold shader cache.
gpuTest(
  `gemm cpu-huge-tex ${JSON.stringify(interleavedCases[3])}`,
  () => check(interleavedCases[3], "cpu-huge-tex", 163),
);
gpuTest("gemm: interleaved slices are refused where the kernel cannot take them", async () => {
  const onGpu = { ...interleavedCases[5], transB: false };
  let msg = "";
  try {
    await check(onGpu, "gpu", 171);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(msg.includes("interleaved slices"), `gpu ${JSON.stringify(onGpu)}: ${msg || "no error"}`);
  for (
    const [c, path] of [[interleavedCases[0], "gpu"], [
      { ...interleavedCases[0], transA: true },
      "cpu",
    ]] as const
  ) {
    let msg = "";
    try {
      await check(c, path, 170);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.includes("interleaved slices"), `${path} ${JSON.stringify(c)}: ${msg || "no error"}`);
  }
});
// Workgroups 8 row tiles high on the shapes with more than one row tile (M > 8).
cases.forEach((c, i) => {
  if (c.M > 8) gpuTest(`gemm cpu-wgy8 ${JSON.stringify(c)}`, () => check(c, "cpu-wgy8", 100 + i));
});

// "auto" splits a long K under a narrow C, unless the partial products would exceed
// SPLIT_K.maxPartialFloats (then it runs unsplit, and is right either way).
gpuTest("split K: auto splits a narrow C over a long K, within its partial-buffer bound", async () => {
  const rt = sw.runtime();
  const c: Case = { M: 12, N: 8, K: 1100 };
  const splitKernels = async () => {
    rt.startCapture();
    await check(c, "cpu", 130);
    const times = await rt.replayTimes(1);
    return times.filter((k) => k.name.includes(".split")).map((k) => k.name).sort();
  };
  assertEquals(await splitKernels(), ["matmul.split", "matmul.split_sum"]);
  const bound = SPLIT_K.maxPartialFloats;
  SPLIT_K.maxPartialFloats = 4 * c.M * c.N - 1; // less than the 4 parts this product takes
  try {
    assertEquals(await splitKernels(), []);
  } finally {
    SPLIT_K.maxPartialFloats = bound;
  }
});

Deno.test("cpu tiles: 64x32 from HUGE_TILE.minFlop, 32x64 for long untransposed B, 16x32 down to its size", () => {
  const flop = HUGE_TILE.minFlop;
  const q = (M: number, N: number, K: number, more: Partial<TileQuery> = {}) =>
    cpuTile({ M, N, K, flop, plain: true, transB: false, ...more });
  assertEquals(q(64, 2048, 64), HUGE_TILE); // K below WIDE_TILE.minK
  assertEquals(q(64, 2048, 64, { flop: flop - 1 }), BIG_TILE);
  assertEquals(q(32, 2048, 64), BIG_TILE); // fewer rows than one 64x32 tile
  assertEquals(q(64, 16, 64), TILE); // narrower than both big tiles
  assertEquals(q(64, 2048, 64, { plain: false }), BIG_TILE); // sums slices or adds to C
  assertEquals(q(64, 512, 256), WIDE_TILE);
  assertEquals(q(64, 508, 256), HUGE_TILE); // N below WIDE_TILE.minN
  assertEquals(q(64, 512, 252), HUGE_TILE);
  assertEquals(q(64, 512, 256, { transB: true }), HUGE_TILE);
  assertEquals(q(64, 512, 256, { plain: false }), BIG_TILE);
  assertEquals(q(32, 512, 256), BIG_TILE); // the large tiles want a 64-row product
  gemmSettings.wideTiles = "off";
  try {
    assertEquals(q(64, 512, 256), HUGE_TILE);
    gemmSettings.wideTiles = "on"; // wherever HUGE_TILE would be taken
    assertEquals(q(64, 2048, 64, { transB: true }), WIDE_TILE);
    assertEquals(q(64, 2048, 64, { flop: flop - 1 }), BIG_TILE);
  } finally {
    resetGemmSettings();
  }
});

Deno.test("kernel family: llvmpipe -> cpu, others -> gpu, SAMWISE_KERNELS overrides, bad value names it", () => {
  assert(chooseKernelFamily("llvmpipe (LLVM 15.0.6, 256 bits)") === "cpu");
  assert(chooseKernelFamily("SwiftShader Device (Subzero)") === "cpu");
  assert(chooseKernelFamily("NVIDIA GeForce RTX 4090") === "gpu");
  assert(chooseKernelFamily("Apple M2", undefined, true) === "cpu");
  assert(chooseKernelFamily("llvmpipe (LLVM 15.0.6, 256 bits)", "gpu") === "gpu");
  assert(chooseKernelFamily("NVIDIA GeForce RTX 4090", "cpu") === "cpu");
  assert(chooseKernelFamily("NVIDIA GeForce RTX 4090", "") === "gpu");
  let msg = "";
  try {
    chooseKernelFamily("llvmpipe", "fast");
  } catch (e) {
    assert(e instanceof KernelFamilyError);
    msg = e.message;
  }
  assert(msg === 'samwise: SAMWISE_KERNELS must be "cpu" or "gpu", got "fast"', msg);
});

// The FMA orders (gemmSettings.fmaOrder) are the same sums in the same order: bit for bit the same C,
// on each transpose, a slice sum with accumulation, and edges of the 8x16 and 16x32 tiles.
gpuTest("gemm: FMA orders rows and depth give the same bits", async () => {
  const shapes: Case[] = [
    { M: 13, N: 20, K: 8 },
    { M: 36, N: 44, K: 12, transA: true, batch: 2, slicesA: 2 },
    { M: 33, N: 40, K: 8, transB: true, zsum: 2, slicesA: 2, slicesB: 2, accumulate: true },
    { M: 40, N: 36, K: 16, transA: true, transB: true, batch: 3, slicesB: 3 },
  ];
  const r = rng(7);
  for (const c of shapes) {
    for (const big of ["off", "on"] as const) {
      const nA = (c.slicesA ?? 1) * c.M * c.K, nB = (c.slicesB ?? 1) * c.K * c.N;
      const nC = (c.batch ?? 1) * c.M * c.N;
      const a = sw.tensor(Float32Array.from(randArray(nA, r)), [nA]);
      const b = sw.tensor(Float32Array.from(randArray(nB, r)), [nB]);
      const c0 = randArray(nC, r);
      const results: Float32Array[] = [];
      for (const order of ["depth", "rows"] as const) {
        const out = sw.tensor(Float32Array.from(c0), [nC]);
        gemmSettings.family = "cpu";
        gemmSettings.textures = "off";
        gemmSettings.bigTiles = big;
        gemmSettings.hugeTiles = "off";
        gemmSettings.fmaOrder = order;
        try {
          gemm(caseArgs(c, a, b, out));
        } finally {
          resetGemmSettings();
        }
        results.push(await out.data());
        out.dispose();
      }
      const [depth, rows] = results;
      const differ = depth.findIndex((v, i) => !Object.is(v, rows[i]));
      assert(
        differ < 0,
        `${JSON.stringify(c)} bigTiles ${big}: C[${differ}] ${depth[differ]} vs ${rows[differ]}`,
      );
      // And the products are real ones, not both left at their start.
      assert(depth.some((v, i) => v !== c0[i]), `${JSON.stringify(c)}: C unchanged`);
      a.dispose();
      b.dispose();
    }
  }
});
