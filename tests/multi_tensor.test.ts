// Fused multi-tensor ops: global norm, dot, axpy/axpby/scale/copy over lists, flat or not,
// against float64 references, and their dispatch counts.
import * as sw from "../mod.ts";
import { Storage, Tensor } from "../src/tensor/tensor.ts";
import { assert, assertClose, assertEquals } from "./assert.ts";
import { gpuTest, randArray, rng } from "./harness.ts";

const shapes = [[3, 5], [7], [2, 2, 3], [1]];

/** A list of views into one flat buffer, each aligned to 256 bytes as models lay them out. */
function flatList(values: Float64Array[]): Tensor[] {
  const offs: number[] = [];
  let bytes = 0;
  for (const v of values) {
    offs.push(bytes);
    bytes = Math.ceil((bytes + v.length * 4) / 256) * 256;
  }
  const st = Storage.alloc(bytes);
  const zeros = new Float32Array(bytes / 4);
  values.forEach((v, i) => zeros.set(Float32Array.from(v), offs[i] / 4));
  sw.runtime().write(st.buffer, 0, zeros);
  const list = values.map((_, i) => {
    st.retain();
    return new Tensor(shapes[i], st, offs[i]).keep();
  });
  st.release(); // the views hold the references now
  return list;
}

function vals(seed: number): Float64Array[] {
  const r = rng(seed);
  return shapes.map((s) => randArray(s.reduce((a, b) => a * b, 1), r));
}

const dotRef = (a: Float64Array[], b: Float64Array[]) =>
  a.reduce((s, x, i) => s + x.reduce((t, v, j) => t + v * b[i][j], 0), 0);

for (const flat of [true, false]) {
  const make = (v: Float64Array[]) =>
    flat ? flatList(v) : v.map((x, i) => sw.tensor(Float32Array.from(x), shapes[i]).keep());
  const kind = flat ? "flat" : "separate";

  gpuTest(`globalNorm and dot over a ${kind} list`, async () => {
    const a = vals(1), b = vals(2);
    const xs = make(a), ys = make(b);
    const rt = sw.runtime();
    rt.flush();
    rt.resetCounters();
    const norm = sw.globalNorm(xs);
    const d = sw.dot(xs, ys);
    const dispatches = rt.stats().dispatches + rt.pendingCount;
    // norm: partial sums, two reduce passes, sqrt; dot: partials, two passes. Whatever the list length.
    if (flat) assert(dispatches <= 7, `flat norm+dot took ${dispatches} dispatches`);
    assertClose(await norm.item(), Math.sqrt(dotRef(a, a)), 1e-5, "norm");
    assertClose(await d.item(), dotRef(a, b), 1e-5, "dot");
    [...xs, ...ys, norm, d].forEach((t) => t.dispose());
  });

  gpuTest(`axpy/axpby/scale/copy over a ${kind} list, with a GPU scalar coefficient`, async () => {
    const a = vals(3), b = vals(4);
    const xs = make(a), ys = make(b);
    const s = sw.tensor([4], []).keep();
    const update = (xs: Tensor[], ys: Tensor[]) => {
      // ys = 0.5 * ys + 2 / (sqrt(4) + 1e-12) * xs  ==  0.5 ys + xs
      sw.axpby_({ alpha: 2, scalar: s, mode: "inverseSqrt", eps: 1e-12 }, xs, 0.5, ys);
      sw.axpy_(-0.25, xs, ys); // ys = 0.5 ys + 0.75 xs
      sw.scale_({ alpha: 0.5, scalar: s }, ys); // * 2
    };
    // Which kernels run, on scratch lists (replaying repeats the in-place updates): the first
    // n - n % 4 floats of a run load vec4s, the rest floats. The flat run (views at 0, 64, 128
    // and 192 floats, the last of 1) ends in one float; separately, the 15- and 7-element tensors
    // take both kernels, the 12-element one vec4s, the 1-element one floats.
    const rt = sw.runtime();
    const sx = make(a), sy = make(b);
    rt.startCapture();
    update(sx, sy);
    const names = (await rt.replayTimes(1)).map((t) => t.name).sort();
    const ops = ["axpby", "axpy", "scale"];
    assertEquals(
      names,
      ops.flatMap((o) => [`multi.${o}`, `multi4.${o}`]).sort(),
    );
    [...sx, ...sy].forEach((t) => t.dispose());
    update(xs, ys);
    const want = b.map((y, i) => y.map((v, j) => 2 * (0.5 * v + 0.75 * a[i][j])));
    for (let i = 0; i < ys.length; i++) {
      const got = await ys[i].data();
      got.forEach((g, j) => assertClose(g, want[i][j], 1e-5, `tensor ${i} element ${j}`));
    }
    sw.copy_(xs, ys);
    for (let i = 0; i < ys.length; i++) {
      const got = await ys[i].data();
      got.forEach((g, j) => assertClose(g, Math.fround(a[i][j]), 0, `copy ${i}.${j}`));
    }
    [...xs, ...ys, s].forEach((t) => t.dispose());
  });
}

/** Views of `sizes` floats into one fresh buffer at the given byte offsets, holding `values`. */
function viewsAt(sizes: number[], offsets: number[], values: Float64Array[]): Tensor[] {
  const bytes = Math.max(...sizes.map((s, i) => offsets[i] + s * 4));
  const st = Storage.alloc(Math.ceil(bytes / 256) * 256);
  const data = new Float32Array(st.buffer.size / 4);
  values.forEach((v, i) => data.set(Float32Array.from(v), offsets[i] / 4));
  sw.runtime().write(st.buffer, 0, data);
  const list = sizes.map((s, i) => {
    st.retain();
    return new Tensor([s], st, offsets[i]).keep();
  });
  st.release();
  return list;
}

gpuTest("lists of equal extent but different layouts pair tensors by index, not by position", async () => {
  // xs = [x0 at 0, x1 at 512], ys = [y0 at 512, y1 at 0]: the same 192-float span, swapped.
  // One dispatch over both spans would add x0 to y1; the ops must go tensor by tensor.
  const r = rng(11);
  const a = [randArray(64, r), randArray(64, r)], b = [randArray(64, r), randArray(64, r)];
  const xs = viewsAt([64, 64], [0, 512], a), ys = viewsAt([64, 64], [512, 0], b);
  sw.axpy_(2, xs, ys);
  const d = sw.dot(xs, ys);
  for (let i = 0; i < 2; i++) {
    const got = await ys[i].data();
    got.forEach((g, j) => assertClose(g, b[i][j] + 2 * a[i][j], 1e-5, `axpy ${i}.${j}`));
  }
  const want = a.reduce((s, x, i) => s + x.reduce((t, v, j) => t + v * (b[i][j] + 2 * v), 0), 0);
  assertClose(await d.item(), want, 1e-4, "dot");
  sw.copy_(xs, ys);
  for (let i = 0; i < 2; i++) {
    (await ys[i].data()).forEach((g, j) => assertClose(g, Math.fround(a[i][j]), 0, `copy ${i}.${j}`));
  }
  [...xs, ...ys, d].forEach((t) => t.dispose());
});

gpuTest("a list in two flat buffers (two groups) takes one run per group", async () => {
  const r = rng(12);
  const a = [randArray(5, r), randArray(7, r), randArray(3, r), randArray(9, r)];
  const xs = [...viewsAt([5, 7], [0, 256], a.slice(0, 2)), ...viewsAt([3, 9], [0, 256], a.slice(2))];
  const rt = sw.runtime();
  rt.flush();
  rt.resetCounters();
  sw.scale_(3, xs);
  // Each group's run spans 71 and 73 floats: a vec4 dispatch and one for the last 3 and 1 floats.
  assertEquals(rt.stats().dispatches + rt.pendingCount, 4);
  const ss = sw.sumOfSquares(xs);
  const want = a.reduce((s, x) => s + x.reduce((t, v) => t + 9 * v * v, 0), 0);
  assertClose(await ss.item(), want, 1e-4, "sum of squares");
  [...xs, ss].forEach((t) => t.dispose());
});
