// Deferred writes (Tensor.defer) and their one consumer: relu(batch_norm(x)) left unwritten and
// applied by a Winograd convolution's input transform as it loads x (batchNormSettings.deferRelu,
// src/ops/winograd.ts activated). The fused path must give the unfused one's bits: forward,
// every gradient, and the activation itself once something reads it.
import * as sw from "../mod.ts";
import { batchNormReluOf, batchNormSettings } from "../src/ops/batch_norm.ts";
import { convSettings } from "../src/ops/conv.ts";
import { Storage, Tensor } from "../src/tensor/tensor.ts";
import { gpuTest, randArray, rng, withTunables } from "./harness.ts";
import { assert, assertEquals } from "./assert.ts";

gpuTest("Tensor.defer: the write runs at the first use of the storage, once", async () => {
  const t = sw.zeros([4]).keep();
  let runs = 0, releases = 0;
  t.defer({
    payload: "p",
    run: () => {
      runs++;
      sw.fill_(t, 3);
    },
    release: () => releases++,
  });
  assertEquals(t.deferredPayload, "p");
  assertEquals([runs, releases], [0, 0]);
  assertEquals([...await t.data()], [3, 3, 3, 3]);
  assertEquals([runs, releases], [1, 1]);
  assertEquals(t.deferredPayload, null);
  await t.data();
  assertEquals([runs, releases], [1, 1]);
  t.dispose();
});

gpuTest("Tensor.defer: disposed unwritten, only the release runs", () => {
  const t = new Tensor([4], Storage.alloc(16));
  let runs = 0, releases = 0;
  t.defer({ payload: null, run: () => runs++, release: () => releases++ });
  t.dispose();
  assertEquals([runs, releases], [0, 1]);
});

gpuTest("Tensor.defer: a view writes first, so the view sees the values", async () => {
  const t = sw.zeros([2, 2]).keep();
  t.defer({ payload: null, run: () => sw.fill_(t, 5), release: () => {} });
  const v = t.view([4]);
  assertEquals(t.deferredPayload, null);
  assertEquals([...await v.data()], [5, 5, 5, 5]);
  v.dispose();
  t.dispose();
});

/** The conv's output, the activation, and the gradients of x, the batch norm's weight and bias, w. */
async function bnReluConv(shape: number[], Co: number, defer: boolean, seed: number) {
  const [N, C, H, W] = shape;
  const r = rng(seed);
  const x = sw.tensor(Float32Array.from(randArray(N * C * H * W, r, -2, 2)), shape).keep();
  const bw = sw.tensor(Float32Array.from(randArray(C, r, 0.5, 1.5)), [C]).keep();
  const bb = sw.tensor(Float32Array.from(randArray(C, r, -0.5, 0.5)), [C]).keep();
  const w = sw.tensor(Float32Array.from(randArray(Co * C * 9, r)), [Co, C, 3, 3]).keep();
  const seedGrad = sw.tensor(Float32Array.from(randArray(N * Co * H * W, r)), [N, Co, H, W]).keep();
  for (const t of [x, bw, bb, w]) t.requiresGrad = true;
  return await withTunables(batchNormSettings, { deferRelu: defer }, async () => {
    const y = sw.batchNorm2d(x, bw, bb, { training: true, relu: true }).keep();
    const deferred = batchNormReluOf(y) !== null;
    const z = sw.conv2d(y, w, null, { padding: 1 }).keep();
    // Still unwritten after the convolution read it: the input transform applied it to x.
    const fused = batchNormReluOf(y) !== null;
    sw.backward(z, seedGrad);
    const out = {
      deferred,
      fused,
      z: await z.data(),
      y: await y.data(), // writes it now, if deferred
      dx: await x.grad!.data(),
      dbw: await bw.grad!.data(),
      dbb: await bb.grad!.data(),
      dw: await w.grad!.data(),
    };
    for (const t of [x, bw, bb, w, seedGrad, y, z]) t.dispose();
    return out;
  });
}

// [N, C, H, W, Co]: the runs of input tiles load rows as vec4s (W % 4 == 0), vec2s (W % 4 == 2)
// or floats, over padding channels (C not a multiple of 4) and a ragged last tile row and column.
const cases: [number[], number, string][] = [
  [[2, 8, 8, 8], 8, "vec4 rows"],
  [[2, 5, 7, 8], 4, "vec4 rows, 5 channels padded to 8, a ragged tile row"],
  [[2, 4, 6, 6], 8, "vec2 rows"],
  [[3, 4, 6, 10], 4, "vec2 rows, three tiles a row"],
  [[2, 4, 7, 7], 4, "f32 loads, a ragged last tile"],
  [[1, 6, 5, 9], 8, "f32 loads, 6 channels padded to 8"],
];

for (const [shape, Co, label] of cases) {
  gpuTest(`relu(batch_norm(x)) into a Winograd conv, deferred = written, bit for bit: ${label}`, async () => {
    await withTunables(
      convSettings,
      { winograd: true, winogradTile: 4, winogradMinChannels: 1 },
      async () => {
        const fused = await bnReluConv(shape, Co, true, 7);
        const plain = await bnReluConv(shape, Co, false, 7);
        assert(fused.deferred && !plain.deferred, "the setting must decide the deferral");
        if (sw.runtime().kernelFamily === "cpu") assert(fused.fused, "the input transform must apply it");
        for (const k of ["z", "y", "dx", "dbw", "dbb", "dw"] as const) {
          assertEquals([...fused[k]], [...plain[k]], `${k} differs`);
        }
      },
    );
  });
}

gpuTest("relu(batch_norm(x)) read by two consumers: the second use writes it", async () => {
  // The im2col path (stride 2) binds y itself: it must see the written values.
  const r = rng(3);
  const x = sw.tensor(Float32Array.from(randArray(2 * 4 * 6 * 6, r, -2, 2)), [2, 4, 6, 6]).keep();
  const ones = sw.ones([4]).keep(), zeros = sw.zeros([4]).keep();
  const w = sw.tensor(Float32Array.from(randArray(4 * 4 * 9, r)), [4, 4, 3, 3]).keep();
  const run = (defer: boolean) =>
    withTunables(batchNormSettings, { deferRelu: defer }, async () => {
      const y = sw.batchNorm2d(x, ones, zeros, { training: true, relu: true });
      const a = sw.conv2d(y, w, null, { padding: 1 });
      const b = sw.conv2d(y, w, null, { padding: 1, stride: 2 });
      const out = [await a.data(), await b.data()];
      for (const t of [y, a, b]) t.dispose();
      return out;
    });
  const [fa, fb] = await run(true), [pa, pb] = await run(false);
  assertEquals([...fa], [...pa]);
  assertEquals([...fb], [...pb]);
  for (const t of [x, ones, zeros, w]) t.dispose();
});
