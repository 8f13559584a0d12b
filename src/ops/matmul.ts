/**
 * Matrix multiplication: 2-D and batched, either operand transposed, and `linear`.
 * @module
 */
import matmulText from "../../shaders/matmul.wgsl" with { type: "text" };
import naiveSrc from "../../shaders/matmul_naive.wgsl" with { type: "text" };
import tiledSrc from "../../shaders/matmul_tiled.wgsl" with { type: "text" };
import packText from "../../shaders/matmul_pack.wgsl" with { type: "text" };
import splitSumText from "../../shaders/matmul_split_sum.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import type { KernelFamily } from "../gpu/kernel_family.ts";
import { type Binding, type BufferRange, runtime } from "../gpu/runtime.ts";
import type { PooledTexture } from "../gpu/texture_pool.ts";
import { record } from "./record.ts";
import { Tensor } from "../tensor/tensor.ts";
import { add } from "./elementwise.ts";
import { fillTemplate, gridStride, launch, shaderSource } from "./launch.ts";

const splitSumSrc = shaderSource(splitSumText);
const packSrc = shaderSource(packText);
const matmulTemplate = shaderSource(matmulText);

/**
 * One cpu-family kernel variant: TM rows x TN4 vec4 column groups of C per invocation, and which
 * operands are read through textures (see shaders/matmul.wgsl).
 */
export interface CpuKernel {
  TM: number;
  TN4: number;
  texA: boolean;
  texB: boolean;
}

/**
 * The register tile of the cpu family (8 rows x 16 columns; 8x12 measured ~1.2x slower), and its
 * workgroup: WG x WGY invocations, WG along C's columns (one 8-lane SIMD group under llvmpipe),
 * WGY along its rows. WGY is 1: with 8, a product only one or two row tiles high (the 16-channel
 * Winograd GEMMs, M = 16) left 6-7 of each workgroup's 8 SIMD groups without rows, and under
 * llvmpipe a group whose lanes have all returned still runs the unrolled store epilogue's
 * per-lane loops. Measured (bench/gemm_ab.ts, AB_TILES=8x4x8,8x4x1): 16x3136x16 x36 ran 2.2x
 * faster, 32x1024x32 x36 1.4x, 1024^3 1.04x.
 */
export const TILE = { TM: 8, TN4: 4, WG: 8, WGY: 1 };

/**
 * The cpu family's tile for products at least 16 x 32: 16 rows x 32 columns per invocation.
 * Under llvmpipe every load is a loop over the 8 lanes, whatever it reads from: 17-31 ns of wall
 * time per vec4 with both cores busy (storage, uniform or texture; bench/load_cost.ts), about as
 * long as 20-30 vec4 FMAs. The same GEMM body with its loads replaced by arithmetic ran at 50-90
 * GFLOP/s, with them at 7-10. So the kernel is bound by its loads, and a tile is worth what it
 * saves in loads per FMA (TM + TN vec4 loads for TM x TN x 4 FMAs), not what it costs in
 * registers: its 128 accumulators spill to the stack, and those vector loads and stores cost far
 * less than the operand loads they save. Measured on a ResNet-18 step (bench/step_ab.ts): 1.17x
 * over the 8 x 16 tile alone. 32 x 32 gave 1.23x but took ~10 s per kernel variant to compile on
 * a cold shader cache (16 x 32: ~3 s, 8 x 16: 0.6 s).
 */
export const BIG_TILE = { TM: 16, TN4: 8 };

/**
 * The cpu family's tile for large products (at least HUGE_TILE's size and `minFlop`): 64 rows x
 * 32 columns, 96 operand loads per 2048 vec4 FMAs where BIG_TILE has 48 per 512. Measured on the
 * Winograd GEMMs of ResNet-18 at batch 32 (36 products each; process CPU time against BIG_TILE,
 * bench in the README): forward 1.31-1.60x (32 x 32: 1.07-1.33x), 1024^3 1.28x for 32 x 32; on
 * the ResNet-18 step (bench/step_ab.ts) 32 x 32 gave 1.16x wall, and 64 x 32 1.14x more.
 * Its cost is compile time: 21-34 s per kernel variant on a cold shader cache (32 x 32 ~10 s,
 * BIG_TILE ~3 s), about half of it the epilogue's 512 guarded stores (each a loop over the SIMD
 * lanes under llvmpipe). Mesa keeps compiled shaders on disk (~/.cache/mesa_shader_cache), so a
 * machine pays it once per variant; `minFlop` keeps the small products of tests, toy models and
 * the default run (0.98-1.03x there with 32 x 32), on the tiles that compile fast. Not kept: a
 * loop over each vec4's four depths instead of unrolling them (0.8-0.9x, and no faster to
 * compile), the epilogue through a private array and a loop (33-160 s to compile), stores into
 * a storage texture (as slow to compile), the 64 x 32 tile for slice sums (ResNet-18 step 0.96x,
 * and 0.93x again with the "rows" FMA order). With the "rows" order (gemmSettings.fmaOrder) the
 * plain variant compiles in 12 s against 18 s; 64 x 64 took 73 s, which is why it is not tried.
 */
export const HUGE_TILE = { TM: 64, TN4: 8, minFlop: 200e6 };

/**
 * The cpu family's tile for large products read along long rows of an untransposed B (N at least
 * `minN`, K at least `minK`, and HUGE_TILE's conditions): 32 rows x 64 columns. As many
 * accumulators and operand loads per FMA as HUGE_TILE's 64 x 32, but a third of those loads are
 * A's (one address on all eight lanes of a SIMD group) where HUGE_TILE has two thirds, and half as
 * many A values are held across the column groups. Alternated with HUGE_TILE in one process
 * (2026-12-08, read-only storage textures): 1024^3 1.08-1.12x, A^T B 1.02x, 1024x512x1024 1.12x,
 * 256x512x256 x16 1.10x, 1024x1024x256 1.07x, 512^3 1.00-1.03x, 64x1024x576 x8 1.01x, and even
 * (0.99-1.02x) on the strided convolutions' GEMMs of ResNet-18 at batch 32 that take it
 * (128x8192x576, 256x2048x1152, 512x512x2304, and A^T B 1152x2048x256, 2304x512x512); but
 * 0.89-0.92x with B transposed (its 64 columns are 64 loads of four depths each, transposed in
 * registers), and 0.89-0.93x on the short-K batched products of ResNet-18's Winograd layers
 * (64x4096x64 x36, 128x1024x128 x36; its step 0.93x with this tile for every large product).
 * Compiles in ~22 s per variant on a cold shader cache, as HUGE_TILE does.
 */
export const WIDE_TILE = { TM: 32, TN4: 16, minN: 512, minK: 256 };

const generated = new Map<string, string>();

/**
 * How a cpu-family kernel maps its slices (gid.x / cgroups) to products: "loop" sums p.zsum
 * consecutive A/B slices into each C slice; "one" computes one slice (zsum = 1: without the slice
 * loop the kernel ran ~10% faster); "split" computes one range of p.zsum vec4s of K of slice
 * slice / parts into partial slice `slice` (split K, see {@link splitParts}).
 */
export type SliceMode = "loop" | "one" | "split";

const SLICES: Record<SliceMode, string> = {
  loop:
    "for (var z = 0u; z < p.zsum; z++) {\n    let s = slice * p.zsum + z;\n    let k0 = 0u;\n    let k1 = K4;",
  one: "{\n    let s = slice;\n    let k0 = 0u;\n    let k1 = K4;",
  split: "{\n    let parts = (K4 + p.zsum - 1u) / p.zsum;\n    let s = slice / parts;\n" +
    "    let k0 = (slice % parts) * p.zsum;\n    let k1 = min(K4, k0 + p.zsum);",
};

/**
 * Fills the template's //@ lines with the unrolled body for the given transposes and operand
 * sources. a(i, kk) is A's element at row `row + i`, depth `4*k4 + kk`; bv{kk}_{j} the vec4 of B
 * at depth `4*k4 + kk`, columns `4*(col4 + j)`..+3. Operands are rows of vec4s: A is [M, K4]
 * ([K, M4] transposed), B [K, N4] ([N, K4] transposed).
 *
 * The FMA order ({@link gemmSettings}.fmaOrder) matters under llvmpipe because a large tile's
 * accumulators live on the stack (each per-invocation vec4 is four 8-lane vector registers): LLVM
 * keeps the source order in the unrolled block, so "depth" (every accumulator for depth 0, then
 * depth 1, ...) loads and stores each accumulator four times per vec4 of K, where "rows" (one
 * column group's four B vec4s held while every row takes its four depths in one expression) does
 * it once. Each accumulator still adds depth 0, 1, 2, 3 in turn: the same bits.
 */
export function matmulSource(
  transA: boolean,
  transB: boolean,
  slices: SliceMode = "loop",
  kernel: CpuKernel = { TM: TILE.TM, TN4: TILE.TN4, texA: false, texB: false },
): string {
  const { TM, TN4, texA, texB } = kernel;
  const order = gemmSettings.fmaOrder;
  const sampled = gemmSettings.textureBinding === "sampled" || !runtime().readOnlyStorageTextures;
  const key = `${transA}${transB}${slices}${TM}${TN4}${texA}${texB}${TILE.WGY}${order}${sampled}`;
  const hit = generated.get(key);
  if (hit) return hit;
  const TN = TN4 * 4;
  // Element (vec4 x, row y) of an operand: a storage load at its slice offset, or a texel of its
  // layer (a read-only storage texture has no mip level argument).
  const level = sampled ? ", 0" : "";
  // Untransposed, A's rows are arow vec4s apart and its vec4s aw apart along K (1 planar; its
  // slices may be interleaved in blocks: see matmul.wgsl).
  const loadA = (x: string, y: string) =>
    transA
      ? (texA ? `textureLoad(A, vec2<u32>(${x}, ${y}), ao${level})` : `A[ao + (${y}) * M4 + ${x}]`)
      : texA
      ? `textureLoad(A, vec2<u32>((${x}) * aw + ai, ${y}), aol${level})`
      : `A[aos + (${y}) * arow + (${x}) * aw]`;
  // B's rows are brow = width * p.bx vec4s; vec4 x of a row is at groupedAt(x) (its slices may
  // be interleaved: see matmul.wgsl), computed once per slice for the column groups (bg{j}) or once
  // per step of K transposed (bk), not per load: the per-load form doubled the pipeline creation
  // time of the 16x32 variants (136 -> 264 ms each, with Mesa's shader cache warm).
  const widthB = transB ? "K4" : "N4";
  const sliceDecl = [`let brow = ${widthB} * p.bx;`];
  const loadB = (x: string, y: string) =>
    texB ? `textureLoad(B, vec2<u32>(${x}, ${y}), bos${level})` : `B[bos + (${y}) * brow + ${x}]`;
  const decl: string[] = [];
  const body: string[] = [];
  const store: string[] = [];
  for (let i = 0; i < TM; i++) for (let j = 0; j < TN4; j++) decl.push(`var c${i}_${j} = vec4<f32>(0.0);`);
  // Clamped row/column indices: tiles hanging over the edge load valid data and skip the store.
  if (transA) { for (let q = 0; q < TM / 4; q++) decl.push(`let rq${q} = min(row / 4u + ${q}u, M4 - 1u);`); }
  else for (let i = 0; i < TM; i++) decl.push(`let r${i} = min(row + ${i}u, p.M - 1u);`);
  if (transB) { for (let c = 0; c < TN; c++) decl.push(`let cc${c} = min(col4 * 4u + ${c}u, p.N - 1u);`); }
  else for (let j = 0; j < TN4; j++) decl.push(`let cj${j} = min(col4 + ${j}u, N4 - 1u);`);

  // A's loads for row i of the tile (for a transposed A, row 4q loads the four rows 4q..4q+3).
  const aLoads: string[][] = [];
  let a: (i: number, kk: number) => string;
  if (transA) {
    for (let i = 0; i < TM; i++) {
      const q = Math.floor(i / 4);
      aLoads.push(
        i % 4 ? [] : [0, 1, 2, 3].map((kk) => `let at${kk}_${q} = ${loadA(`rq${q}`, `k4 * 4u + ${kk}u`)};`),
      );
    }
    a = (i, kk) => `at${kk}_${Math.floor(i / 4)}[${i % 4}]`;
  } else {
    for (let i = 0; i < TM; i++) aLoads.push([`let a${i} = ${loadA("k4", `r${i}`)};`]);
    a = (i, kk) => `a${i}[${kk}]`;
  }
  if (transB) body.push("let bk = groupedAt(k4, K4, s, p.bx);");
  else for (let j = 0; j < TN4; j++) sliceDecl.push(`let bg${j} = groupedAt(cj${j}, N4, s, p.bx);`);
  const lazyA = order === "rows";
  if (!lazyA) body.push(...aLoads.flat());
  // B's four depths for column group j: loaded just before the FMAs that use them ("rows"), or all
  // up front ("depth").
  const loadBGroup = (j: number): string[] => {
    const out: string[] = [];
    if (transB) {
      for (let u = 0; u < 4; u++) out.push(`let bt${4 * j + u} = ${loadB("bk", `cc${4 * j + u}`)};`);
      for (let kk = 0; kk < 4; kk++) {
        out.push(
          `let bv${kk}_${j} = vec4<f32>(${[0, 1, 2, 3].map((u) => `bt${4 * j + u}[${kk}]`).join(", ")});`,
        );
      }
    } else {
      for (let kk = 0; kk < 4; kk++) out.push(`let bv${kk}_${j} = ${loadB(`bg${j}`, `k4 * 4u + ${kk}u`)};`);
    }
    return out;
  };
  if (order !== "depth") {
    // Each accumulator takes its four depths in one expression, while B's four vec4s of one column
    // group stay in registers across the TM rows: one load and one store of each (spilled)
    // accumulator per four FMAs. Same sums in the same order as "depth".
    for (let j = 0; j < TN4; j++) {
      body.push(...loadBGroup(j));
      for (let i = 0; i < TM; i++) {
        if (lazyA && j === 0) body.push(...aLoads[i]);
        let e = `c${i}_${j}`;
        for (let kk = 0; kk < 4; kk++) e = `fma(vec4<f32>(${a(i, kk)}), bv${kk}_${j}, ${e})`;
        body.push(`c${i}_${j} = ${e};`);
      }
    }
  } else {
    for (let j = 0; j < TN4; j++) body.push(...loadBGroup(j));
    for (let kk = 0; kk < 4; kk++) {
      for (let j = 0; j < TN4; j++) {
        for (let i = 0; i < TM; i++) {
          body.push(`c${i}_${j} = fma(vec4<f32>(${a(i, kk)}), bv${kk}_${j}, c${i}_${j});`);
        }
      }
    }
  }
  for (let i = 0; i < TM; i++) {
    for (let j = 0; j < TN4; j++) {
      // Vec4 j of row i of the tile, planar or interleaved in groups (see matmul.wgsl).
      const at = `co + ((row + ${i}u) * N4 + col4) * p.cx + ${4 * (j >> 2)}u * p.cx + ${j & 3}u`;
      store.push(
        `if (row + ${i}u < p.M && col4 + ${j}u < N4) { C[${at}] = select(c${i}_${j}, c${i}_${j} + C[${at}], ACCUM); }`,
      );
    }
  }
  const texType = sampled ? "texture_2d_array<f32>" : "texture_storage_2d_array<rgba32float, read>";
  const bind = (n: number, name: string, tex: boolean) =>
    `@group(0) @binding(${n}) var ${tex ? "" : "<storage, read> "}${name}: ${
      tex ? texType : "array<vec4<f32>>"
    };`;
  const src = fillTemplate(matmulTemplate, {
    BINDINGS: [bind(1, "A", texA), bind(2, "B", texB)].join("\n"),
    DECLARE: decl.join("\n  "),
    BODY: body.join("\n    "),
    STORE: store.join("\n  "),
    CONSTANTS: `const TM = ${TM}u;\nconst TN4 = ${TN4}u;\nconst WGY = ${TILE.WGY}u;`,
    SLICES: SLICES[slices],
    SLICE_DECLARE: sliceDecl.join("\n    "),
  });
  generated.set(key, src);
  return src;
}

interface MatmulDims {
  batch: number;
  M: number;
  N: number;
  K: number;
  batchA: number;
  batchB: number;
}

function dims(a: Tensor, b: Tensor, transA: boolean, transB: boolean): MatmulDims {
  if (a.rank < 2 || b.rank < 2 || a.rank > 3 || b.rank > 3) {
    throw new Error(`matmul: operands must be 2-D or 3-D, got [${a.shape}] and [${b.shape}]`);
  }
  const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
  const M = transA ? ac : ar, K = transA ? ar : ac;
  const Kb = transB ? bc : br, N = transB ? br : bc;
  if (K !== Kb) {
    throw new Error(
      `matmul: inner dimensions differ: [${a.shape}]${transA ? "^T" : ""} x [${b.shape}]${
        transB ? "^T" : ""
      }`,
    );
  }
  const batchA = a.rank === 3 ? a.shape[0] : 1, batchB = b.rank === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
    throw new Error(`matmul: batch sizes ${batchA} and ${batchB} differ`);
  }
  return { batch: Math.max(batchA, batchB), M, N, K, batchA, batchB };
}

/**
 * C = op(A) x op(B) where op transposes the last two dims when asked. 2-D or 3-D operands;
 * a 2-D operand or a batch of 1 broadcasts over the other's batch.
 */
export function matmul(a: Tensor, b: Tensor, transA = false, transB = false): Tensor {
  const d = dims(a, b, transA, transB);
  const { batch, M, N, K } = d;
  const outShape = a.rank === 3 || b.rank === 3 ? [batch, M, N] : [M, N];
  const out = Tensor.empty(outShape);
  if (out.size) {
    gemm({
      a: a.range,
      b: b.range,
      c: out.range,
      M,
      N,
      K,
      transA,
      transB,
      batch,
      strideA: d.batchA > 1 ? M * K : 0,
      strideB: d.batchB > 1 ? K * N : 0,
    });
  }
  return record("matmul", [a, b], out, { transA, transB });
}

/** Operands of {@link gemm}: buffer ranges plus the shape of one product. */
export interface GemmArgs {
  a: BufferRange;
  b: BufferRange;
  c: BufferRange;
  M: number;
  N: number;
  K: number;
  transA?: boolean;
  transB?: boolean;
  /** Number of C slices (gid.z). */
  batch?: number;
  /** Number of consecutive A/B slices summed into each C slice. */
  zsum?: number;
  /** Element strides between consecutive A, B slices (0 broadcasts). C slices are packed. */
  strideA?: number;
  strideB?: number;
  /** Element offsets of slice 0 within each range. */
  baseA?: number;
  baseB?: number;
  baseC?: number;
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
  /**
   * A's `batch` slices interleaved by vec4 (cpu family, A not transposed, no slice sum; see
   * {@link gemmInterleaves}): in one block (the default; see interleaveBlockA), vec4 k4 of row r
   * of slice s at (r * K/4 + k4) * batch + s; strideA and baseA unused. A producer writing E slices at once (the Winograd filter transform)
   * then writes one stream, not E: under llvmpipe 36 interleaved store streams ran 2.2-2.8x
   * slower than one.
   */
  interleaveA?: boolean;
  /**
   * With interleaveA, the slices side by side in blocks of this many (default and at most `batch`,
   * one block; see {@link interleaveBlockFor}): row r is K/4 * batch vec4s, block b of it the K/4
   * vec4s of each of its w slices (w = min(block, batch - b * block)), vec4 k4 of slice s at
   * r * K/4 * batch + b * block * K/4 + k4 * w + s % block.
   */
  interleaveBlockA?: number;
  /**
   * B's `batch` slices interleaved (cpu family, no slice sum): row r is width * batch vec4s (width
   * K/4 transposed, N/4 otherwise), its vec4s in groups of 4 of one slice, vec4 x of slice s at
   * r * width * batch + g * batch + s * min(4, width - g) + x % 4 with g = x - x % 4; strideB and
   * baseB unused. The Winograd input transform then writes a few streams, not E, and the GEMM's
   * lanes reading along a row take whole 64-byte lines (see winogradSettings.interleavedTiles).
   */
  interleaveB?: boolean;
  /**
   * C's `batch` slices interleaved in groups of {@link C_GROUP} vec4s (cpu family; see
   * {@link interleavedCPays}; N / 4 a multiple of C_GROUP): vec4 q = r * N/4 + col4 of slice z
   * at baseC + (floor(q / 4) * batch + z) * 4 + q % 4. Its consumer (the Winograd output transform)
   * then reads two streams per SIMD group, not E: its 36 loads per invocation ran 1.9-2.3x faster.
   */
  interleaveC?: boolean;
}

/** The kernel family {@link gemm} runs: gemmSettings.family, else the runtime's. */
export function gemmFamily(): KernelFamily {
  return gemmSettings.family ?? runtime().kernelFamily;
}

/**
 * Whether {@link gemm} can take interleaved slices (GemmArgs.interleaveA with A untransposed,
 * interleaveB, interleaveC) for an M x N x K product: the cpu family's vec4 kernel.
 */
export function gemmInterleaves(M: number, N: number, K: number): boolean {
  return gemmFamily() === "cpu" && gemmAligned(M, N, K);
}

/**
 * Whether interleaving C's slices (GemmArgs.interleaveC) pays for an M x N x K product: wherever
 * the cpu family's vec4 kernel takes it (N / 4 a multiple of {@link C_GROUP}, so that every row
 * of C starts a group). Interleaved vec4 by vec4 (one slice's vec4s `batch` * 16 bytes apart),
 * the 64x32 tile's 512 stores per invocation each went to a line of its own, and ResNet-18's
 * 64-channel Winograd forward (64 x 2048 x 64) ran its GEMM and output transform in 1.10x the
 * time; in groups of 4 vec4s (a 64-byte line of one slice) its forward and input-gradient GEMMs
 * took 42.8-44.8 ms against 39.5-43.6 with planar C and the output transforms 10.0-12.0 against
 * 19.9-22.3 (kernels replayed, three runs, in a probe).
 */
export function interleavedCPays(M: number, N: number, K: number): boolean {
  return gemmInterleaves(M, N, K) && (N / 4) % C_GROUP === 0;
}

/**
 * Vec4s per group of an interleaved C (GemmArgs.interleaveC): one 64-byte line of one slice. The
 * kernel's lanes store column groups of 4 * TN4 columns, so each lane's stores fill whole lines,
 * and the consumer's SIMD group (consecutive q) reads whole lines too.
 */
export const C_GROUP = 4;

/**
 * How A's `batch` slices are best interleaved for an M x N x K product (GemmArgs.interleaveA and
 * interleaveBlockA): 0 where {@link gemm} cannot read them so; `batch` (one block: each row's
 * slices side by side by vec4) where A goes through a texture (see useTexture); blocks of
 * {@link STORAGE_INTERLEAVE_BLOCK} slices where A is read from storage. Read from storage in one
 * block (each slice's vec4s batch * 16 bytes apart), ResNet-18's 512x512 Winograd layer (a 36 MiB
 * A, above TEXTURE_RULE.maxBytes) ran its two GEMMs in 2.2x the time of planar A; in blocks of 4
 * slices (a 64-byte line of four slices' vec4s, each block's row one run of lines) in 0.9-1.0x,
 * keeping the filter transform's gain (see STORAGE_INTERLEAVE_BLOCK).
 */
export function interleaveBlockFor(M: number, N: number, K: number, batch: number, transB: boolean): number {
  if (!gemmInterleaves(M, N, K)) return 0;
  const { TN4 } = cpuTile({ M, N, K, flop: 2 * M * N * K * batch, plain: true, transB });
  const textured = useTexture(operandLayout(K / 4, M, batch, 0, 0, true), Math.ceil(N / 4 / TN4));
  return textured ? batch : Math.min(STORAGE_INTERLEAVE_BLOCK, batch);
}

/**
 * Slices per block of an interleaved A read from storage (see {@link interleaveBlockFor}): four
 * vec4s, one 64-byte line. ResNet-18's 512x512 Winograd layer, its kernels replayed (forward +
 * both gradients, batch 32, in a probe): blocks of 4 ran its two filter transforms in 5.6-5.9 and
 * 7.4-7.7 ms against 10.4-17.5 and 16.6-20.8 planar, its forward and input-gradient GEMMs in
 * 28.6-32.5 ms against 31.9-32.1; blocks of 8 (two lines): GEMMs 50.9 ms; of 2: 31.4 ms, the
 * transforms 7.4 and 9.5 ms; of 1 (each slice's rows whole): transforms as slow as planar. Whole
 * layer (`bench/winograd_ab.ts 10 512`): planar 1.16-1.17x the time at batch 32, 1.08x at 128;
 * one block 1.39-1.57x.
 */
export const STORAGE_INTERLEAVE_BLOCK = 4;

/** True when the vec4 kernel can take these dimensions (see shaders/matmul.wgsl). */
export function gemmAligned(M: number, N: number, K: number, transA = false): boolean {
  return K % 4 === 0 && N % 4 === 0 && (!transA || M % 4 === 0) && K > 0;
}

/** The type of {@link gemmSettings}. */
export type GemmSettings = {
  family: KernelFamily | null;
  /** cpu family: read operands through textures ("auto": where it measured faster). */
  textures: "auto" | "on" | "off";
  /**
   * cpu family: {@link BIG_TILE} for products at least its size ("auto"), for every product
   * the vec4 kernel takes ("on": tests, so its edges are checked on small shapes), or never.
   */
  bigTiles: "auto" | "on" | "off";
  /**
   * cpu family: {@link HUGE_TILE} for large products ("auto"), for every plain product the
   * vec4 kernel takes ("on": tests; it wins over `bigTiles`; see {@link cpuTile}), or never.
   */
  hugeTiles: "auto" | "on" | "off";
  /**
   * cpu family: {@link WIDE_TILE} instead of HUGE_TILE for the products it suits ("auto"), for
   * every product that takes HUGE_TILE ("on": tests), or never.
   */
  wideTiles: "auto" | "on" | "off";
  /**
   * cpu family: split K where C's tiles leave SIMD lanes idle ("auto", see {@link splitParts}),
   * for every product the vec4 kernel takes without a slice sum, down to one vec4 of K per part
   * ("on": tests, so that the ranges' edges are checked on small shapes), or never.
   */
  splitK: "auto" | "on" | "off";
  /**
   * cpu family: the order of the unrolled FMAs (see {@link matmulSource}). "rows": each
   * accumulator takes its four depths in one expression while one column group's B stays in
   * registers; "depth": the order before (all of one depth, then the next), kept for A/B runs.
   * Both are the same sums in the same order, bit for bit. "rows" loads A's vec4s of row i just
   * before row i's first FMAs (the gathers then overlap the FMAs of the rows before), "upfront"
   * all at the top of the body, as "depth" does: A/B runs only.
   */
  fmaOrder: "rows" | "depth" | "upfront";
  /** cpu family: pack texture operands by copyBufferToTexture where their rows allow (see copyPacked). */
  packByCopy: boolean;
  /**
   * cpu family: how the GEMM binds a texture operand. "storage": a read-only storage texture,
   * whose textureLoad llvmpipe runs as an image load; "sampled": a sampled texture, whose
   * textureLoad goes through its texel-fetch path. Same texels, same sums. Under llvmpipe one
   * 8-lane vec4 load cost 5.5-6.2 ns of wall time from a storage texture against 9.9-11.1 from a
   * sampled one (12.5-15.5 from a storage buffer; bench/load_cost.ts), and 1024^3 ran 1.07-1.10x
   * faster. "sampled" is kept for A/B runs, and taken where WGSL has no read-only storage textures
   * (Runtime.readOnlyStorageTextures).
   */
  textureBinding: "storage" | "sampled";
};

/** Every GEMM tunable at its default (what {@link resetGemmSettings} puts back). */
const GEMM_DEFAULTS: Readonly<GemmSettings> = {
  family: null,
  textures: "auto",
  bigTiles: "auto",
  hugeTiles: "auto",
  wideTiles: "auto",
  splitK: "auto",
  fmaOrder: "rows",
  packByCopy: true,
  textureBinding: "storage",
};

/**
 * GEMM tunables. `family` forces a kernel family (null: the runtime's choice from the adapter and
 * `SAMWISE_KERNELS`); tests set it to check both families in one process.
 */
export const gemmSettings: GemmSettings = { ...GEMM_DEFAULTS };

/** Puts every GEMM tunable back to its default (tests and A/B benches that change them). */
export function resetGemmSettings(): void {
  Object.assign(gemmSettings, GEMM_DEFAULTS);
}

/**
 * Split K, "auto": a product is split while its C slices' column groups (batch x cgroups, the
 * lanes along x) fill fewer than `lanes` invocations, into parts of at least `minK4` vec4s of K,
 * as long as the partial products (parts x C) stay within `maxPartialFloats` (a product that
 * large has rows enough to keep the cores busy, and the buffer would be memory for nothing).
 * Under llvmpipe a workgroup's x is one 8-lane SIMD group: a weight gradient such as 32 x 16 over
 * K = 12,544 (a 1x1 shortcut's, batch 64 at 14x14) is 1 column group, so 7 of 8 lanes idled for
 * the whole long K loop. The parts are added by a second pass (matmul_split_sum.wgsl).
 */
export const SPLIT_K = { lanes: 32, minK4: 64, maxPartialFloats: 1 << 20 };

/**
 * Split-K parts for a product of `lanes` column groups (batch x cgroups) over K, with `floats`
 * elements of C in all (see SPLIT_K).
 */
export function splitParts(lanes: number, K: number, zsum: number, floats: number): number {
  const mode = gemmSettings.splitK;
  if (mode === "off" || zsum > 1) return 1;
  const K4 = K / 4;
  if (mode === "on") return Math.max(1, Math.min(Math.ceil((4 * TILE.WG) / lanes), K4));
  if (lanes >= SPLIT_K.lanes) return 1;
  const parts = Math.min(Math.ceil(SPLIT_K.lanes / lanes), Math.floor(K4 / SPLIT_K.minK4));
  return parts > 1 && parts * floats <= SPLIT_K.maxPartialFloats ? parts : 1;
}

/** What {@link cpuTile} chooses from: one product's shape, work and form. */
export interface TileQuery {
  M: number;
  N: number;
  K: number;
  /** Operations of the whole call (every slice). */
  flop: number;
  /** Neither sums slices (zsum) nor adds to C. */
  plain: boolean;
  transB: boolean;
}

/**
 * The cpu family's register tile for a product (see {@link TILE}, {@link BIG_TILE},
 * {@link HUGE_TILE}, {@link WIDE_TILE}). The large tiles only for a `plain` product: adding to C
 * doubled the 64 x 32 epilogue's loads and took ~90 s to compile; a slice sum compiled in 29 s,
 * but ResNet-18's (128 x 576 over 32 images) then had too few tiles to fill the SIMD lanes (step
 * 0.96x).
 */
export function cpuTile({ M, N, K, flop, plain, transB }: TileQuery): { TM: number; TN4: number } {
  const huge = gemmSettings.hugeTiles;
  const wide = gemmSettings.wideTiles;
  if (huge === "on" && plain) return wide === "on" ? WIDE_TILE : HUGE_TILE;
  if (huge === "auto" && plain && M >= HUGE_TILE.TM && N >= HUGE_TILE.TN4 * 4 && flop >= HUGE_TILE.minFlop) {
    const suits = !transB && N >= WIDE_TILE.minN && K >= WIDE_TILE.minK;
    return wide === "on" || (wide === "auto" && suits) ? WIDE_TILE : HUGE_TILE;
  }
  const mode = gemmSettings.bigTiles;
  const big = mode === "on" || (mode === "auto" && M >= BIG_TILE.TM && N >= BIG_TILE.TN4 * 4);
  return big ? BIG_TILE : TILE;
}

/** An operand's layout as rows of vec4s, one slice per layer (see shaders/matmul_pack.wgsl). */
interface OperandLayout {
  width: number;
  height: number;
  layers: number;
  base: number;
  stride: number;
}

/**
 * The layout of an operand stored as `height` rows of `width4` vec4s per slice: `slices` slices
 * `stride` floats apart from `base` (stride 0 broadcasts one), or with `interleaved` the `slices`
 * slices side by side, one row of width4 * slices vec4s (stride and base unused).
 */
function operandLayout(
  width4: number,
  height: number,
  slices: number,
  stride: number,
  base: number,
  interleaved: boolean,
): OperandLayout {
  return interleaved
    ? { width: width4 * slices, height, layers: 1, base: 0, stride: 0 }
    : { width: width4, height, layers: stride ? slices : 1, base: base / 4, stride: stride / 4 };
}

/** True when the operand fits the device's texture limits. */
function fitsTexture(o: OperandLayout): boolean {
  const lim = runtime().device.limits;
  return o.width <= lim.maxTextureDimension2D && o.height <= lim.maxTextureDimension2D &&
    o.layers <= lim.maxTextureArrayLayers;
}

/**
 * True when an operand is packed by copyBufferToTexture, which llvmpipe runs as a memory copy
 * (~5 ms less than the compute pass for 1024^3's two operands): its rows must be a multiple of
 * 256 bytes, 16 texels.
 */
function copyPacked(o: OperandLayout): boolean {
  return gemmSettings.packByCopy && o.width % 16 === 0;
}

/** Records the pack pass of one operand into a pooled texture (released by the caller). */
function packTexture(src: BufferRange, o: OperandLayout): PooledTexture {
  const rt = runtime();
  const tex = rt.textures.acquire(o.width, o.height, o.layers);
  if (copyPacked(o)) {
    const image = o.width * o.height; // texels of one layer
    if (o.layers === 1 || o.stride === image) {
      rt.copyToTexture(src.buffer, src.offset + o.base * 16, tex.texture, 0, o.width, o.height, o.layers);
    } else {
      for (let l = 0; l < o.layers; l++) {
        rt.copyToTexture(
          src.buffer,
          src.offset + (o.base + l * o.stride) * 16,
          tex.texture,
          l,
          o.width,
          o.height,
          1,
        );
      }
    }
    return tex;
  }
  const params = new Params().u32(o.width, o.height, o.layers, o.base, o.stride).bytes();
  const kernel = rt.kernel("matmul.pack", packSrc);
  rt.dispatch(kernel, [src, tex.view], params, gridStride(o.width * o.height * o.layers, 64, 8));
  return tex;
}

/**
 * When the cpu family reads an operand through a texture ("auto", see useTexture): `minReuse`,
 * the reads of each element by the GEMM from which the texture paid for its pack pass (a compute
 * pass of textureStores); `minReuseCopy`, the same where the pack is a copyBufferToTexture (rows
 * of a multiple of 16 texels, see {@link copyPacked}); `maxBytes`, the largest such operand
 * (pooled textures are memory held besides the buffer pool, within the pool's budget). 20 MiB
 * takes in the 18 MiB operands of ResNet-18's 64-channel Winograd GEMMs at batch 32 (36 slices of
 * 2048 tiles x 64 channels): alternated with 16 MiB in one process, the forward's 64x2048x64
 * products ran 1.04x and the weight gradient's 64x64x2048 1.11x faster (wall). At batch 128 those
 * operands are 72 MiB and stay in storage: its peak is unchanged (`bench/conv_ab.ts 0 128
 * resnet18`: 1275 MiB, 66.0 MiB of textures).
 */
export const TEXTURE_RULE = { minReuse: 64, minReuseCopy: 2, maxBytes: 20 << 20 };

/**
 * Whether the cpu family reads an operand through a texture. The pack pass reads and writes the
 * operand once; the GEMM reads each element `reuse` times (B: once per TM rows of C, A: once per
 * 4*TN4 columns). Measured (bench/gemm_ab.ts, process CPU time): 1024^3 ran 1.07-1.19x faster with
 * both operands in textures, the conv input gradient at 576x1024x64 1.05-1.13x, while conv
 * forward and weight-gradient shapes (reuse 8-16) ran 0.6-0.9x: the pack pass costs more there.
 * A copied pack is a memory copy under llvmpipe: with it, textures from a reuse of 2 ran the
 * Winograd GEMMs of ResNet-18 1.13-1.33x faster than from 64 on six of eight shapes, the other
 * two even (CPU time, `AB_TEX=copy64,copy2 bench/gemm_ab.ts 3 wino4`).
 */
function useTexture(o: OperandLayout, reuse: number): boolean {
  const mode = gemmSettings.textures;
  if (mode === "off" || !fitsTexture(o)) return false;
  if (mode === "on") return true;
  const minReuse = copyPacked(o) ? TEXTURE_RULE.minReuseCopy : TEXTURE_RULE.minReuse;
  return reuse >= minReuse && o.width * o.height * o.layers * 16 <= TEXTURE_RULE.maxBytes;
}

/** Element strides and slice layout shared by the strided kernels (naive and tiled). */
function stridedParams(g: GemmArgs, transA: boolean, transB: boolean, acc: number): ArrayBuffer {
  const { M, N, K } = g;
  return new Params().u32(M, N, K, g.zsum ?? 1)
    .u32(transA ? 1 : K, transA ? M : 1, transB ? 1 : N, transB ? K : 1)
    .u32(g.strideA ?? 0, g.strideB ?? 0, M * N, acc, g.baseA ?? 0, g.baseB ?? 0, g.baseC ?? 0, 0).bytes();
}

/**
 * Records C[z] (+)= sum over zsum slices of op(A[s]) x op(B[s]) on raw buffer ranges: the
 * building block of matmul and of convolution (im2col) forward and backward. Uses the
 * register-blocked vec4 kernel when the dimensions allow, the naive kernel otherwise (the cpu
 * family), or the shared-memory tiled kernel for every shape (the gpu family).
 */
export function gemm(g: GemmArgs): void {
  const { M, N, K } = g;
  const transA = g.transA ?? false, transB = g.transB ?? false;
  const batch = g.batch ?? 1, zsum = g.zsum ?? 1;
  const sa = g.strideA ?? 0, sb = g.strideB ?? 0;
  const ba = g.baseA ?? 0, bb = g.baseB ?? 0, bc = g.baseC ?? 0;
  if (batch > 65535) throw new Error(`matmul: batch ${batch} exceeds 65535`);
  const acc = g.accumulate ? 1 : 0;
  const il = g.interleaveA ?? false, ilB = g.interleaveB ?? false, ilC = g.interleaveC ?? false;
  // The vec4 kernel's conditions; an interleaved operand's stride and base are unused.
  const vec4 = gemmAligned(M, N, K, transA) &&
    [il ? 0 : sa, ilB ? 0 : sb, il ? 0 : ba, ilB ? 0 : bb, bc].every((v) => v % 4 === 0);
  if ((il || ilB || ilC) && !(gemmInterleaves(M, N, K) && vec4 && zsum === 1 && !(il && transA))) {
    throw new Error(
      `matmul: interleaved slices need the cpu family's vec4 kernel, no slice sum (and A untransposed)`,
    );
  }
  if (ilC && (N / 4) % C_GROUP !== 0) {
    throw new Error(`matmul: interleaved C needs N / 4 (${N} / 4) to be a multiple of ${C_GROUP}`);
  }
  const blockA = il ? Math.min(g.interleaveBlockA ?? batch, batch) : 1;
  if (!Number.isInteger(blockA) || blockA < 1) {
    throw new Error(`matmul: interleaveBlockA must be a positive integer, got ${g.interleaveBlockA}`);
  }
  if (gemmFamily() === "gpu") {
    // Shared-memory block tiling: one kernel for every shape and alignment (64x64 blocks).
    const groups = [Math.ceil(N / 64), Math.ceil(M / 64), batch];
    launch("matmul.tiled", tiledSrc, {}, [g.a, g.b, g.c], stridedParams(g, transA, transB, acc), groups);
    return;
  }
  if (vec4) {
    const slices = batch * zsum;
    const tile = cpuTile({ M, N, K, flop: 2 * M * N * K * slices, plain: zsum === 1 && !acc, transB });
    const { TM, TN4 } = tile;
    const WG = TILE.WG;
    // Interleaved operands have zsum 1: their slices are the batch's.
    const layoutA = operandLayout((transA ? M : K) / 4, transA ? K : M, slices, sa, ba, il);
    const layoutB = operandLayout((transB ? K : N) / 4, transB ? N : K, slices, sb, bb, ilB);
    const texA = useTexture(layoutA, Math.ceil(N / 4 / TN4)), texB = useTexture(layoutB, Math.ceil(M / TM));
    const ta = texA ? packTexture(g.a, layoutA) : null, tb = texB ? packTexture(g.b, layoutB) : null;
    // A textured operand's offset is its layer: base 0, one layer per slice (0 broadcasts).
    const cgroups = Math.ceil(N / 4 / TN4);
    // Split K: `parts` products over ranges of ks4 vec4s of K, into a partial buffer.
    // Interleaved C is written by the product itself (the split-K sum pass writes planar slices).
    const want = ilC ? 1 : splitParts(batch * cgroups, K, zsum, batch * M * N);
    const ks4 = Math.ceil(K / 4 / want), parts = Math.ceil(K / 4 / ks4);
    const partial = parts > 1 ? Tensor.empty([batch * parts * M * N]) : null;
    const cslices = batch * parts; // C slices the kernel writes (partial ones when split)
    // Interleaved operands' slices are placed by the kernel (A's blocks, B's groups, C's groups
    // with sc = C_GROUP), not by a slice stride and base: those are 0.
    const params = new Params().u32(M, N, K, partial ? ks4 : zsum)
      .u32(
        il ? 0 : ta ? (sa ? 1 : 0) : sa / 4,
        ilB ? 0 : tb ? (sb ? 1 : 0) : sb / 4,
        ilC ? C_GROUP : (M * N) / 4,
        cgroups,
      )
      .u32(ta || il ? 0 : ba / 4, tb || ilB ? 0 : bb / 4, partial ? 0 : bc / 4, cslices)
      .u32(il ? batch : 1, ilC ? batch : 1, ilB ? batch : 1, blockA).bytes();
    const groups = [Math.ceil((cslices * cgroups) / WG), Math.ceil(M / TM / TILE.WGY), 1];
    const mode: SliceMode = partial ? "split" : zsum > 1 ? "loop" : "one";
    const size = tile === HUGE_TILE
      ? ".huge"
      : tile === WIDE_TILE
      ? ".wide"
      : tile === BIG_TILE
      ? ".big"
      : "";
    const name = `matmul${size}${transA ? ".tA" : ""}${transB ? ".tB" : ""}${zsum > 1 ? ".sum" : ""}${
      partial ? ".split" : ""
    }${ta ? ".texA" : ""}${tb ? ".texB" : ""}`;
    const src = matmulSource(transA, transB, mode, { TM, TN4, texA, texB });
    const rt = runtime();
    const bindings: Binding[] = [ta ? ta.view : g.a, tb ? tb.view : g.b, partial ? partial.range : g.c];
    rt.dispatch(rt.kernel(name, src, { ACCUM: partial ? 0 : acc }), bindings, params, groups);
    if (ta) rt.textures.release(ta);
    if (tb) rt.textures.release(tb);
    if (partial) {
      const n4 = (M * N) / 4;
      const sum = new Params().u32(n4, batch, bc / 4).bytes();
      launch(
        "matmul.split_sum",
        splitSumSrc,
        { PARTS: parts, ACCUM: acc },
        [partial, g.c],
        sum,
        gridStride(batch * n4, 256, 4),
      );
      partial.dispose();
    }
  } else {
    const params = stridedParams(g, transA, transB, acc);
    launch("matmul.naive", naiveSrc, {}, [g.a, g.b, g.c], params, [
      Math.ceil(N / 16),
      Math.ceil(M / 16),
      batch,
    ]);
  }
}

/** y = x W^T + b for x [batch, in], W [out, in], b [out] (PyTorch's nn.Linear layout). */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, weight, false, true);
  return bias ? add(y, bias) : y;
}
