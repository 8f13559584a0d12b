// The safetensors codec: layout rules the reference implementation checks (8-byte padded
// header, contiguous offsets covering the data), dtypes, atomic writes and one-line errors.
import {
  decodeSafetensors,
  encodeSafetensors,
  readSafetensors,
  type SafeTensor,
  writeSafetensors,
} from "../src/nn/safetensors.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";

const tensors: [string, SafeTensor][] = [
  ["conv.weight", { dtype: "F32", shape: [2, 1, 1, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) }],
  ["bn.num_batches_tracked", { dtype: "I64", shape: [], data: BigInt64Array.from([42n]) }],
  ["empty", { dtype: "F32", shape: [0, 3], data: new Float32Array(0) }],
];

Deno.test("safetensors: header layout, contiguous offsets, round trip", () => {
  const bytes = encodeSafetensors(tensors, { format: "pt", note: "x" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assertEquals(n % 8, 0, "header padded to 8 bytes");
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assertEquals(header.__metadata__, { format: "pt", note: "x" });
  assertEquals(header["conv.weight"], { dtype: "F32", shape: [2, 1, 1, 3], data_offsets: [0, 24] });
  assertEquals(header["bn.num_batches_tracked"], { dtype: "I64", shape: [], data_offsets: [24, 32] });
  assertEquals(header["empty"].data_offsets, [32, 32]);
  assertEquals(bytes.length, 8 + n + 32, "data section is exactly the tensors");
  const back = decodeSafetensors(bytes);
  assertEquals([...back.tensors.keys()], ["conv.weight", "bn.num_batches_tracked", "empty"]);
  assertEquals([...back.tensors.get("conv.weight")!.data as Float32Array], [
    ...tensors[0][1].data as Float32Array,
  ]);
  assert((back.tensors.get("bn.num_batches_tracked")!.data as BigInt64Array)[0] === 42n, "int64 counter");
  assertEquals(back.metadata.format, "pt");
});

Deno.test("safetensors: invalid files give one-line errors naming the source", async () => {
  const good = encodeSafetensors(tensors);
  const cases: [Uint8Array, RegExp][] = [
    [good.subarray(0, 5), /f\.st: not a safetensors file/],
    [good.subarray(0, 20), /f\.st: not a safetensors file \(header length/],
    [
      (() => {
        const b = good.slice();
        b[8] = 0x41; // break the JSON
        return b;
      })(),
      /f\.st: header is not valid JSON/,
    ],
    [good.subarray(0, good.length - 4), /f\.st: tensor '.*' has data offsets/],
  ];
  for (const [bytes, re] of cases) {
    await assertRejects(() => decodeSafetensors(bytes, "f.st"), re);
  }
  const bad = encodeSafetensors([["t", { dtype: "F32", shape: [2], data: new Float32Array(2) }]]);
  const text = new TextDecoder().decode(bad).replace('"F32"', '"F16"');
  await assertRejects(
    () => decodeSafetensors(new TextEncoder().encode(text), "f.st"),
    /f\.st: tensor 't' has unsupported dtype "F16"/,
  );
  await assertRejects(
    () => encodeSafetensors([["t", { dtype: "F32", shape: [3], data: new Float32Array(2) }]]),
    /tensor 't' has 2 F32 values for shape \[3\]/,
  );
});

Deno.test("safetensors: atomic write leaves only the file; read errors name the path", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/w.safetensors`;
    await writeSafetensors(path, tensors, { format: "pt" });
    await writeSafetensors(path, tensors.slice(0, 1)); // overwrite in place
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names, ["w.safetensors"], "no temporary file left");
    assertEquals([...(await readSafetensors(path)).tensors.keys()], ["conv.weight"]);
    await assertRejects(
      () => readSafetensors(`${dir}/missing.safetensors`),
      /cannot read .*missing\.safetensors/,
    );
    await assertRejects(() => writeSafetensors(`${dir}/no/such/dir/x.safetensors`, tensors), /cannot write/);
    names.length = 0;
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert(names.length === 1, "a failed write leaves nothing behind");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
