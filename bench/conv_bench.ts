// Convolution benchmarks on ResNet-18 layer shapes (batch 32, NCHW).
// Target on a 2-core machine through lavapipe: 64->64 3x3 at 32x32 forward+backward <= 0.5 s.
// 3x3 stride-1 pad-1 layers run through Winograd F(4x4, 3x3) by default; their "(im2col)" rows
// are the same layer with convSettings.winograd off (bench/conv_ab.ts interleaves the two and
// reports process CPU time, steadier on a shared machine: F(4x4) measured 2.2-3.8x im2col).
import * as sw from "../mod.ts";
import { convSettings } from "../src/ops/conv.ts";
import { gpuBench } from "./util.ts";

function layer(
  name: string,
  N: number,
  C: number,
  H: number,
  Co: number,
  K: number,
  stride: number,
  pad: number,
  winograd = true,
) {
  const x = sw.tensor(new Float32Array(N * C * H * H).map((_, i) => ((i * 7919) % 13) / 13 - 0.5), [
    N,
    C,
    H,
    H,
  ])
    .keep();
  const w = sw.tensor(
    new Float32Array(Co * C * K * K).map((_, i) => ((i * 104729) % 17) / 170 - 0.05),
    [Co, C, K, K],
  ).keep();
  const OH = Math.floor((H + 2 * pad - K) / stride) + 1;
  const flop = 2 * N * Co * OH * OH * C * K * K;
  gpuBench(`conv ${name} forward`, { group: name, unit: "GFLOP/s", work: flop / 1e9 }, () => {
    convSettings.winograd = winograd;
    sw.conv2d(x, w, null, { stride, padding: pad }).dispose();
  });
  gpuBench(`conv ${name} forward+backward`, { group: name, unit: "GFLOP/s", work: (3 * flop) / 1e9 }, () => {
    convSettings.winograd = winograd;
    x.requiresGrad = true;
    w.requiresGrad = true;
    sw.tidy(() => {
      const y = sw.conv2d(x, w, null, { stride, padding: pad });
      sw.backward(y, sw.ones(y.shape));
    });
    x.grad?.dispose();
    w.grad?.dispose();
    x.grad = w.grad = null;
  });
}

layer("b32 64->64 32x32 3x3", 32, 64, 32, 64, 3, 1, 1);
layer("b32 64->64 32x32 3x3 (im2col)", 32, 64, 32, 64, 3, 1, 1, false);
layer("b32 64->128 32x32 3x3 stride 2", 32, 64, 32, 128, 3, 2, 1);
layer("b32 64->128 32x32 1x1 stride 2", 32, 64, 32, 128, 1, 2, 0);
layer("b32 256->256 8x8 3x3", 32, 256, 8, 256, 3, 1, 1);
layer("b32 256->256 8x8 3x3 (im2col)", 32, 256, 8, 256, 3, 1, 1, false);
layer("b32 512->512 4x4 3x3", 32, 512, 4, 512, 3, 1, 1);
layer("b32 512->512 4x4 3x3 (im2col)", 32, 512, 4, 512, 3, 1, 1, false);
