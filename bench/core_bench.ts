// Foundation benchmarks: matmul throughput and the per-op cost of many tiny ops.
// Run: deno task bench   (or deno bench -A bench/core_bench.ts)
import * as sw from "../mod.ts";
import { gemm, type GemmArgs } from "../src/ops/matmul.ts";
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

// The three GEMMs of each ResNet-18 (CIFAR) 3x3 conv stage, per chunk of 8 images, as conv.ts
// calls them: forward W x col[n] (W broadcast), input gradient W^T x dOut[n] (transposed A), and
// weight gradient sum_n dOut[n] x col[n]^T (transposed B, zsum = 8).
const NB = 8;
const fillT = (n: number) =>
  sw.tensor(new Float32Array(n).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), [n]).keep();
for (const [co, s] of [[64, 32], [128, 16], [256, 8], [512, 4]]) {
  const K = co * 9, P = s * s;
  const shapes: [string, Omit<GemmArgs, "a" | "b" | "c">, number[]][] = [
    [`fwd ${co}x${K}x${P}`, { M: co, N: P, K, batch: NB, strideB: K * P }, [co * K, NB * K * P, NB * co * P]],
    [`dx ${K}x${P}x${co}`, { M: K, N: P, K: co, transA: true, batch: NB, strideB: co * P }, [
      co * K,
      NB * co * P,
      NB * K * P,
    ]],
    [`dW ${co}x${K}x${P}`, { M: co, N: K, K: P, transB: true, zsum: NB, strideA: co * P, strideB: K * P }, [
      NB * co * P,
      NB * K * P,
      co * K,
    ]],
  ];
  for (const [name, args, sizes] of shapes) {
    const [a, b, c] = sizes.map(fillT);
    const reps = 2;
    gpuBench(`gemm conv ${name} x${NB} x${reps}`, {
      group: "gemm conv",
      unit: "GFLOP/s",
      work: (2 * args.M * args.N * args.K * NB * reps) / 1e9,
    }, () => {
      for (let r = 0; r < reps; r++) gemm({ ...args, a: a.range, b: b.range, c: c.range });
    });
  }
}

const x = sw.tensor(new Float32Array(64).fill(1), [64]).keep();
gpuBench("1000 tiny ops (addScalar on 64 floats), one step", { unit: "ops/s", work: 1000 }, () => {
  sw.tidy(() => {
    let t = x;
    for (let i = 0; i < 1000; i++) t = sw.addScalar(t, 1);
  });
});
