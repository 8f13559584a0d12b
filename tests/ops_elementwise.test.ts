// Forward values and gradients of the elementwise ops against float64 references,
// on odd shapes (not multiples of 4), size-1 dims and broadcasting.
import * as sw from "../mod.ts";
import { gpuTest, gradcheck, mapRef, type Ref, zipRef } from "./harness.ts";
import { assertEquals } from "./assert.ts";
import { fill_ } from "../src/ops/elementwise.ts";
import { Tensor } from "../src/tensor/tensor.ts";

const S = [3, 5, 7];

const unary: [string, (x: sw.Tensor) => sw.Tensor, (v: number) => number, [number, number]?][] = [
  ["neg", sw.neg, (v) => -v],
  ["relu", sw.relu, (v) => Math.max(v, 0)],
  ["exp", sw.exp, Math.exp],
  ["log", sw.log, Math.log, [0.2, 2]],
  ["sqrt", sw.sqrt, Math.sqrt, [0.2, 2]],
  ["square", sw.square, (v) => v * v],
  ["abs", sw.abs, Math.abs],
  ["reciprocal", sw.reciprocal, (v) => 1 / v, [0.5, 2]],
  ["rsqrt", sw.rsqrt, (v) => 1 / Math.sqrt(v), [0.5, 2]],
  ["addScalar", (x) => sw.addScalar(x, 0.7), (v) => v + Math.fround(0.7)],
  ["mulScalar", (x) => sw.mulScalar(x, -1.3), (v) => v * Math.fround(-1.3)],
  ["rsubScalar", (x) => sw.rsubScalar(x, 2), (v) => 2 - v],
  ["rdivScalar", (x) => sw.rdivScalar(x, 3), (v) => 3 / v, [0.5, 2]],
  ["powScalar", (x) => sw.powScalar(x, 2.5), (v) => v ** 2.5, [0.3, 2]],
  ["affine", (x) => sw.affine(x, 0.5, 1), (v) => v * 0.5 + 1],
  ["clamp", (x) => sw.clamp(x, -0.4, 0.3), (v) => Math.min(Math.max(v, Math.fround(-0.4)), Math.fround(0.3))],
];

// [3, 5, 7] loads f32s; [3, 4, 7] (84 elements) loads vec4s (shaders/lib/lanes4.wgsl).
for (const [name, g, c, range] of unary) {
  for (const shape of [S, [3, 4, 7]]) {
    gpuTest(
      `${name} [${shape}]: forward and gradient match float64`,
      () =>
        gradcheck(name, [shape], ([x]) => g(x), ([x]) => mapRef(x, c), {
          range: range ?? [-1, 1],
          // Kinks (relu at 0, abs at 0, clamp at its bounds) are avoided by the random draws.
          gradAtol: 2e-4,
        }),
    );
  }
}

const binary: [string, (a: sw.Tensor, b: sw.Tensor) => sw.Tensor, (x: number, y: number) => number][] = [
  ["add", sw.add, (x, y) => x + y],
  ["sub", sw.sub, (x, y) => x - y],
  ["mul", sw.mul, (x, y) => x * y],
  ["div", sw.div, (x, y) => x / y],
  ["maximum", sw.maximum, Math.max],
  ["minimum", sw.minimum, Math.min],
];

const shapePairs: [number[], number[]][] = [
  [[3, 5, 7], [3, 5, 7]], // same shape (contiguous fast path)
  [[3, 4, 5], [3, 4, 5]], // same shape, 60 elements: the vec4 path
  [[3, 5, 7], []], // scalar operand
  [[3, 1, 7], [1, 5, 1]], // both broadcast
  [[5, 7], [2, 3, 5, 7]], // rank promotion
  [[1], [6, 1]], // size-1 dims
];

for (const [name, g, c] of binary) {
  for (const [sa, sb] of shapePairs) {
    gpuTest(
      `${name} [${sa}] x [${sb}]: forward and gradients match float64`,
      () =>
        gradcheck(name, [sa, sb], ([a, b]) => g(a, b), ([a, b]) => zipRef(a, b, c), {
          range: name === "div" ? [[-1, 1], [0.5, 2]] : [-1, 1],
          seed: sa.length * 7 + sb.length,
        }),
    );
  }
}

gpuTest("where: gradients flow to the selected branch", () =>
  gradcheck(
    "where",
    [[4, 1, 3], [1, 5, 3], [4, 5, 1]],
    ([c, a, b]) => sw.where(sw.gtScalar(c, 0), a, b),
    ([c, a, b]) => {
      const ab = zipRef(a, b, (x, y) => x - y); // broadcast shape helper
      const sel = zipRef(c, ab, (cv) => (cv > 0 ? 1 : 0));
      const ca = zipRef(sel, a, (s, x) => s * x);
      return zipRef(ca, zipRef(sel, b, (s, y) => (1 - s) * y), (x, y) => x + y) as Ref;
    },
    { wrt: [1, 2] },
  ));

gpuTest("chained ops share gradients (x used twice)", () =>
  gradcheck(
    "x*x+exp(x)",
    [[2, 9]],
    ([x]) => sw.add(sw.mul(x, x), sw.exp(x)),
    ([x]) => mapRef(x, (v) => v * v + Math.exp(v)),
  ));

gpuTest("full writes every element with vec4 stores (12 elements) and f32 stores (15)", async () => {
  for (const shape of [[3, 4], [3, 5]]) {
    const t = sw.full(shape, 2.5);
    assertEquals([...await t.data()], new Array(shape[0] * shape[1]).fill(2.5));
    t.dispose();
  }
});

gpuTest(
  "large zero fills are buffer clears: every element zero, the neighbours of a view untouched",
  async () => {
    const rt = sw.runtime();
    const n = (1 << 16) + 3; // past the clear threshold, not a multiple of 4
    const whole = sw.full([3 * 256 + n + 256], 1.5);
    whole.storage.retain();
    const view = new Tensor([n], whole.storage, 3 * 1024); // a view 768 floats into a larger buffer
    await rt.sync();
    rt.resetCounters();
    fill_(view, 0);
    await rt.sync();
    const s = rt.stats();
    assertEquals([s.clears, s.dispatches], [1, 0]);
    const got = await whole.data();
    const zeros = got.subarray(3 * 256, 3 * 256 + n);
    assertEquals(zeros.every((v) => v === 0 && !Object.is(v, -0)), true);
    assertEquals([...got.subarray(0, 3 * 256), ...got.subarray(3 * 256 + n)].every((v) => v === 1.5), true);
    // -0 keeps its sign bit: it is written by the kernel.
    fill_(view, -0);
    assertEquals(Object.is((await view.data())[7], -0), true);
    view.dispose();
    whole.dispose();
  },
);
