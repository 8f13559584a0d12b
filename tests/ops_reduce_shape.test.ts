// Reductions, reshapes and permutes against float64 references.
import * as sw from "../mod.ts";
import { gpuTest, gradcheck, type Ref, strides } from "./harness.ts";

function reduceRef(x: Ref, axes: number[], keepdim: boolean, op: "sum" | "max" | "mean"): Ref {
  const outShapeKeep = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const so = strides(outShapeKeep), sx = strides(x.shape);
  const n = outShapeKeep.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n).fill(op === "max" ? -Infinity : 0);
  const count = axes.reduce((c, a) => c * x.shape[a], 1);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    x.shape.forEach((_, d) => {
      const c = Math.floor(i / sx[d]) % x.shape[d];
      if (!axes.includes(d)) o += c * so[d];
    });
    data[o] = op === "max" ? Math.max(data[o], x.data[i]) : data[o] + x.data[i];
  }
  if (op === "mean") data.forEach((v, i) => (data[i] = v / count));
  return { data, shape: keepdim ? outShapeKeep : x.shape.filter((_, i) => !axes.includes(i)) };
}

const cases: [number[], number[], boolean][] = [
  [[3, 5, 7], [1], false],
  [[3, 5, 7], [0, 2], true], // non-adjacent axes
  [[3, 5, 7], [0, 1, 2], false], // everything
  [[4, 1, 6], [1], false], // size-1 axis
  [[2, 3, 1, 5], [1, 3], true],
  [[5000], [0], false], // long reduction split in parts
  [[2, 3000], [1], false],
];

for (const [shape, axes, keepdim] of cases) {
  for (const op of ["sum", "mean", "max"] as const) {
    gpuTest(`${op} over [${axes}] of [${shape}] keepdim=${keepdim}`, () =>
      gradcheck(
        `${op}`,
        [shape],
        ([x]) => sw[op](x, axes, keepdim),
        ([x]) => reduceRef(x, axes, keepdim, op),
        { fwdAtol: 1e-4, gradAtol: 2e-4 },
      ));
  }
}

gpuTest("reshape and flatten keep gradients", () =>
  gradcheck(
    "reshape",
    [[2, 3, 5]],
    ([x]) => sw.mul(sw.reshape(x, [5, -1]), sw.flatten(x).size > 0 ? sw.reshape(x, [5, 6]) : x),
    ([x]) => ({ data: x.data.map((v) => v * v), shape: [5, 6] }),
  ));

gpuTest("permute and transpose", () =>
  gradcheck(
    "permute",
    [[2, 3, 5, 4]],
    ([x]) => sw.permute(x, [2, 0, 3, 1]),
    ([x]) => {
      const [a, b, c, d] = x.shape;
      const out = new Float64Array(x.data.length);
      let k = 0;
      for (let i2 = 0; i2 < c; i2++) {
        for (let i0 = 0; i0 < a; i0++) {
          for (let i3 = 0; i3 < d; i3++) {
            for (let i1 = 0; i1 < b; i1++) out[k++] = x.data[((i0 * b + i1) * c + i2) * d + i3];
          }
        }
      }
      return { data: out, shape: [c, a, d, b] };
    },
  ));

gpuTest("broadcastTo sums its gradient back", () =>
  gradcheck(
    "broadcastTo",
    [[3, 1, 5]],
    ([x]) => sw.broadcastTo(x, [2, 3, 4, 5]),
    ([x]) => {
      const out = new Float64Array(2 * 3 * 4 * 5);
      for (let i = 0; i < out.length; i++) {
        const e = i % 5, b = Math.floor(i / 20) % 3;
        out[i] = x.data[b * 5 + e];
      }
      return { data: out, shape: [2, 3, 4, 5] };
    },
  ));
