/**
 * Winograd F(m x m, 3x3) convolution (Lavin & Gray 2016) for 3x3, stride-1, pad-1 convolutions,
 * NCHW, groups = 1, with output tiles of m = 2 or 4: the 88% of a CIFAR ResNet-18 step that are
 * such convolutions do 2.25x (m = 2) or 4x (m = 4) fewer multiplications than through im2col.
 *
 * The output is cut into m x m tiles (TH x TW per image; a tile hanging over an edge computes
 * outputs that are dropped). Each tile's (m+2) x (m+2) input patch d becomes V = B^T d B, each
 * filter g becomes U = G g G^T, and the tile's outputs are A^T (U . V) A, where the elementwise
 * product summed over input channels is, for each of the E = (m+2)^2 transformed elements e, one
 * GEMM U[e] [Co x Ci] x V[e] [Ci x tiles]: E products in one batched {@link gemm}, the chunk's
 * images side by side in the columns (so small maps still fill the GEMM's column tiles).
 *
 * Backward: dx is itself the stride-1 pad-1 convolution of dy with the filter flipped in both axes
 * and its channel axes swapped, so it runs through the same forward with that filter's transform.
 * dw is the exact gradient of the forward: per e, dU[e] = sum over tiles of (A dy_t A^T)[e] x
 * V_t[e]^T (one GEMM over the tile axis), then dw = G^T dU G.
 *
 * Layouts: transformed operands are [E, rows, cols] with the GEMM depth (channels) rounded up
 * to a multiple of 4 by zero rows/columns, and the tile count of a chunk rounded up to a
 * multiple of 4 by zero columns. When the whole batch is one chunk and the weight gradient will
 * be needed, the forward builds the transformed input tiles-major and keeps it for the weight
 * gradient (winogradSettings.keepInputTiles), as im2col's columns are not: the weight gradient
 * then transforms only dy. Otherwise transformed inputs are rebuilt per chunk of images in
 * backward. The shaders (shaders/winograd_*.wgsl) are templates whose transform bodies
 * {@link winogradSource} writes out from the matrices.
 *
 * @module
 */
import tilesText from "../../shaders/winograd_tiles.wgsl" with { type: "text" };
import outputText from "../../shaders/winograd_output.wgsl" with { type: "text" };
import filterTemplate from "../../shaders/winograd_filter.wgsl" with { type: "text" };
import { Params } from "../gpu/params.ts";
import { bucketSize } from "../gpu/pool.ts";
import { Tensor } from "../tensor/tensor.ts";
import { batchNormReluOf } from "./batch_norm.ts";
import { grid, gridStride, launch, shaderSource } from "./launch.ts";
import { BIG_TILE, C_GROUP, gemm, gemmFamily, interleaveBlockFor, interleavedCPays } from "./matmul.ts";

const tilesTemplate = shaderSource(tilesText);
const outputTemplate = shaderSource(outputText);

/** Output tile sides with a transform here. */
export type WinogradTile = 2 | 4;

/** B^T, G and A^T of F(m x m, 3x3) (Lavin & Gray 2016, with interpolation points 0, +-1, +-2). */
const MATRICES: Record<WinogradTile, { BT: number[][]; G: number[][]; AT: number[][] }> = {
  2: {
    BT: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
    G: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
    AT: [[1, 1, 1, 0], [0, 1, -1, -1]],
  },
  4: {
    BT: [
      [4, 0, -5, 0, 1, 0],
      [0, -4, -4, 1, 1, 0],
      [0, 4, -4, -1, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 2, -1, -2, 1, 0],
      [0, 4, 0, -5, 0, 1],
    ],
    G: [
      [1 / 4, 0, 0],
      [-1 / 6, -1 / 6, -1 / 6],
      [-1 / 6, 1 / 6, -1 / 6],
      [1 / 24, 1 / 12, 1 / 6],
      [1 / 24, -1 / 12, 1 / 6],
      [0, 0, 1],
    ],
    AT: [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
  },
};

const transpose = (a: number[][]) => a[0].map((_, j) => a.map((row) => row[j]));

/** A linear combination as WGSL: terms with zero coefficients dropped, `zero` when none is left. */
function lin(terms: [number, string][], zero: string): string {
  let out = "";
  for (const [c, x] of terms) {
    if (c === 0) continue;
    const mag = Math.abs(c) === 1 ? x : `${Math.abs(c)} * ${x}`;
    out += out ? (c < 0 ? ` - ${mag}` : ` + ${mag}`) : (c < 0 ? `-${mag}` : mag);
  }
  return out || zero;
}

/**
 * Index of transformed element e (of E) of vec4 `q` in a transform's output or the products:
 * planar, plane e (`plane` vec4s each) at q; interleaved, the E elements of q side by side (the
 * filter transform's one block, GemmArgs.interleaveA).
 */
function elementAt(e: number, q: string, E: number, interleaved: boolean, plane = "plane"): string {
  return interleaved ? `(${q}) * ${E}u + ${e}u` : `${e}u * ${plane} + ${q}`;
}

/**
 * Index of element e (of E) of the products' vec4 i (r * TP / 4 + t4 of the forward's and input
 * gradient's, co * KP / 4 + ci4 of the weight gradient's): planar, plane e (`plane` vec4s) at i;
 * interleaved, in groups of C_GROUP vec4s of one element (GemmArgs.interleaveC).
 */
function productAt(e: number, E: number, interleaved: boolean, i = "i", plane = "plane"): string {
  if (!interleaved) return elementAt(e, i, E, false, plane);
  return `(${i} / ${C_GROUP}u) * ${C_GROUP * E}u + ${C_GROUP * e}u + ${i} % ${C_GROUP}u`;
}

/**
 * Index of transformed element e (of E) of the filter transform's vec4 (r, k4) (`at` = r * KP4 +
 * k4): planar, plane e (`stride` vec4s each) at `at`; interleaved in blocks of `block` elements
 * (0: one block of E), the layout GemmArgs.interleaveA / interleaveBlockA describe.
 */
function filterElementAt(e: number, E: number, interleaved: boolean, block: number): string {
  if (!interleaved || !block || block >= E) return elementAt(e, "at", E, interleaved, "stride");
  const b = Math.floor(e / block), w = Math.min(block, E - b * block);
  return `r * KP4 * ${E}u + ${b * block}u * KP4 + (k0 / 4u) * ${w}u + ${e % block}u`;
}

/**
 * Tap j (0..8) of the four filters whose 36 taps were loaded as vec4s v0..v8 (filter l's taps are
 * elements 9 * l .. 9 * l + 8), as the four lanes of one vec4's components.
 */
function quadTaps(j: number): string[] {
  return [0, 1, 2, 3].map((l) => `v${Math.floor((9 * l + j) / 4)}.${"xyzw"[(9 * l + j) % 4]}`);
}

/**
 * Statements computing L X L^T for X = x(r, q) (n x n, names from `x`), L p x n: first the
 * columns (`t{i}_{q}`), then `out(i, j, expression)` for the p x p results.
 */
function sandwich(
  L: number[][],
  x: (r: number, q: number) => string,
  zero: string,
  out: (i: number, j: number, e: string) => string,
): string[] {
  const p = L.length, n = L[0].length;
  const lines: string[] = [];
  for (let i = 0; i < p; i++) {
    for (let q = 0; q < n; q++) {
      lines.push(`let t${i}_${q} = ${lin(L[i].map((c, r) => [c, x(r, q)]), zero)};`);
    }
  }
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) lines.push(out(i, j, lin(L[j].map((c, q) => [c, `t${i}_${q}`]), zero)));
  }
  return lines;
}

const generated = new Map<string, string>();

/** How the tile transforms load x: one f32 per patch element. */
const SCALAR_SOURCE = `@group(0) @binding(1) var<storage, read> x: array<f32>;

fn at(o: vec3<i32>, dr: i32, dc: i32) -> f32 {
  let r = o.y + dr;
  let q = o.z + dc;
  if (o.x < 0 || r < 0 || q < 0 || r >= i32(H) || q >= i32(W)) { return 0.0; }
  return x[u32(o.x) + u32(r) * W + u32(q)];
}

// Element (dr, dc) of the 4 tiles' patches as one vec4.
fn lanes(o0: vec3<i32>, o1: vec3<i32>, o2: vec3<i32>, o3: vec3<i32>, dr: i32, dc: i32) -> vec4<f32> {
  return vec4<f32>(at(o0, dr, dc), at(o1, dr, dc), at(o2, dr, dc), at(o3, dr, dc));
}`;

/**
 * How the F(4x4) tile transforms load x when W % 4 == 0: patch rows as aligned vec4s. A tile's
 * columns start at 4 * tw (its patch one column before), so row dr's vec4 c4 covers columns
 * 4 * tw + 4 * c4 ..+3, wholly inside or wholly outside the row (zero then). An input patch row
 * (columns -1..4 of the tile) is the vec4 c4 = 0 and two single floats, column -1 (the .w of
 * vec4 -1) and column 4 (the .x of vec4 1): under llvmpipe one f32 load costs ~11 ns of wall time
 * per 8-lane group, a vec4 load ~29 ns (bench/load_cost.ts), so 51 ns a row rather than 87.
 */
const ROW_SOURCE = `@group(0) @binding(1) var<storage, read> xv: array<vec4<f32>>;

fn quad(o: vec3<i32>, dr: i32, c4: i32) -> vec4<f32> {
  let r = o.y + dr;
  let q = o.z + BACK + 4 * c4;
  if (o.x < 0 || r < 0 || q < 0 || r >= i32(H) || q >= i32(W)) { return vec4<f32>(0.0); }
  return xv[(u32(o.x) + u32(r) * W + u32(q)) / 4u];
}

// Column dc of row dr of the patch at o (the tile's columns are dc = BACK..BACK+3), or zero.
fn single(o: vec3<i32>, dr: i32, dc: i32) -> f32 {
  let r = o.y + dr;
  let q = o.z + dc;
  if (o.x < 0 || r < 0 || q < 0 || r >= i32(H) || q >= i32(W)) { return 0.0; }
  let e = u32(o.x) + u32(r) * W + u32(q);
  return xv[e / 4u][e % 4u];
}`;

/**
 * How the F(4x4) tile transforms load x when W % 4 == 2 (a 14x14 map): patch columns in pairs,
 * one aligned vec2 per two (planes and rows start at even offsets). Under llvmpipe every load
 * is a loop over the SIMD lanes, so a vec2 costs about what a float does.
 */
const PAIR_SOURCE = `@group(0) @binding(1) var<storage, read> xp: array<vec2<f32>>;

// Columns dc, dc + 1 of row dr of the patch at o (o.z + dc even), or zero past the map (W is
// even, so a pair is wholly inside or outside a row).
fn pair(o: vec3<i32>, dr: i32, dc: i32) -> vec2<f32> {
  let r = o.y + dr;
  let q = o.z + dc;
  if (o.x < 0 || r < 0 || q < 0 || r >= i32(H) || q >= i32(W)) { return vec2<f32>(0.0); }
  return xp[(u32(o.x) + u32(r) * W + u32(q)) / 2u];
}`;

/**
 * A SOURCE whose loads apply a deferred relu(batch_norm(x)) (BatchNormReluPayload of
 * src/ops/batch_norm.ts) to the values inside the map: each loader takes its channel's
 * coefficients k (mean, invstd * weight, bias, 0) after the origin (lanes: k0..k3 after o0..o3),
 * and returns max(fma(v - k.x, k.y, k.z), 0), batch_norm_apply.wgsl's operations in its order,
 * so the tiles are those of the stored map bit for bit. Padding (outside the map) stays zero:
 * the convolution pads the activation, not x. The coefficients are bound at 3, one vec4 per
 * channel.
 */
function activated(source: string): string {
  const out = source
    .replace(/fn (at|quad|single|pair)\(o: vec3<i32>, /g, "fn $1(o: vec3<i32>, k: vec4<f32>, ")
    .replace(
      "fn lanes(o0: vec3<i32>, o1: vec3<i32>, o2: vec3<i32>, o3: vec3<i32>, ",
      "fn lanes(o0: vec3<i32>, o1: vec3<i32>, o2: vec3<i32>, o3: vec3<i32>, k0: vec4<f32>, k1: vec4<f32>, k2: vec4<f32>, k3: vec4<f32>, ",
    )
    .replace(
      "vec4<f32>(at(o0, dr, dc), at(o1, dr, dc), at(o2, dr, dc), at(o3, dr, dc))",
      "vec4<f32>(at(o0, k0, dr, dc), at(o1, k1, dr, dc), at(o2, k2, dr, dc), at(o3, k3, dr, dc))",
    )
    // By what is loaded: a vec4 of a row (xv[i]), a pair (xp[i]), or one float (x[i], xv[i][j]).
    .replace(/return (xv|xp|x)(\[.*\]);/g, (_, b: string, idx: string) => {
      const f = b === "xp" ? "act2" : b === "xv" && !idx.includes("][") ? "act4" : "act";
      return `return ${f}(${b}${idx}, k);`;
    });
  if (
    (out.match(/return act[24]?\(/g) ?? []).length !==
      (out.match(/^fn (at|quad|single|pair)\(/gm) ?? []).length
  ) {
    throw new Error("winograd: a loader of the tile transforms' SOURCE was not activated");
  }
  return `${out}
@group(0) @binding(3) var<storage, read> coef: array<vec4<f32>>;

// Channel c's coefficients (padding channels c >= C load nothing: their origin is -1).
fn coefOf(c: u32) -> vec4<f32> {
  return coef[min(c, C - 1u)];
}

fn act(v: f32, k: vec4<f32>) -> f32 {
  return max(fma(v - k.x, k.y, k.z), 0.0);
}

fn act2(v: vec2<f32>, k: vec4<f32>) -> vec2<f32> {
  return max(fma(v - vec2<f32>(k.x), vec2<f32>(k.y), vec2<f32>(k.z)), vec2<f32>(0.0));
}

fn act4(v: vec4<f32>, k: vec4<f32>) -> vec4<f32> {
  return max(fma(v - vec4<f32>(k.x), vec4<f32>(k.y), vec4<f32>(k.z)), vec4<f32>(0.0));
}`;
}

/** How the output transform stores y: one f32 per output. */
const SCALAR_TARGET = `@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> addend: array<f32>;

// Stores output (a, b) of the tile at \`base\` unless it lies past the map.
fn put(base: i32, a: u32, b: u32, v: f32) {
  if (base < 0) { return; }
  let q = u32(base) % W + b;
  let r = (u32(base) / W) % H + a;
  let e = u32(base) + a * W + b;
  if (q < W && r < H) { y[e] = select(v, addend[e] + v, ADD); }
}`;

/** How the F(4x4) output transform stores y when W % 4 == 0: a tile's output row as one vec4. */
const ROW_TARGET = `@group(0) @binding(2) var<storage, read_write> yv: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> addend: array<vec4<f32>>;

// Stores output row a of the tile at \`base\` unless it lies past the map (its 4 columns are
// inside the map when W % 4 == 0).
fn putRow(base: i32, a: u32, v: vec4<f32>) {
  if (base < 0) { return; }
  let e = (u32(base) + a * W) / 4u;
  if ((u32(base) / W) % H + a < H) { yv[e] = select(v, addend[e] + v, ADD); }
}`;

/**
 * How the F(4x4) output transform stores y when W % 4 == 2: a tile's output row as two aligned
 * vec2s, each wholly inside or outside the map.
 */
const PAIR_TARGET = `@group(0) @binding(2) var<storage, read_write> yp: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> addend: array<vec2<f32>>;

// Stores columns 2 * b2, 2 * b2 + 1 of output row a of the tile at \`base\` unless they lie past
// the map.
fn putPair(base: i32, a: u32, b2: u32, v: vec2<f32>) {
  if (base < 0) { return; }
  let e = (u32(base) + a * W) / 2u + b2;
  if ((u32(base) / W) % H + a < H && u32(base) % W + 2u * b2 < W) { yp[e] = select(v, addend[e] + v, ADD); }
}`;

/**
 * How the F(4x4) tile transforms move rows of patches and outputs: one float at a time, or in
 * aligned vec2s (W % 4 == 2) or vec4s (W % 4 == 0). See {@link rowAccess}.
 */
export type RowAccess = "f32" | "vec2" | "vec4";

/** The WGSL of one Winograd kernel for tile side m, its transform written out (see the shaders). */
export function winogradSource(
  kind: "input" | "grad" | "output" | "filter",
  m: WinogradTile,
  access: RowAccess = "f32",
  runs = false,
  filterMode: 0 | 1 | 2 = 0,
  interleaved = false,
  block = 0,
  act = false,
): string {
  if (act && !runs) {
    throw new Error("winograd: a deferred batch norm + ReLU is applied by the runs of input tiles only");
  }
  if (
    access !== "f32" &&
    (kind === "filter"
      ? access !== "vec4" || filterMode === 1
      : m !== 4 || (access === "vec2" && kind === "input" && !runs))
  ) {
    throw new Error(
      `winograd: ${access} row loads and stores are not for the ${kind} F(${m}x${m})${
        runs ? " runs" : ""
      } transform`,
    );
  }
  const rowLoads = access === "vec4", pairs = access === "vec2";
  if (runs && (m !== 4 || kind !== "input")) {
    throw new Error(`winograd: runs of tiles are for the F(4x4) input transform, not ${kind} F(${m}x${m})`);
  }
  if (
    interleaved && !(kind === "output" || kind === "filter" || (kind === "input" && runs))
  ) {
    throw new Error(
      `winograd: interleaved elements are for the output, the runs of input tiles and the filter transforms`,
    );
  }
  const key = `${kind}${m}${access}${runs}${kind === "filter" ? filterMode : ""}${interleaved}${block}${act}`;
  const hit = generated.get(key);
  if (hit) return hit;
  const { BT, G, AT } = MATRICES[m];
  const alpha = m + 2, v4 = "vec4<f32>(0.0)";
  const consts = `const MT = ${m}u;\nconst ALPHA = ${alpha}u;\nconst BACK = ${kind === "input" ? 1 : 0};`;
  const lanes = "xyzw";
  let body: string[];
  let src: string;
  let run = "";
  if (runs) {
    body = [];
    run = runSource(access, alpha, interleaved, act);
    src = tilesTemplate;
  } else if (kind === "input" || kind === "grad") {
    const n = kind === "input" ? alpha : m;
    body = [];
    if (rowLoads) {
      // Input patch columns -1..4 are single column -1, vec4 0, single column 4; gradient
      // columns 0..3 are vec4 0.
      for (let r = 0; r < n; r++) {
        for (let l = 0; l < 4; l++) body.push(`let q${r}_${l} = quad(o${l}, ${r}, 0);`);
        for (let q = 0; q < n; q++) {
          const col = kind === "input" ? q - 1 : q; // column of the tile (-1..4 or 0..3)
          const parts = [0, 1, 2, 3].map((l) =>
            col >= 0 && col < 4 ? `q${r}_${l}.${lanes[col]}` : `single(o${l}, ${r}, ${q})`
          );
          body.push(`let d${r}_${q} = vec4<f32>(${parts.join(", ")});`);
        }
      }
    } else if (pairs) {
      // Gradient patch columns 0..3 as two vec2s (the input transform takes pairs in runs only).
      for (let r = 0; r < n; r++) {
        for (let l = 0; l < 4; l++) {
          body.push(`let p${r}_${l}_0 = pair(o${l}, ${r}, 0);`, `let p${r}_${l}_1 = pair(o${l}, ${r}, 2);`);
        }
        for (let q = 0; q < n; q++) {
          const parts = [0, 1, 2, 3].map((l) => `p${r}_${l}_${q >> 1}.${lanes[q & 1]}`);
          body.push(`let d${r}_${q} = vec4<f32>(${parts.join(", ")});`);
        }
      }
    } else {
      for (let r = 0; r < n; r++) {
        for (let q = 0; q < n; q++) body.push(`let d${r}_${q} = lanes(o0, o1, o2, o3, ${r}, ${q});`);
      }
    }
    const L = kind === "input" ? BT : transpose(AT);
    body.push(
      ...sandwich(L, (r, q) => `d${r}_${q}`, v4, (i, j, e) => `outv[${i * alpha + j}u * plane + i] = ${e};`),
    );
    src = tilesTemplate;
  } else if (kind === "output") {
    body = [];
    for (let e = 0; e < alpha * alpha; e++) {
      body.push(
        `let m${Math.floor(e / alpha)}_${e % alpha} = m[${productAt(e, alpha * alpha, interleaved)}];`,
      );
    }
    body.push(...sandwich(AT, (r, q) => `m${r}_${q}`, v4, (i, j, e) => `let o${i}_${j} = ${e};`));
    for (let l = 0; l < 4; l++) {
      body.push(`let base${l} = tileBase(t4 * 4u + ${l}u, r);`);
      for (let a = 0; a < m; a++) {
        if (rowLoads) {
          const row = [0, 1, 2, 3].map((b) => `o${a}_${b}.${lanes[l]}`).join(", ");
          body.push(`putRow(base${l}, ${a}u, vec4<f32>(${row}));`);
          continue;
        }
        if (pairs) {
          for (let b2 = 0; b2 < 2; b2++) {
            const two = [0, 1].map((b) => `o${a}_${2 * b2 + b}.${lanes[l]}`).join(", ");
            body.push(`putPair(base${l}, ${a}u, ${b2}u, vec2<f32>(${two}));`);
          }
          continue;
        }
        for (let b = 0; b < m; b++) body.push(`put(base${l}, ${a}u, ${b}u, o${a}_${b}.${lanes[l]});`);
      }
    }
    src = outputTemplate;
  } else {
    // The filter transforms (kind "filter"), one source per mode (see winograd_filter.wgsl).
    // access "vec4" (modes 0 and 2, CI % 4 == 0): the 36 taps of the invocation's four filters
    // are 36 consecutive floats, moved as 9 vec4s (see quadTaps).
    const quads = access === "vec4";
    const lines: string[] = [];
    let bindings: string;
    if (filterMode < 2) {
      bindings = `@group(0) @binding(1) var<storage, read> src: array<${quads ? "vec4<f32>" : "f32"}>;\n` +
        "@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;";
      // i = r * KP4 + k4 over the output rows r and padded column quads k4. (With k4 * rows + r,
      // lanes along the rows, mode 1 ran 0.9-1.0x as fast.)
      lines.push(
        "let KP4 = KP / 4u;",
        "let rows = select(CO, CI, MODE == 1u);",
        "let r = i / KP4;",
        "let k0 = (i % KP4) * 4u;",
        "let stride = rows * KP4; // vec4s per transformed element e",
        "let at = r * KP4 + k0 / 4u;",
      );
      if (quads) {
        // Mode 0 with KP == CI: filters (r, k0..k0+3) are taps (r * CI + k0) * 9 .. + 35.
        lines.push("let tb = (r * CI + k0) * 9u / 4u;");
        for (let q = 0; q < 9; q++) lines.push(`let v${q} = src[tb + ${q}u];`);
        for (let j = 0; j < 9; j++) {
          lines.push(`let g${Math.floor(j / 3)}_${j % 3} = vec4<f32>(${quadTaps(j).join(", ")});`);
        }
      } else {
        for (let j = 0; j < 9; j++) lines.push(`let g${Math.floor(j / 3)}_${j % 3} = taps(r, k0, ${j}u);`);
      }
      lines.push(
        ...sandwich(
          G,
          (r, q) => `g${r}_${q}`,
          v4,
          (i, j, e) => `dst[${filterElementAt(i * alpha + j, alpha * alpha, interleaved, block)}] = ${e};`,
        ),
      );
    } else {
      bindings = "@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;\n" +
        `@group(0) @binding(2) var<storage, read_write> dst: array<${quads ? "vec4<f32>" : "f32"}>;`;
      // i = co * CI4 + c4 over the output channels and quads of input channels.
      lines.push(
        "let KP4 = KP / 4u;",
        "let CI4 = (CI + 3u) / 4u;",
        "let co = i / CI4;",
        "let ci0 = (i % CI4) * 4u;",
        "let stride = CO * KP4; // vec4s per transformed element e",
        "let at = co * KP4 + ci0 / 4u;",
      );
      for (let e = 0; e < alpha * alpha; e++) {
        lines.push(
          `let d${Math.floor(e / alpha)}_${e % alpha} = src[${
            productAt(e, alpha * alpha, interleaved, "at", "stride")
          }];`,
        );
      }
      lines.push(
        ...sandwich(transpose(G), (r, q) => `d${r}_${q}`, v4, (i, j, e) => `let o${i}_${j} = ${e};`),
      );
      if (quads) {
        // CI % 4 == 0: the four filters' taps are (co * CI + ci0) * 9 .. + 35, element 9 * l + j
        // tap j of filter ci0 + l.
        lines.push("let b = (co * CI + ci0) * 9u / 4u;");
        const tapOf = (e: number) => `o${Math.floor((e % 9) / 3)}_${e % 3}.${lanes[Math.floor(e / 9)]}`;
        for (let q = 0; q < 9; q++) {
          lines.push(`dst[b + ${q}u] = vec4<f32>(${[0, 1, 2, 3].map((u) => tapOf(4 * q + u)).join(", ")});`);
        }
      }
      for (let l = 0; l < 4 && !quads; l++) {
        lines.push(`if (ci0 + ${l}u < CI) {`, `  let b${l} = (co * CI + ci0 + ${l}u) * 9u;`);
        for (let j = 0; j < 9; j++) {
          lines.push(`  dst[b${l} + ${j}u] = o${Math.floor(j / 3)}_${j % 3}.${lanes[l]};`);
        }
        lines.push("}");
      }
    }
    const template = filterMode < 2 && !quads
      ? filterTemplate
      : filterTemplate.replace(/\/\/@TAPS[\s\S]*?\/\/@END\n/, "");
    const out = template.replace("//@CONSTANTS", `${consts}\nconst MODE = ${filterMode}u;`)
      .replace("//@BINDINGS", bindings).replace("//@MAIN", lines.join("\n  "));
    generated.set(key, out);
    return out;
  }
  const source = kind === "input" || kind === "grad"
    ? (act ? activated : (t: string) => t)(
      { f32: SCALAR_SOURCE, vec2: PAIR_SOURCE, vec4: ROW_SOURCE }[access],
    )
    : "";
  const target = kind === "output" ? { f32: SCALAR_TARGET, vec2: PAIR_TARGET, vec4: ROW_TARGET }[access] : "";
  const out = src.replace("//@CONSTANTS", consts).replace("//@SOURCE", source).replace("//@TARGET", target)
    .replace("//@BODY", body.join("\n    ")).replace("//@RUN", run);
  generated.set(key, out);
  return out;
}

/**
 * The RUN block of winograd_tiles.wgsl for the F(4x4) input transform, tiles-major: invocation
 * (image s, tile row th, channel quad c4) walks the row's tiles left to right. Neighbouring
 * patches share two columns, so each tile loads only its four new columns of each patch row:
 * one vec4 per row and channel with row loads (where the per-tile kernel loads a vec4 and two
 * floats), four floats without. Columns carried from the previous tile are loop variables.
 * Invocations past the runs zero the padding tiles (t >= NB * T), which the weight gradient's
 * GEMM sums over.
 */
function runSource(access: RowAccess, alpha: number, interleaved: boolean, act: boolean): string {
  const lanes = "xyzw", L = [0, 1, 2, 3];
  // With `act` (a deferred batch norm + ReLU), each lane's loads also take its channel's
  // coefficients k0..k3 (see activated).
  const k = (l: number) => (act ? `, k${l}` : "");
  const k4 = act ? ", k0, k1, k2, k3" : "";
  // Where element e of channel quad c4 of a tile goes: planar, plane e at tile * CP4 + c4;
  // interleaved, the tile's row of CP4 * E vec4s laid out by groupedAt (GemmArgs.interleaveB).
  const E = alpha * alpha;
  const at = (e: number, tile: string, c4: string) =>
    interleaved
      ? `(${tile}) * CP4 * ${E}u + groupedAt(${c4}, CP4, ${e}u, ${E}u)`
      : elementAt(e, `(${tile}) * CP4 + ${c4}`, E, false);
  const lines: string[] = [];
  const across = (f: (l: number) => string) => `vec4<f32>(${L.map(f).join(", ")})`;
  // Carried columns, per patch row r: vec4: cur{r}_{l} = columns 4tw..4tw+3 of lane l and
  // left{r} = column 4tw-1 across lanes; vec2: cl{r}, c0{r}, c1{r} = columns 4tw-1..4tw+1 across
  // lanes (the tile loads the pairs at 4tw+2 and 4tw+4); f32: a{r}, b{r} = columns 4tw-1, 4tw.
  // Patch column dc is map column dc - 1 of the row's first tile (o.z = -1).
  for (let r = 0; r < alpha; r++) {
    if (access === "vec4") {
      for (const l of L) lines.push(`var cur${r}_${l} = quad(o${l}${k(l)}, ${r}, 0);`);
      lines.push(`var left${r} = vec4<f32>(0.0);`);
    } else if (access === "vec2") {
      for (const l of L) lines.push(`let first${r}_${l} = pair(o${l}${k(l)}, ${r}, 1);`);
      lines.push(`var cl${r} = vec4<f32>(0.0);`);
      lines.push(`var c0${r} = ${across((l) => `first${r}_${l}.x`)};`);
      lines.push(`var c1${r} = ${across((l) => `first${r}_${l}.y`)};`);
    } else {
      lines.push(`var a${r} = lanes(o0, o1, o2, o3${k4}, ${r}, 0);`);
      lines.push(`var b${r} = lanes(o0, o1, o2, o3${k4}, ${r}, 1);`);
    }
  }
  const step: string[] = [];
  for (let r = 0; r < alpha; r++) {
    if (access === "vec4") {
      for (const l of L) step.push(`let nx${r}_${l} = quad(o${l}${k(l)}, ${r}, i32(tw) + 1);`);
      step.push(`let d${r}_0 = left${r};`);
      for (let q = 1; q <= 4; q++) {
        step.push(`let d${r}_${q} = ${across((l) => `cur${r}_${l}.${lanes[q - 1]}`)};`);
      }
      step.push(`let d${r}_5 = ${across((l) => `nx${r}_${l}.x`)};`);
    } else if (access === "vec2") {
      for (const l of L) {
        step.push(`let pa${r}_${l} = pair(o${l}${k(l)}, ${r}, i32(4u * tw) + 3);`);
        step.push(`let pb${r}_${l} = pair(o${l}${k(l)}, ${r}, i32(4u * tw) + 5);`);
      }
      step.push(`let d${r}_0 = cl${r};`, `let d${r}_1 = c0${r};`, `let d${r}_2 = c1${r};`);
      step.push(`let d${r}_3 = ${across((l) => `pa${r}_${l}.x`)};`);
      step.push(`let d${r}_4 = ${across((l) => `pa${r}_${l}.y`)};`);
      step.push(`let d${r}_5 = ${across((l) => `pb${r}_${l}.x`)};`);
    } else {
      step.push(`let d${r}_0 = a${r};`, `let d${r}_1 = b${r};`);
      for (let q = 2; q <= 5; q++) {
        step.push(`let d${r}_${q} = lanes(o0, o1, o2, o3${k4}, ${r}, i32(4u * tw) + ${q});`);
      }
    }
  }
  step.push(
    ...sandwich(
      MATRICES[4].BT,
      (r, q) => `d${r}_${q}`,
      "vec4<f32>(0.0)",
      (i, j, e) => `outv[${at(i * alpha + j, "t0 + tw", "c4")}] = ${e};`,
    ),
  );
  for (let r = 0; r < alpha; r++) {
    if (access === "vec4") {
      step.push(`left${r} = ${across((l) => `cur${r}_${l}.w`)};`);
      for (const l of L) step.push(`cur${r}_${l} = nx${r}_${l};`);
    } else if (access === "vec2") {
      step.push(`cl${r} = d${r}_4;`, `c0${r} = d${r}_5;`, `c1${r} = ${across((l) => `pb${r}_${l}.y`)};`);
    } else {
      step.push(`a${r} = d${r}_4;`, `b${r} = d${r}_5;`);
    }
  }
  const zeros = [];
  for (let e = 0; e < alpha * alpha; e++) {
    zeros.push(`outv[${at(e, "t", "j % CP4")}] = vec4<f32>(0.0);`);
  }
  return `{
    let CP4 = CP / 4u;
    let plane = CP4 * TP;
    let i = (wid.y * nw.x + wid.x) * 64u + li;
    let runs = NB * TH * CP4;
    if (i >= runs) {
      let j = i - runs;
      let t = NB * TH * TW + j / CP4;
      if (t < TP) {
        ${zeros.join("\n        ")}
      }
      return;
    }
    let c4 = i % CP4;
    let row = i / CP4; // s * TH + th
    let t0 = row * TW;
    let o0 = origin(t0, 4u * c4);
    let o1 = origin(t0, 4u * c4 + 1u);
    let o2 = origin(t0, 4u * c4 + 2u);
    let o3 = origin(t0, 4u * c4 + 3u);
    ${act ? L.map((l) => `let k${l} = coefOf(4u * c4 + ${l}u);`).join("\n    ") : ""}
    ${lines.join("\n    ")}
    for (var tw = 0u; tw < TW; tw++) {
      ${step.join("\n      ")}
    }
    return;
  }`;
}

const up4 = (v: number) => Math.ceil(v / 4) * 4;

/** Output tiles of an H x W map: rows, columns, and per image. */
function tileGrid(H: number, W: number, m: number): { TH: number; TW: number; T: number } {
  const TH = Math.ceil(H / m), TW = Math.ceil(W / m);
  return { TH, TW, T: TH * TW };
}

/** GEMM columns (tiles, rounded up to 4) of the largest chunk of x [N, C, H, W]. */
function tileColumns(x: Tensor, plan: WinogradPlan): number {
  const [N, , H, W] = x.shape;
  return up4(Math.min(plan.chunk, N) * tileGrid(H, W, plan.m).T);
}

/** How one convolution runs through Winograd: the tile side and the images per chunk. */
export interface WinogradPlan {
  /** Output tile side: 2 for F(2x2, 3x3), 4 for F(4x4, 3x3). */
  m: WinogradTile;
  /** Images transformed and multiplied together (bounded by the column-buffer budget). */
  chunk: number;
}

/**
 * The plan for a batch of N images of C x H x W into Co channels: the largest chunk whose
 * transformed operands (input tiles and products, [E, channels, tiles] each), as the pool rounds
 * them (bucketSize), fit in `maxBytes` in forward and both gradients. conv.ts passes what
 * im2col's chunks would hold, so switching paths never raises the peak of the chunks.
 *
 * The transformed filter ([E, Ci, Co], held once per call whatever the chunk) is charged to that
 * budget too (winogradSettings.chargeFilter), but no chunk is cut below 32 GEMM columns (one
 * BIG_TILE's width) for it: for ResNet-18's 512@4x4 layers the filter alone (36 MiB) exceeds
 * the budget, and cutting to one image per chunk padded each image's single tile to 4 GEMM
 * columns, 4x the FLOPs of the whole batch in 32x the dispatches (14.5 of the step's 52 GEMM
 * GFLOP). Not charging it at all kept whole batches there, and raised the batch-128 peak by 8 MiB.
 */
export function winogradPlan(
  m: WinogradTile,
  N: number,
  C: number,
  Co: number,
  H: number,
  W: number,
  maxBytes: number,
): WinogradPlan {
  const E = (m + 2) ** 2, T = tileGrid(H, W, m).T, Ci4 = up4(C), Co4 = up4(Co);
  const bytes = (floats: number) => bucketSize(4 * floats);
  const need = (nb: number) => {
    const TP = up4(nb * T);
    const forward = bytes(E * Ci4 * TP) + bytes(E * Co * TP);
    const input = bytes(E * Co4 * TP) + bytes(E * C * TP);
    return Math.max(forward, input); // the weight gradient's v and z are forward's sizes
  };
  const filter = winogradSettings.chargeFilter ? bytes(E * Math.max(Co * Ci4, C * Co4)) : 0;
  // The filter's share never cuts a chunk below MIN_COLUMNS; the temporaries' own size may.
  const least = Math.ceil(MIN_COLUMNS / T);
  let chunk = N;
  while (chunk > 1 && need(chunk) + (chunk > least ? filter : 0) > maxBytes) chunk--;
  return { m, chunk };
}

/**
 * GEMM columns (tiles) a chunk keeps when the transformed filter's size would cut it further:
 * one width of the cpu family's big register tile (32).
 */
const MIN_COLUMNS = BIG_TILE.TN4 * 4;

/** The Winograd tunables' defaults (see {@link winogradSettings}). */
const WINOGRAD_DEFAULTS = {
  /** Charge the transformed filter to the chunk budget, down to MIN_COLUMNS (see winogradPlan). */
  chargeFilter: true,
  /** The weight gradient's GEMM on tiles-major operands (see winogradBackwardWeight). */
  tilesMajorWeightGrad: true,
  /**
   * F(4x4) tile transforms load patch rows, and the output transform stores output rows, as vec4s
   * where W % 4 == 0 (shaders/winograd_tiles.wgsl, winograd_output.wgsl).
   */
  rowLoads: true,
  /**
   * A forward whose batch is one chunk, and whose weight gradient will be taken, keeps its
   * transformed input (tiles-major, [E, TP, KP]) for that gradient instead of the gradient
   * rebuilding it (see {@link winogradForward}). Costs that tensor's memory from forward to
   * backward; a batch split into chunks never keeps it, so the chunk budget still bounds the
   * temporaries of large batches.
   */
  keepInputTiles: true,
  /**
   * The F(4x4) input transform walks each tile row left to right (tiles-major), loading each
   * patch column once for the two patches it belongs to (see runSource), and so the forward and
   * the input gradient build their transformed inputs tiles-major and read them transposed.
   */
  runsOfTiles: true,
  /**
   * With rowLoads, maps whose width is 2 mod 4 (14x14) move patch and output rows as aligned
   * vec2s: the runs of tiles, the gradient transform and the output transform.
   */
  pairs: true,
  /**
   * The forward filter transform loads, and the weight gradient's stores, the 36 taps of an
   * invocation's four filters as 9 vec4s where CI % 4 == 0 (36 floats otherwise): under
   * llvmpipe each load or store is a loop over the SIMD lanes whatever its width. Each kernel
   * replayed alone on ResNet-18's filter sizes (64 to 512 channels, in a probe): the weight
   * gradient's transform 0.59-0.81x the time, the forward's 0.76-0.96x.
   */
  filterQuads: true,
  /**
   * The forward and input-gradient filter transforms write their E = 36 transformed elements of a
   * filter next to each other ([R, KP / 4, E] vec4s), one store stream per invocation, and the
   * GEMM reads A's slices interleaved (GemmArgs.interleaveA); planar ([E, R, KP]) they were E
   * streams. On ResNet-18's 256x256 and 512x512 filters the transform alone ran 2.2-2.8x faster
   * (6.0 -> 2.1 ms, 15.4 -> 6.9 ms, in a probe). The GEMM then reads each slice's texels 36 apart,
   * which costs back part of it (from storage, more than all of it: ResNet-18's 512x512 filter,
   * too large for a texture, ran its GEMMs 2.2x slower), so from storage the elements are side by
   * side in blocks of 4 (interleavedFilterBlock). "auto" where it measured faster (see
   * interleavedFilter), "on" wherever the GEMM can read it (tests), "off". cpu family only.
   */
  interleavedFilter: "auto" as "auto" | "on" | "off",
  /**
   * Elements per block of an interleaved filter transform ([R, KP / 4, E] vec4s in blocks, see
   * GemmArgs.interleaveBlockA): "auto" as the GEMM reads A best (interleaveBlockFor: all E
   * through a texture, 4 from storage), or a number (tests: blocks that do not divide E).
   */
  interleavedFilterBlock: "auto" as "auto" | number,
  /**
   * The forward's and input gradient's GEMM writes the products with their E = 36 elements
   * interleaved in groups of 4 vec4s (GemmArgs.interleaveC), and the output transform reads them
   * as two streams per SIMD group, not E: alone it ran 1.9-2.3x faster. Likewise the weight
   * gradient's products for the inverse filter transform (mode 2). "auto" wherever the GEMM takes
   * it (see interleavedProducts), "off" planar. cpu family only.
   */
  interleavedProducts: "auto" as "auto" | "off",
  /**
   * The runs of input tiles write the E = 36 transformed elements interleaved (each tile's row of
   * channel quads in groups of 4 of one element, GemmArgs.interleaveB), a few store streams per
   * SIMD group instead of E, and the GEMMs read B's slices so, from 64 channels (see
   * interleavedTiles). Measured with the elements side by side vec4 by vec4 (the layout before
   * the groups; the groups measured alike, within this machine's noise): one forward, its kernels
   * replayed (transform + GEMM), interleaved against planar: 0.76-0.98x on the default model's
   * and ResNet-18's layers (the transform 1.2-2.2x faster, the GEMM up to 1.25x slower); the
   * weight gradient's reads cost back the rest on small channel counts. "on": whatever the
   * channels (tests). cpu family only.
   */
  interleavedTiles: "auto" as "auto" | "on" | "off",
};

/** Winograd tunables; tests and A/B benches set them to check or time each path. */
export const winogradSettings: typeof WINOGRAD_DEFAULTS = { ...WINOGRAD_DEFAULTS };

/** Puts every Winograd tunable back to its default (A/B benches that change them). */
export function resetWinogradSettings(): void {
  Object.assign(winogradSettings, WINOGRAD_DEFAULTS);
}

/**
 * How the F(m x m) tile transforms of W-wide maps move patch and output rows: vec4s where
 * W % 4 == 0, vec2s where W % 4 == 2 (not the per-tile input transform), else floats.
 */
function rowAccess(m: WinogradTile, W: number, perTileInput = false): RowAccess {
  if (!winogradSettings.rowLoads || m !== 4) return "f32";
  if (W % 4 === 0) return "vec4";
  return W % 2 === 0 && winogradSettings.pairs && !perTileInput ? "vec2" : "f32";
}

/** Chunks of the batch: [n0, nb] pairs. */
function chunks(N: number, chunk: number): [number, number][] {
  const out: [number, number][] = [];
  for (let n0 = 0; n0 < N; n0 += chunk) out.push([n0, Math.min(chunk, N - n0)]);
  return out;
}

/**
 * Transforms images n0..n0+nb-1 of `src` ([N, C, H, W]) into `out` ([E, CP, TP], or [E, TP, CP]
 * when `tilesMajor`; CP a multiple of 4 then): input patches (B^T d B) or output-gradient patches
 * (A g A^T).
 */
function toTiles(
  src: Tensor,
  kind: "input" | "grad",
  m: WinogradTile,
  at: { CP: number; TP: number; n0: number; nb: number; tilesMajor?: boolean; interleaved?: boolean },
  out: Tensor,
): void {
  const [, C, H, W] = src.shape;
  const { TH, TW } = tileGrid(H, W, m);
  const total = at.CP * (at.TP / 4);
  const major = at.tilesMajor ?? false;
  const runs = major && runsOfTiles(kind, m);
  const access = rowAccess(m, W, kind === "input" && !runs);
  // Runs: one invocation per (image, tile row, channel quad), then the padding tiles' quads.
  const groups = runs
    ? grid(((at.nb * TH + at.TP - at.nb * TH * TW) * at.CP) / 4, 64)
    : gridStride(total, 64, 4);
  const il = at.interleaved ?? false;
  if (il && !runs) throw new Error("winograd: only runs of input tiles are written interleaved");
  // A deferred relu(batch_norm(x)) is applied as the runs load x: it is never written. Any
  // other transform binds src, which writes it first (Tensor.defer).
  const bnr = runs ? batchNormReluOf(src) : null;
  launch(
    `winograd${m}.${kind}${major ? ".tiles" : ""}${runs ? ".runs" : ""}${ACCESS_SUFFIX[access]}${
      il ? ".interleaved" : ""
    }${bnr ? ".bnrelu" : ""}`,
    winogradSource(kind, m, access, runs, 0, il, 0, bnr !== null),
    { C, H, W, TH, TW, NB: at.nb, CP: at.CP, TP: at.TP, TILES_MAJOR: major ? 1 : 0 },
    bnr ? [bnr.x, out, bnr.coef] : [src, out],
    new Params().u32(at.n0, total).bytes(),
    groups,
  );
}

/** Kernel name suffixes of the row accesses, as profiles show them. */
const ACCESS_SUFFIX: Record<RowAccess, string> = { f32: "", vec2: ".v2", vec4: ".v4" };

/** Whether a tiles-major transform walks runs of tiles (winogradSettings.runsOfTiles). */
const runsOfTiles = (kind: "input" | "grad", m: WinogradTile) =>
  winogradSettings.runsOfTiles && kind === "input" && m === 4;

/**
 * Whether a convolution's product reads its transformed input tiles-major (B transposed): when
 * they are kept for the weight gradient, or built in runs of tiles.
 */
const tilesMajorInput = (keep: boolean, m: WinogradTile) => keep || runsOfTiles("input", m);

/**
 * Writes the outputs of the products `prod` ([E, R, TP], or with `interleaved` [R, TP / 4, E]
 * vec4s) into images n0..n0+nb-1 of `y`, plus `addend`'s values (same shape as y) when given.
 */
function fromTiles(
  prod: Tensor,
  y: Tensor,
  m: WinogradTile,
  TP: number,
  n0: number,
  nb: number,
  addend: Tensor | null = null,
  interleaved = false,
): void {
  const [, R, H, W] = y.shape;
  const { TH, TW } = tileGrid(H, W, m);
  const total = R * (TP / 4);
  const access = rowAccess(m, W);
  launch(
    `winograd${m}.output${ACCESS_SUFFIX[access]}${addend ? ".add" : ""}${interleaved ? ".interleaved" : ""}`,
    winogradSource("output", m, access, false, 0, interleaved),
    { R, H, W, TH, TW, NB: nb, TP, ADD: addend ? 1 : 0 },
    [prod, y, addend ?? prod], // without an addend, prod stands in for its binding (not read)
    new Params().u32(n0, total).bytes(),
    gridStride(total, 64, 4),
  );
}

/**
 * The filter transform (mode 0), or that of the flipped, channel-swapped filter (mode 1): u, the
 * GEMM's A operand, [E, R, KP], or with `block` > 0 [R, KP / 4, E] vec4s with its E slices
 * interleaved in blocks of `block` (GemmArgs.interleaveA, interleaveBlockA).
 */
function filterTransform(w: Tensor, mode: 0 | 1, m: WinogradTile, block: number): Tensor {
  const [CO, CI] = w.shape;
  const rows = mode === 0 ? CO : CI, KP = up4(mode === 0 ? CI : CO);
  const u = Tensor.empty([(m + 2) ** 2, rows, KP]);
  const total = rows * (KP / 4); // one invocation per four columns
  const quads = mode === 0 && CI % 4 === 0 && winogradSettings.filterQuads;
  launch(
    `winograd${m}.filter${mode}${quads ? ".v4" : ""}${blockSuffix(block, (m + 2) ** 2)}`,
    winogradSource("filter", m, quads ? "vec4" : "f32", false, mode, block > 0, block),
    { CO, CI, KP },
    [w, u],
    new Params().u32(total).bytes(),
    grid(total, 64),
  );
  return u;
}

/**
 * y = conv(x, filter) from the filter's transform u ([E, R, KP]), chunk by chunk. The
 * transformed input is tiles-major ([E, TP, KP], the weight gradient's layout; the GEMM reads it
 * transposed) with `keep` or runs of tiles (winogradSettings.runsOfTiles), channels-major
 * otherwise. With `keep` (one chunk only) it is returned instead of freed.
 */
function convFromTransform(
  x: Tensor,
  u: Tensor,
  block: number,
  plan: WinogradPlan,
  keep = false,
  addend: Tensor | null = null,
): { y: Tensor; tiles: Tensor | null } {
  const { m, chunk } = plan;
  const [N, , H, W] = x.shape, [E, R, KP] = u.shape;
  const { T } = tileGrid(H, W, m);
  const y = Tensor.empty([N, R, H, W]);
  const TPmax = up4(chunk * T);
  const major = tilesMajorInput(keep, m);
  const v = Tensor.empty(major ? [E, TPmax, KP] : [E, KP, TPmax]), prod = Tensor.empty([E, R, TPmax]);
  for (const [n0, nb] of chunks(N, chunk)) {
    const TP = up4(nb * T);
    const ilC = interleavedProducts(R, TP, KP), ilB = major && interleavedTiles(m, KP);
    toTiles(x, "input", m, { CP: KP, TP, n0, nb, tilesMajor: major, interleaved: ilB }, v);
    gemm({
      a: u.range,
      b: v.range,
      c: prod.range,
      M: R,
      N: TP,
      K: KP,
      transB: major,
      batch: E,
      strideA: R * KP,
      strideB: KP * TP,
      interleaveA: block > 0,
      interleaveBlockA: block || undefined,
      interleaveB: ilB,
      interleaveC: ilC,
    });
    fromTiles(prod, y, m, TP, n0, nb, addend, ilC);
  }
  prod.dispose();
  if (keep) return { y, tiles: v };
  v.dispose();
  return { y, tiles: null };
}

/**
 * Forward: y [N, Co, H, W] = conv2d(x [N, Ci, H, W], w [Co, Ci, 3, 3]), stride 1, pad 1. With
 * `forWeightGrad` (the weight gradient will be taken) and the whole batch in one chunk, also the
 * transformed input for {@link winogradBackwardWeight} (winogradSettings.keepInputTiles).
 */
export function winogradForward(
  x: Tensor,
  w: Tensor,
  plan: WinogradPlan,
  forWeightGrad = false,
): { y: Tensor; tiles: Tensor | null } {
  const keep = forWeightGrad && winogradSettings.keepInputTiles && keepsTiles(plan, x.shape[0], w.shape[0]);
  const block = interleavedFilter(w.shape[0], w.shape[1], tileColumns(x, plan), plan.m, keep);
  const u = filterTransform(w, 0, plan.m, block);
  const out = convFromTransform(x, u, block, plan, keep);
  u.dispose();
  return out;
}

/**
 * Whether a forward of N images into CO channels can keep its transformed input: the batch is
 * one chunk, and the weight gradient takes the tiles-major path (CO % 4 == 0).
 */
function keepsTiles(plan: WinogradPlan, N: number, CO: number): boolean {
  return plan.chunk >= N && tilesMajorGrad(CO);
}

/**
 * How a convolution from K input to R output channels (of the GEMM: the input gradient's are
 * swapped) over TP tile columns lays out its transformed filter (winogradSettings.
 * interleavedFilter, interleavedFilterBlock): 0 planar, else its E slices interleaved in blocks
 * of that many, where the transformed filter is at least `INTERLEAVE_MIN_BYTES`: all E where the
 * GEMM reads it through a texture, 4 where from storage (interleaveBlockFor). TP is the largest
 * chunk's (a smaller last chunk reads the same A); `keep` as for convFromTransform (the tiles'
 * layout decides the GEMM's tile, and so how it reads A).
 */
function interleavedFilter(R: number, K: number, TP: number, m: WinogradTile, keep: boolean): number {
  const E = (m + 2) ** 2, mode = winogradSettings.interleavedFilter;
  if (mode === "off" || (mode === "auto" && 4 * E * R * up4(K) < INTERLEAVE_MIN_BYTES)) return 0;
  const block = interleaveBlockFor(R, TP, up4(K), E, tilesMajorInput(keep, m)),
    forced = winogradSettings.interleavedFilterBlock;
  return block && forced !== "auto" ? Math.min(forced, E) : block;
}

/** A filter transform kernel's name suffix for its layout: planar, interleaved, or in blocks. */
function blockSuffix(block: number, E: number): string {
  return block === 0 ? "" : block >= E ? ".interleaved" : `.interleaved${block}`;
}

/**
 * Whether tiles-major input tiles of KP (padded) channels are written with their E elements
 * interleaved (winogradSettings.interleavedTiles): the runs of tiles (F(4x4)) of at least
 * `INTERLEAVE_MIN_CHANNELS` channels under the cpu family, whose GEMM reads them through
 * GemmArgs.interleaveB, in the forward, the input gradient and the weight gradient alike (the
 * weight gradient reads what the forward kept, by the same rule).
 */
function interleavedTiles(m: WinogradTile, KP: number): boolean {
  const mode = winogradSettings.interleavedTiles;
  return mode !== "off" && runsOfTiles("input", m) && gemmFamily() === "cpu" &&
    (mode === "on" || KP >= INTERLEAVE_MIN_CHANNELS);
}

/**
 * The fewest channels whose input tiles are interleaved. With fewer, a tile's channels are one or
 * two cache lines that planar reads take whole, while interleaved reads take a line per vec4: the
 * weight gradient streams them once, and the default model's 16-channel layer ran 1.05-1.08x
 * slower interleaved (forward + both gradients, `bench/winograd_ab.ts`, two runs), its 32-channel
 * one 1.01-1.02x; from 64 channels 0.98-1.00x (64@32), 0.92-0.93x (128@16), 0.93-0.99x (256@8),
 * 0.96-0.98x (64@7).
 */
const INTERLEAVE_MIN_CHANNELS = 64;

/**
 * Whether the products of a convolution chunk (R x TP over KP) are written with their E elements
 * interleaved for the output transform (winogradSettings.interleavedProducts): wherever the GEMM
 * takes it (interleavedCPays: the cpu family, TP / 4 a multiple of C_GROUP), unless "off".
 */
function interleavedProducts(R: number, TP: number, KP: number): boolean {
  return winogradSettings.interleavedProducts !== "off" && interleavedCPays(R, TP, KP);
}

/**
 * The smallest transformed filter written interleaved. Below it the 36 planes' stores stay in
 * the cache and the GEMM's strided texel reads cost about what they save. ResNet-18's layers,
 * forward + both gradients, interleaved against planar (`bench/winograd_ab.ts`, three runs): 64x64
 * (0.6 MiB) 0.96-0.98x, 128x128 (2.4 MiB) 0.98-1.03x, 256x256 (9.4 MiB) 1.05-1.24x faster.
 */
const INTERLEAVE_MIN_BYTES = 4 << 20;

/**
 * Whether the weight gradient into CO channels runs on tiles-major operands: z^T v (A
 * transposed, read down its rows as vec4s of 4 rows) instead of z v^T (B transposed, its vec4s
 * reassembled per column), which measured ~3x fewer FLOP/s in a ResNet-18 step. The layout needs
 * CO % 4 == 0.
 */
const tilesMajorGrad = (CO: number) => winogradSettings.tilesMajorWeightGrad && CO % 4 === 0;

/**
 * Input gradient: dx [N, Ci, H, W], the convolution of dy with the flipped, swapped filter, plus
 * `addend` (the gradient already accumulated for x) when given.
 */
export function winogradBackwardInput(
  dy: Tensor,
  w: Tensor,
  plan: WinogradPlan,
  addend: Tensor | null = null,
): Tensor {
  const block = interleavedFilter(w.shape[1], w.shape[0], tileColumns(dy, plan), plan.m, false);
  const u = filterTransform(w, 1, plan.m, block);
  const { y: dx } = convFromTransform(dy, u, block, plan, false, addend);
  u.dispose();
  return dx;
}

/**
 * Weight gradient: dw [Co, Ci, 3, 3] summed over the batch. `tiles` is the transformed input
 * the forward kept (see {@link winogradForward}); it is used instead of rebuilt, and freed.
 */
export function winogradBackwardWeight(
  dy: Tensor,
  x: Tensor,
  plan: WinogradPlan,
  tiles: Tensor | null = null,
): Tensor {
  const { m, chunk } = plan;
  const [N, CI, H, W] = x.shape, CO = dy.shape[1];
  const { T } = tileGrid(H, W, m);
  const E = (m + 2) ** 2, KP = up4(CI), TPmax = up4(chunk * T);
  const v = tiles ?? Tensor.empty([E, KP, TPmax]), z = Tensor.empty([E, CO, TPmax]);
  const du = Tensor.empty([E, CO, KP]);
  const tilesMajor = tilesMajorGrad(CO);
  // The products for the inverse filter transform (mode 2), interleaved as the forward's.
  const ilW = interleavedProducts(CO, KP, TPmax);
  if (tiles && !(tilesMajor && chunk >= N)) {
    throw new Error("winograd: kept input tiles need one tiles-major chunk");
  }
  const ilB = tilesMajor && interleavedTiles(m, KP); // as the forward kept them
  chunks(N, chunk).forEach(([n0, nb], i) => {
    const TP = up4(nb * T);
    if (!tiles) toTiles(x, "input", m, { CP: KP, TP, n0, nb, tilesMajor, interleaved: ilB }, v);
    toTiles(dy, "grad", m, { CP: CO, TP, n0, nb, tilesMajor }, z);
    gemm({
      a: z.range,
      b: v.range,
      c: du.range,
      M: CO,
      N: KP,
      K: TP,
      transA: tilesMajor,
      transB: !tilesMajor,
      batch: E,
      strideA: CO * TP,
      strideB: KP * TP,
      interleaveB: ilB,
      interleaveC: ilW,
      accumulate: i > 0,
    });
  });
  v.dispose();
  z.dispose();
  const dw = Tensor.empty([CO, CI, 3, 3]);
  const total = CO * Math.ceil(CI / 4); // one invocation per four input channels
  const quads = CI % 4 === 0 && winogradSettings.filterQuads;
  launch(
    `winograd${m}.filter2${quads ? ".v4" : ""}${ilW ? ".interleaved" : ""}`,
    winogradSource("filter", m, quads ? "vec4" : "f32", false, 2, ilW),
    { CO, CI, KP },
    [du, dw],
    new Params().u32(total).bytes(),
    grid(total, 64),
  );
  du.dispose();
  return dw;
}
