// The runtime's contracts: batching (no submit per op), readback only on request, buffer
// reuse, flat memory over many steps, and errors that name the kernel.
import * as sw from "../mod.ts";
import { GpuError } from "../src/gpu/runtime.ts";
import { bucketSize } from "../src/gpu/pool.ts";
import { TexturePool } from "../src/gpu/texture_pool.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest, randArray, rng } from "./harness.ts";

gpuTest("1000 tiny ops are recorded without a submit or readback, then submitted in one", async () => {
  const rt = sw.runtime();
  const x = sw.tensor([1, 2, 3], [3]).keep();
  rt.flush();
  rt.resetCounters();
  const y = sw.tidy(() => {
    let t = x;
    for (let i = 0; i < 1000; i++) t = sw.addScalar(t, 1);
    return t;
  });
  assertEquals(rt.stats().submits, 0);
  assertEquals(rt.stats().readbacks, 0);
  assertEquals(rt.pendingCount, 1000);
  assertEquals([...await y.data()], [1001, 1002, 1003]);
  const s = rt.stats();
  assertEquals(s.dispatches, 1000);
  assert(s.submits <= 1 + Math.ceil(1000 / rt.maxBatch), `${s.submits} submits`);
  assertEquals(s.readbacks, 1);
  x.dispose();
  y.dispose();
});

gpuTest("buffer pool buckets and reuse", () => {
  assertEquals(bucketSize(1), 256);
  assertEquals(bucketSize(1000), 1024);
  assertEquals(bucketSize(1025), 1280);
  assert(bucketSize(3 * 1024 * 1024 + 1) <= 3.5 * 1024 * 1024);
  const rt = sw.runtime();
  const a = sw.zeros([1000]);
  const created = rt.stats().buffersCreated;
  a.dispose();
  const b = sw.zeros([900]); // same bucket: served from the pool
  assertEquals(rt.stats().buffersCreated, created);
  b.dispose();
});

gpuTest("500 MLP training steps keep live buffers and the pool flat", async () => {
  const r = rng(5);
  const w1 = sw.tensor(Float32Array.from(randArray(16 * 12, r, -0.3, 0.3)), [16, 12]).keep();
  const w2 = sw.tensor(Float32Array.from(randArray(4 * 16, r, -0.3, 0.3)), [4, 16]).keep();
  w1.requiresGrad = w2.requiresGrad = true;
  const x = sw.tensor(Float32Array.from(randArray(8 * 12, r)), [8, 12]).keep();
  const y = sw.tensor([0, 1, 2, 3, 0, 1, 2, 3], [8]).keep();
  const rt = sw.runtime();
  const step = () =>
    sw.tidy(() => {
      const loss = sw.crossEntropy(sw.linear(sw.relu(sw.linear(x, w1)), w2), y);
      sw.backward(loss);
      sw.noGrad(() => {
        sw.axpy_(-0.1, [w1.grad!, w2.grad!], [w1, w2]);
        sw.scale_(0, [w1.grad!, w2.grad!]);
      });
      return loss;
    });
  let first = 0;
  let loss0 = 0;
  let snap = rt.stats();
  for (let i = 0; i < 500; i++) {
    const loss = step();
    if (i === 0) loss0 = await loss.item();
    if (i === 499) assert((await loss.item()) < loss0, "loss did not fall");
    loss.dispose();
    rt.flush();
    if (i === 10) {
      snap = rt.stats();
      first = snap.buffersCreated;
    }
  }
  const end = rt.stats();
  assertEquals(end.buffersCreated, first, "buffers created after warm-up");
  assertEquals(end.liveBuffers, snap.liveBuffers, "live buffers");
  assertEquals(end.reservedBytes, snap.reservedBytes, "reserved bytes");
  [w1, w2, x, y].forEach((t) => t.dispose());
});

gpuTest("a kernel that fails to compile is reported by name", async () => {
  const rt = sw.runtime();
  const k = rt.kernel("broken_kernel", "@compute @workgroup_size(1) fn main() { let x: f32 = 1u; }");
  await assertRejects(() => rt.checkCompiled([k]), /broken_kernel/);
  await rt.sync().catch(() => {}); // drain the error
});

gpuTest("errors are GpuError/Error with one-line messages", async () => {
  await assertRejects(() => sw.matmul(sw.zeros([2, 3]), sw.zeros([4, 5])), /inner dimensions differ/);
  await assertRejects(() => sw.add(sw.zeros([2, 3]), sw.zeros([4])), /cannot be broadcast/);
  const t = sw.zeros([2]);
  t.dispose();
  await assertRejects(() => t.data(), /used after dispose/);
  assert(new GpuError("x") instanceof Error);
});

gpuTest("replayTimes times the captured dispatches per kernel and leaves results intact", async () => {
  const rt = sw.runtime();
  const x = sw.tensor([1, 2, 3], [3]).keep();
  rt.startCapture();
  const y = sw.tidy(() => sw.mul(sw.addScalar(sw.addScalar(x, 1), 2), x)); // 2 unary + 1 binary
  const times = await rt.replayTimes(2);
  const byName = Object.fromEntries(times.map((t) => [t.name, t]));
  assertEquals(byName["unary.addScalar"]?.calls, 2, JSON.stringify(times));
  assertEquals(byName["binary.mul"]?.calls, 1, JSON.stringify(times));
  assert(times.every((t) => Number.isFinite(t.ms) && t.ms >= 0), JSON.stringify(times));
  // Replaying rewrites the outputs with the same values; capture is off afterwards.
  assertEquals([...await y.data()], [4, 10, 18]);
  const after = sw.tidy(() => sw.addScalar(x, 1));
  assertEquals((await rt.replayTimes()).length, 0);
  x.dispose();
  y.dispose();
  after.dispose();
});

gpuTest("replayTimes reports each kernel's CPU time over its replays when given a CPU clock", async () => {
  const rt = sw.runtime();
  const x = sw.tensor([1, 2, 3], [3]).keep();
  rt.startCapture();
  const y = sw.tidy(() => sw.mul(sw.addScalar(x, 1), x));
  // A fake clock that advances 6 ms per reading: each kernel's two readings, over 3 replays, give 2.
  let now = 0;
  const times = await rt.replayTimes(3, () => (now += 6));
  assertEquals(times.map((t) => t.cpuMs), [2, 2], JSON.stringify(times));
  rt.startCapture();
  sw.tidy(() => sw.addScalar(x, 1));
  assertEquals((await rt.replayTimes(1)).map((t) => t.cpuMs), [undefined]);
  x.dispose();
  y.dispose();
});

gpuTest(
  "texture pool: the smallest free texture that fits serves; past the budget free ones are retired",
  async () => {
    const rt = sw.runtime();
    const pool = new TexturePool(rt.device, 3 * 16 * 64 * 64 * 4); // three 64x64x4 textures
    const big = pool.acquire(64, 64, 4), small = pool.acquire(16, 16, 1);
    assertEquals(pool.created, 2);
    pool.release(big);
    pool.release(small);
    // A request that both fit takes the smaller; one that only the larger fits takes that.
    assertEquals(pool.acquire(8, 8, 1), small);
    assertEquals(pool.acquire(32, 64, 2), big);
    pool.release(small);
    pool.release(big);
    assertEquals(pool.created, 2);
    // A size none fits is created; the budget (three large ones) then retires free textures, largest first.
    const wide = pool.acquire(128, 64, 2);
    assertEquals(pool.created, 3);
    const wide2 = pool.acquire(128, 64, 2);
    assert(wide2 !== wide, "a texture in use is never handed out twice");
    assert(pool.bytes <= pool.budget, `${pool.bytes} bytes held, budget ${pool.budget}`);
    // Retired textures are destroyed at collect(): using one afterwards is a validation error.
    pool.collect();
    rt.device.pushErrorScope("validation");
    rt.device.queue.writeTexture({ texture: big.texture }, new Float32Array(4), {}, [1, 1, 1]);
    assert(await rt.device.popErrorScope(), "the retired 64x64x4 texture was destroyed");
    for (const t of [wide, wide2]) t.texture.destroy();
  },
);
