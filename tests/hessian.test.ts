// Lanczos top eigenvalues on losses whose Hessian is known exactly.
import * as sw from "../mod.ts";
import { topEigenvalues } from "../src/hessian/lanczos.ts";
import { symmetricEigenvalues, tridiagonalEigenvalues } from "../src/hessian/tridiagonal.ts";
import { assert, assertClose } from "./assert.ts";
import { gpuTest, rng } from "./harness.ts";

Deno.test("tridiagonal eigenvalues match a known spectrum", () => {
  // The path graph Laplacian-like matrix tridiag(-1, 2, -1) of size m has eigenvalues 2 - 2cos(k pi/(m+1)).
  const m = 9;
  const got = tridiagonalEigenvalues(new Array(m).fill(2), new Array(m - 1).fill(-1));
  const want = Array.from({ length: m }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (m + 1))).sort((
    a,
    b,
  ) => b - a);
  got.forEach((g, i) => assertClose(g, want[i], 1e-10, `eigenvalue ${i}`));
  const dense = symmetricEigenvalues([Float64Array.of(4, 1), Float64Array.of(1, 3)]);
  assertClose(dense[0], (7 + Math.sqrt(5)) / 2, 1e-12);
});

gpuTest("Lanczos finds the top-5 eigenvalues of a quadratic loss 0.5 x^T A x", async () => {
  // A = Q diag(d) Q^T with a random orthogonal Q, split over two parameter tensors.
  const n = 24;
  const r = rng(11);
  const d = Array.from({ length: n }, (_, i) => (i < 6 ? 10 - i * 1.5 : 0.5 * r() - 0.25));
  // Householder reflections make a random orthogonal matrix.
  const A = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? d[i] : 0)));
  for (let h = 0; h < 3; h++) {
    const u = Array.from({ length: n }, () => r() - 0.5);
    const nu = Math.hypot(...u);
    u.forEach((_, i) => (u[i] /= nu));
    const P = (M: number[][]) => M.map((row, i) => row.map((_, j) => M[i][j]));
    const H = Array.from(
      { length: n },
      (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) - 2 * u[i] * u[j]),
    );
    const mm = (X: number[][], Y: number[][]) =>
      X.map((row) => Y[0].map((_, j) => row.reduce((s, x, k) => s + x * Y[k][j], 0)));
    const B = mm(mm(H, P(A)), H);
    B.forEach((row, i) => row.forEach((v, j) => (A[i][j] = v)));
  }
  // Blocks of A for the split x = [x1; x2]: x^T A x = x1'A11 x1 + 2 x1'A12 x2 + x2'A22 x2.
  const block = (r0: number, r1: number, c0: number, c1: number) =>
    sw.tensor(Float32Array.from(A.slice(r0, r1).flatMap((row) => row.slice(c0, c1))), [r1 - r0, c1 - c0])
      .keep();
  const A11 = block(0, 10, 0, 10), A12 = block(0, 10, 10, n), A22 = block(10, n, 10, n);
  const x1 = sw.tensor(Float32Array.from({ length: 10 }, () => r()), [10, 1]).keep();
  const x2 = sw.tensor(Float32Array.from({ length: 14 }, () => r()), [14, 1]).keep();
  x1.requiresGrad = x2.requiresGrad = true;
  x1.grad = sw.zeros([10, 1]).keep();
  x2.grad = sw.zeros([14, 1]).keep();
  const problem = {
    params: [x1, x2],
    grads: [x1.grad, x2.grad],
    computeGrad() {
      sw.tidy(() => {
        sw.scale_(0, [x1.grad!, x2.grad!]);
        const q = (a: sw.Tensor, M: sw.Tensor, b: sw.Tensor) => sw.sum(sw.mul(a, sw.matmul(M, b)));
        const loss = sw.add(sw.mulScalar(sw.add(q(x1, A11, x1), q(x2, A22, x2)), 0.5), q(x1, A12, x2));
        sw.backward(loss);
      });
    },
  };
  const before = [...await x1.data()];
  const top = await topEigenvalues(problem, { iterations: 20, k: 5, step: 1e-2 });
  const want = [...d].sort((a, b) => b - a).slice(0, 5);
  top.forEach((g, i) => assertClose(g, want[i], 2e-3 * Math.abs(want[i]) + 1e-3, `eigenvalue ${i + 1}`));
  const after = [...await x1.data()];
  after.forEach((v, i) => assertClose(v, before[i], 0, "parameters restored"));
});

gpuTest(
  "Lanczos on a model split into several parameter groups whose packed size exceeds the binding limit",
  async () => {
    const { Linear, ReLU, Sequential } = await import("../src/nn/mod.ts");
    const { runtime } = await import("../src/gpu/runtime.ts");
    const net = () => new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 4));
    // 512-byte groups: the 848 bytes of parameters land in several flat buffers.
    const grouped = net().materialize({ seed: 3, maxBindingBytes: 512 });
    const single = net().materialize({ seed: 3 });
    const r = rng(5);
    const x = sw.tensor(Float32Array.from({ length: 6 * 8 }, () => r() - 0.5), [6, 8]).keep();
    const y = sw.tensor([0, 1, 2, 3, 1, 2]).keep();
    const problem = (m: typeof single) => ({
      params: m.params,
      grads: m.grads,
      computeGrad() {
        m.zeroGrad();
        sw.tidy(() => sw.backward(sw.crossEntropy(m.forward(x), y)));
      },
    });
    const rt = runtime() as { maxBinding: number };
    const limit = rt.maxBinding;
    try {
      const want = await topEigenvalues(problem(single), { iterations: 12, k: 5, seed: 2 });
      assert(grouped.paramGroups.length > 2, `${grouped.paramGroups.length} groups`);
      const packed = grouped.params.reduce((n, p) => n + p.size * 4, 0);
      // Below the packed size, above every group and every activation of this tiny net.
      rt.maxBinding = 640;
      assert(packed > rt.maxBinding, `packed ${packed} bytes`);
      const got = await topEigenvalues(problem(grouped), { iterations: 12, k: 5, seed: 2 });
      got.forEach((g, i) => assertClose(g, want[i], 1e-3 * Math.abs(want[0]) + 1e-4, `eigenvalue ${i + 1}`));
    } finally {
      rt.maxBinding = limit;
      x.dispose();
      y.dispose();
      grouped.dispose();
      single.dispose();
    }
  },
);

Deno.test("a failing or non-finite spectrum leaves l1/l5 empty and names the failure", async () => {
  const { spectrumColumns } = await import("../src/train/trainer.ts");
  const lines: string[] = [];
  const io = { out: (l: string) => lines.push(l) };
  const fail = await spectrumColumns(
    () => Promise.reject(new Error("a 145916776-byte binding exceeds it")),
    io,
  );
  assert(fail.l1 === "" && fail.l5 === "" && fail.error!.includes("145916776"), JSON.stringify(fail));
  const nan = await spectrumColumns(() => Promise.resolve([3, 2, NaN, 1, 0.5]), io);
  assert(nan.l1 === "" && nan.error !== undefined, JSON.stringify(nan));
  const ok = await spectrumColumns(() => Promise.resolve([5, 4, 3, 2, 1]), io);
  assert(ok.l1 === 5 && ok.l5 === 1 && ok.error === undefined, JSON.stringify(ok));
  assert(lines[0].includes("Hessian spectrum failed") && lines[0].includes("145916776"), lines[0]);
});
