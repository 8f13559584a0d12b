// Foundation benchmarks: matmul throughput and the per-op cost of many tiny ops.
// Run: deno task bench   (or deno bench -A bench/core_bench.ts)
import * as sw from "../mod.ts";
import { gpuBench } from "./util.ts";

for (const n of [256, 512, 1024]) {
  const a = sw.tensor(new Float32Array(n * n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), [n, n]).keep();
  const b = sw.tensor(new Float32Array(n * n).map((_, i) => ((i * 104729) % 17) / 17 - 0.5), [n, n]).keep();
  // Enough products per iteration that the one fence (~11 ms under lavapipe) is a small share.
  const reps = n === 1024 ? 4 : n === 512 ? 24 : 96;
  gpuBench(
    `matmul ${n}^3 x${reps}`,
    { group: "matmul", unit: "GFLOP/s", work: (2 * n ** 3 * reps) / 1e9 },
    () => {
      for (let r = 0; r < reps; r++) sw.matmul(a, b).dispose();
    },
  );
  gpuBench(`matmul ${n}^3 A^T B^T x${reps}`, {
    group: "matmul",
    unit: "GFLOP/s",
    work: (2 * n ** 3 * reps) / 1e9,
  }, () => {
    for (let r = 0; r < reps; r++) sw.matmul(a, b, true, true).dispose();
  });
}

const x = sw.tensor(new Float32Array(64).fill(1), [64]).keep();
gpuBench("1000 tiny ops (addScalar on 64 floats), one step", { unit: "ops/s", work: 1000 }, () => {
  sw.tidy(() => {
    let t = x;
    for (let i = 0; i < 1000; i++) t = sw.addScalar(t, 1);
  });
});
