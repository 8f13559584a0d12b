// nn modules: parameter order and names, flat parameter/gradient buffers (alignment, groups past
// the binding limit, one-dispatch zeroGrad), PyTorch's default initialisation, train/eval and
// BatchNorm running statistics, dropout seeding.
import * as sw from "../mod.ts";
import {
  ALIGN_FLOATS,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Flatten,
  GlobalAvgPool,
  Linear,
  MaxPool2d,
  type Module,
  planLayout,
  ReLU,
  Sequential,
} from "../src/nn/mod.ts";
import { assert, assertClose, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";

const smallNet = () =>
  new Sequential(
    new Conv2d(3, 5, 3, { padding: 1 }),
    new BatchNorm2d(5),
    new ReLU(),
    new MaxPool2d(2),
    new GlobalAvgPool(),
    new Linear(5, 3),
  );

function input(shape: number[], seed = 1): sw.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return sw.tensor(Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed)), shape);
}

/** One forward/backward with cross-entropy; returns the loss value. */
async function step(net: Module, x: sw.Tensor, labels: number[], opts = {}): Promise<number> {
  const loss = sw.tidy(() => {
    const l = sw.crossEntropy(net.forward(x, opts), sw.tensor(labels));
    sw.backward(l);
    return l;
  });
  const v = await loss.item();
  loss.dispose();
  return v;
}

Deno.test("planLayout aligns offsets to 256 bytes and splits groups at the limit", () => {
  const a = planLayout([10, 64, 1, 200], 1 << 20);
  assertEquals(a.placements.map((p) => p.offset), [0, 64, 128, 192]);
  assertEquals(a.groupFloats, [392]);
  // A 256-float limit: the 200-float tensor cannot follow the third one in the first group.
  const b = planLayout([10, 64, 1, 200], 256);
  assertEquals(b.placements, [{ group: 0, offset: 0 }, { group: 0, offset: 64 }, { group: 0, offset: 128 }, {
    group: 1,
    offset: 0,
  }]);
  assertEquals(b.groupFloats, [129, 200]);
  let msg = "";
  try {
    planLayout([300], 256);
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/more than one binding/.test(msg), msg);
  assertEquals(ALIGN_FLOATS, 64);
});

gpuTest("module: PyTorch parameter order, state-dict names, flat aligned views", async () => {
  const net = smallNet().materialize({ seed: 3 });
  try {
    assertEquals(net.namedParameters().map(([n]) => n), [
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
      "5.weight",
      "5.bias",
    ]);
    assertEquals(net.stateDict().map((e) => e.name), [
      "0.weight",
      "0.bias",
      "1.weight",
      "1.bias",
      "1.running_mean",
      "1.running_var",
      "1.num_batches_tracked",
      "5.weight",
      "5.bias",
    ]);
    assertEquals(net.stateDict().find((e) => e.name === "1.num_batches_tracked")!.dtype, "I64");
    assertEquals(net.parameterCount(), 5 * 27 + 5 + 5 + 5 + 15 + 3);
    const params = net.parameters();
    assertEquals(net.flatParams.length, 1);
    const flat = net.flatParams[0];
    for (const [i, p] of params.entries()) {
      assert(p.storage === flat.storage, "every parameter views the flat buffer");
      assert(p.offset % 256 === 0, "aligned view");
      assert(p.requiresGrad && p.grad !== null, "requires grad, gradient preset");
      assert(p.grad!.storage === net.flatGrads[0].storage && p.grad!.offset === p.offset, "gradient view");
      if (i) assert(p.offset >= params[i - 1].offset + params[i - 1].size * 4, "views do not overlap");
    }
    assertEquals(flat.size * 4, params[5].offset + params[5].size * 4, "flat span ends at the last view");
    // Padding between views is zero: the sum of squares of the flat buffer is that of the views.
    const all = await flat.data();
    let inViews = 0, total = 0;
    for (const p of params) {
      const o = p.offset / 4;
      for (let k = 0; k < p.size; k++) inViews += all[o + k] ** 2;
    }
    for (const v of all) total += v * v;
    assertClose(total, inViews, 1e-9, "zero padding");
  } finally {
    net.dispose();
  }
});

gpuTest("module: PyTorch default initialisation, reproducible from the seed", async () => {
  const a = smallNet().materialize({ seed: 7 }), b = smallNet().materialize({ seed: 7 });
  const c = smallNet().materialize({ seed: 8 });
  try {
    const [pa, pb, pc] = await Promise.all([a, b, c].map((m) => m.flat.readParams()));
    assertEquals(pa.map((v) => [...v]), pb.map((v) => [...v]), "same seed, same weights");
    assert(pa[0].some((v, i) => v !== pc[0][i]), "another seed, other weights");
    const bound = 1 / Math.sqrt(27);
    const within = (v: Float32Array, lim: number) => v.every((x) => Math.abs(x) <= lim);
    assert(within(pa[0], bound) && within(pa[1], bound), "conv weight and bias in U(-1/sqrt(fan_in), ..)");
    // U(-b, b) has standard deviation b / sqrt(3); 135 samples are within 25% of it.
    const std = Math.sqrt(pa[0].reduce((s, v) => s + v * v, 0) / pa[0].length);
    assertClose(std, bound / Math.sqrt(3), 0.25 * bound / Math.sqrt(3), "conv weight spread");
    assertEquals([...pa[2]], [1, 1, 1, 1, 1], "BN weight 1");
    assertEquals([...pa[3]], [0, 0, 0, 0, 0], "BN bias 0");
    assert(within(pa[4], 1 / Math.sqrt(5)) && within(pa[5], 1 / Math.sqrt(5)), "linear init");
    const bufs = a.namedBuffers();
    assertEquals(bufs.map(([n]) => n), ["1.running_mean", "1.running_var", "1.num_batches_tracked"]);
    assertEquals([...await bufs[1][1].data()], [1, 1, 1, 1, 1], "running_var 1");
  } finally {
    [a, b, c].forEach((m) => m.dispose());
  }
});

gpuTest("module: backward fills the flat gradients, zeroGrad is one dispatch", async () => {
  const net = smallNet().materialize({ seed: 1 });
  const x = input([2, 3, 6, 6]).keep();
  try {
    net.zeroGrad();
    const loss = await step(net, x, [0, 2]);
    assert(Number.isFinite(loss), `finite loss ${loss}`);
    const g = await net.flatGrads[0].data();
    for (const p of net.parameters()) {
      const part = g.subarray(p.offset / 4, p.offset / 4 + p.size);
      assert(part.some((v) => v !== 0), `non-zero gradient of ${p.name}`);
    }
    // A second backward accumulates: the gradient doubles.
    await step(net, x, [0, 2], { updateStats: false });
    const g2 = await net.flatGrads[0].data();
    const w = net.parameters()[4];
    for (let k = 0; k < w.size; k++) {
      assertClose(g2[w.offset / 4 + k], 2 * g[w.offset / 4 + k], 1e-5, "accumulate");
    }
    const rt = sw.runtime();
    await rt.sync();
    rt.resetCounters();
    net.zeroGrad();
    await rt.sync();
    assertEquals(rt.stats().dispatches, 1, "zeroGrad dispatches");
    assert((await net.flatGrads[0].data()).every((v) => v === 0), "zeroed");
  } finally {
    x.dispose();
    net.dispose();
  }
});

gpuTest("module: parameters split into groups below a binding limit still train", async () => {
  // 1 KiB groups: the conv weight (135 floats) and each later tensor land in several groups.
  const net = smallNet().materialize({ seed: 1, maxBindingBytes: 1024 });
  const ref = smallNet().materialize({ seed: 1 });
  const x = input([2, 3, 6, 6]).keep();
  try {
    assert(net.paramGroups.length > 1, `${net.paramGroups.length} groups`);
    for (const f of net.flatParams) assert(f.size * 4 <= 1024, "group within the limit");
    assertEquals(net.paramGroups.reduce((n, g) => n + g.params.length, 0), 6);
    net.zeroGrad();
    ref.zeroGrad();
    const [l1, l2] = [await step(net, x, [1, 2]), await step(ref, x, [1, 2])];
    assertClose(l1, l2, 1e-6, "same loss with one or several groups");
    const ga = await Promise.all(net.grads.map((g) => g.data()));
    const gb = await Promise.all(ref.grads.map((g) => g.data()));
    ga.forEach((g, i) => g.forEach((v, k) => assertClose(v, gb[i][k], 1e-6, `grad ${i}[${k}]`)));
  } finally {
    x.dispose();
    net.dispose();
    ref.dispose();
  }
});

gpuTest("module: train/eval, BatchNorm running statistics and updateStats", async () => {
  const net = smallNet().materialize({ seed: 2 });
  const bn = net.namedModules().find(([n]) => n === "1")![1] as BatchNorm2d;
  const x = input([2, 3, 4, 4], 5).keep();
  try {
    const read = async () => [...await bn.runningMean.value.data(), await bn.numBatchesTracked.value.item()];
    const before = await read();
    net.eval();
    assert(net.namedModules().every(([, m]) => !m.training), "eval propagates");
    sw.tidy(() => void net.forward(x));
    assertEquals(await read(), before, "eval leaves running statistics");
    net.train();
    sw.tidy(() => void net.forward(x, { updateStats: false }));
    assertEquals(await read(), before, "updateStats false leaves them");
    sw.tidy(() => void net.forward(x));
    const after = await read();
    assertEquals(after[5], 1, "num_batches_tracked");
    assert(after.slice(0, 5).some((v, i) => v !== before[i]), "train updates running_mean");
  } finally {
    x.dispose();
    net.dispose();
  }
});

gpuTest("module: each Dropout layer gets its own seed and a fresh mask per call", async () => {
  const net = new Sequential(new Flatten(), new Dropout(0.5), new Dropout(0.5)).materialize({ seed: 4 });
  const d1 = net.at(1) as Dropout, d2 = net.at(2) as Dropout;
  const x = sw.ones([1, 256]).keep();
  try {
    assert(d1.seed !== d2.seed, "distinct seeds");
    const masks: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const y = sw.tidy(() => sw.keep(d1.forward(x)));
      masks.push([...await y.data()]);
      y.dispose();
    }
    assertEquals(d1.calls, 2);
    assert(masks[0].some((v, i) => v !== masks[1][i]), "a new mask per call");
    net.eval();
    assert(sw.tidy(() => net.forward(x)).shape.join() === "1,256", "eval forward");
  } finally {
    x.dispose();
    net.dispose();
  }
});

gpuTest("module: state is declared, not allocated, until materialize()", () => {
  const net = smallNet();
  assertEquals(net.parameterCount(), 168);
  let msg = "";
  try {
    net.parameters();
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/before materialize/.test(msg), msg);
  net.materialize();
  try {
    net.materialize();
    msg = "";
  } catch (e) {
    msg = (e as Error).message;
  }
  assert(/already materialised/.test(msg), msg);
  net.dispose();
});
