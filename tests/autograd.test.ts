// Tape semantics: accumulation across backward calls, no-grad scopes, unused inputs,
// and gradients that flow through a tensor used several times.
import * as sw from "../mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest } from "./harness.ts";

gpuTest("gradients accumulate across backward calls until reset", async () => {
  const x = sw.tensor([1, 2, 3], [3]).keep();
  x.requiresGrad = true;
  for (let i = 0; i < 3; i++) sw.tidy(() => sw.backward(sw.sum(sw.mul(x, x))));
  assertEquals([...await x.grad!.data()], [6, 12, 18]); // 3 x 2x
  x.dispose();
});

gpuTest("noGrad records nothing; outputs do not require grad", () => {
  const x = sw.tensor([1, 2], [2]);
  x.requiresGrad = true;
  const y = sw.noGrad(() => sw.exp(x));
  assert(!y.requiresGrad && y.node === null, "noGrad output is tracked");
  assert(sw.isGradEnabled(), "grad mode not restored");
});

gpuTest("inputs that do not require grad get none; only needed gradients are computed", async () => {
  const a = sw.tensor([1, 2, 3, 4], [2, 2]);
  const b = sw.tensor([5, 6, 7, 8], [2, 2]);
  b.requiresGrad = true;
  const rt = sw.runtime();
  rt.flush();
  rt.resetCounters();
  sw.backward(sw.sum(sw.matmul(a, b)));
  assertEquals(a.grad, null);
  // a^T x ones(2,2): column sums of a, repeated along the columns.
  assertEquals([...await b.grad!.data()], [4, 4, 6, 6]);
  assert(
    rt.stats().dispatches + rt.pendingCount < 12,
    "backward computed more than the one needed matmul gradient",
  );
});

gpuTest("backward needs a scalar or a seed of the output's shape", async () => {
  const x = sw.tensor([1, 2], [2]);
  x.requiresGrad = true;
  await assertRejects(() => sw.backward(sw.exp(x)), /needs a scalar/);
  await assertRejects(() => sw.backward(sw.tensor([1], [1])), /does not require a gradient/);
});

gpuTest("a tensor used on several paths sums its gradients (diamond graph)", async () => {
  const x = sw.tensor([0.5, -1], [2]);
  x.requiresGrad = true;
  const y = sw.exp(x);
  const z = sw.add(sw.mul(y, y), sw.add(y, x)); // e^2x + e^x + x
  sw.backward(sw.sum(z));
  const g = await x.grad!.data();
  [0.5, -1].forEach((v, i) => {
    const want = 2 * Math.exp(2 * v) + Math.exp(v) + 1;
    assert(Math.abs(g[i] - want) < 1e-5, `grad ${i}: ${g[i]} vs ${want}`);
  });
});
