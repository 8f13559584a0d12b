// matmul (2-D, batched, transposed, both kernels) and linear against float64 references.
import * as sw from "../mod.ts";
import { gpuTest, gradcheck, type Ref } from "./harness.ts";

function mm(a: Ref, b: Ref, tA: boolean, tB: boolean): Ref {
  const bat = (r: Ref) => (r.shape.length === 3 ? r.shape[0] : 1);
  const B = Math.max(bat(a), bat(b));
  const [ar, ac] = a.shape.slice(-2), [br, bc] = b.shape.slice(-2);
  const M = tA ? ac : ar, K = tA ? ar : ac, N = tB ? br : bc;
  const out = new Float64Array(B * M * N);
  for (let z = 0; z < B; z++) {
    const ao = bat(a) > 1 ? z * ar * ac : 0, bo = bat(b) > 1 ? z * br * bc : 0;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const av = a.data[ao + (tA ? k * ac + m : m * ac + k)];
          const bv = b.data[bo + (tB ? n * bc + k : k * bc + n)];
          s += av * bv;
        }
        out[z * M * N + m * N + n] = s;
      }
    }
  }
  const batched = a.shape.length === 3 || b.shape.length === 3;
  return { data: out, shape: batched ? [B, M, N] : [M, N] };
}

// [A shape, B shape, transA, transB]: odd sizes take the naive kernel; multiples of 4 the
// vec4 kernel, including tiles that hang over the matrix edge (M=13, N=20 vs 8x12 tiles).
const cases: [number[], number[], boolean, boolean][] = [
  [[5, 7], [7, 3], false, false],
  [[1, 1], [1, 1], false, false],
  [[13, 8], [8, 20], false, false],
  [[8, 12], [8, 20], true, false],
  [[13, 8], [20, 8], false, true],
  [[8, 12], [20, 8], true, true],
  [[7, 5], [7, 3], true, false],
  [[3, 9, 8], [8, 12], false, false],
  [[3, 9, 8], [3, 8, 12], false, false],
  [[9, 8], [2, 12, 8], false, true],
  [[2, 6, 5], [2, 5, 3], false, false],
  [[40, 36], [36, 52], false, false],
  // N a multiple of 16: the 16-column tile (deep conv layers' 4x4 and 8x8 maps).
  [[13, 8], [8, 48], false, false],
  [[8, 12], [8, 32], true, false],
  [[13, 8], [16, 8], false, true],
];

for (const [sa, sb, tA, tB] of cases) {
  gpuTest(
    `matmul [${sa}]${tA ? "^T" : ""} x [${sb}]${tB ? "^T" : ""}`,
    () =>
      gradcheck("matmul", [sa, sb], ([a, b]) => sw.matmul(a, b, tA, tB), ([a, b]) => mm(a, b, tA, tB), {
        fwdAtol: 1e-4,
        gradAtol: 1e-3,
      }),
  );
}

gpuTest("linear = x W^T + b", () =>
  gradcheck(
    "linear",
    [[6, 5], [3, 5], [3]],
    ([x, w, b]) => sw.linear(x, w, b),
    ([x, w, b]) => {
      const y = mm(x, w, false, true);
      y.data.forEach((v, i) => (y.data[i] = v + b.data[i % 3]));
      return y;
    },
  ));
