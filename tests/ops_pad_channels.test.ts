// padChannels / addPadded (zero-padded channels, PyramidNet's shortcut) against float64
// references, gradients by the float64 gradcheck on odd shapes; sliceChannels; bad shapes.
import * as sw from "../mod.ts";
import { addPadded, padChannels, sliceChannels } from "../src/ops/pad_channels.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest, gradcheck, type Ref } from "./harness.ts";

/** x zero-padded to `wide` along `axis`, in float64. */
function padRef(x: Ref, wide: number, axis: number): Ref {
  const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const narrow = x.shape[axis];
  const shape = [...x.shape];
  shape[axis] = wide;
  const data = new Float64Array(outer * wide * inner);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < narrow; c++) {
      for (let s = 0; s < inner; s++) data[(o * wide + c) * inner + s] = x.data[(o * narrow + c) * inner + s];
    }
  }
  return { data, shape };
}

const addRef = (a: Ref, b: Ref): Ref => ({ data: a.data.map((v, i) => v + b.data[i]), shape: a.shape });

gpuTest(
  "padChannels: NCHW [3, 5, 3, 7] to 9 channels",
  () => gradcheck("padChannels", [[3, 5, 3, 7]], ([x]) => padChannels(x, 9), ([x]) => padRef(x, 9, 1)),
);

gpuTest("padChannels: last axis of [5, 3] to 4, and to the same width", async () => {
  await gradcheck("padChannels axis -1", [[5, 3]], ([x]) => padChannels(x, 4, -1), ([x]) => padRef(x, 4, 1));
  await gradcheck("padChannels no-op", [[2, 3, 5]], ([x]) => padChannels(x, 3), ([x]) => padRef(x, 3, 1));
});

gpuTest("addPadded: [3, 11, 5, 3] + [3, 7, 5, 3], both gradients", () =>
  gradcheck(
    "addPadded",
    [[3, 11, 5, 3], [3, 7, 5, 3]],
    ([a, b]) => addPadded(a, b),
    ([a, b]) => addRef(a, padRef(b, 11, 1)),
  ));

gpuTest("addPadded after a strided average pool, as PyramidNet's downsampling shortcut", () =>
  gradcheck(
    "addPadded(avgPool)",
    [[2, 13, 3, 3], [2, 5, 5, 5]],
    ([a, b]) => addPadded(a, sw.avgPool2d(b, { kernel: 2, stride: 2, ceilMode: true })),
    ([a, b]) => {
      // AvgPool2d(2, 2, ceil_mode=True) on 5x5: windows clipped at the edge divide by their size.
      const pooled = new Float64Array(2 * 5 * 9);
      for (let n = 0; n < 2 * 5; n++) {
        for (let oy = 0; oy < 3; oy++) {
          for (let ox = 0; ox < 3; ox++) {
            let s = 0, k = 0;
            for (let y = 2 * oy; y < Math.min(2 * oy + 2, 5); y++) {
              for (let x = 2 * ox; x < Math.min(2 * ox + 2, 5); x++, k++) s += b.data[n * 25 + y * 5 + x];
            }
            pooled[n * 9 + oy * 3 + ox] = s / k;
          }
        }
      }
      return addRef(a, padRef({ data: pooled, shape: [2, 5, 3, 3] }, 13, 1));
    },
  ));

gpuTest("sliceChannels takes the first channels; bad shapes are refused", async () => {
  const x = sw.tensor(Float32Array.from({ length: 2 * 4 * 3 }, (_, i) => i), [2, 4, 3]);
  const s = sliceChannels(x, 2);
  assertEquals([...s.shape], [2, 2, 3]);
  assertEquals([...await s.data()], [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17]);
  const threw = (f: () => unknown, re: RegExp) => {
    try {
      f();
    } catch (e) {
      assert(re.test((e as Error).message), (e as Error).message);
      return;
    }
    throw new Error(`no error for ${re}`);
  };
  threw(() => padChannels(x, 3), /padChannels: cannot pad axis 1 of \[2,4,3\] to 3/);
  threw(() => addPadded(x, sw.tensor(new Float32Array(2 * 5 * 3), [2, 5, 3])), /addPadded: cannot add/);
  threw(() => addPadded(x, sw.tensor(new Float32Array(2 * 2 * 2), [2, 2, 2])), /addPadded: cannot add/);
  threw(() => sliceChannels(x, 5), /sliceChannels: cannot take 5/);
});
