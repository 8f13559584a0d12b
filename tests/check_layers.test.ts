// The folder-cycle check of `deno task check` (scripts/check_layers.ts).
import { assertEquals } from "./assert.ts";
import { cycles, type FolderGraph, folderOf, importsOf } from "../scripts/check_layers.ts";

const graph = (edges: Record<string, string[]>): FolderGraph =>
  new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

Deno.test("check_layers: finds each cycle of folders, and none in a one-way graph", () => {
  assertEquals(cycles(graph({ a: ["b"], b: ["c"], c: [] })), []);
  assertEquals(cycles(graph({ a: ["b"], b: ["c"], c: ["a"], d: ["a"], e: ["f"], f: ["e"] })), [
    ["a", "b", "c"],
    ["e", "f"],
  ]);
});

Deno.test("check_layers: reads static, type-only, re-export and dynamic imports; maps paths to folders", () => {
  const src = [
    'import { a } from "../ops/a.ts";',
    'import type {\n  B,\n} from "../tape/tape.ts";',
    'export * from "./c.ts";',
    'const m = await import("../../plugins/x.ts");',
    'import x from "npm:foo";',
  ].join("\n");
  assertEquals(importsOf(src).sort(), ["../../plugins/x.ts", "../ops/a.ts", "../tape/tape.ts", "./c.ts"]);
  assertEquals([folderOf("src/ops/a.ts"), folderOf("plugins/sgd.ts"), folderOf("mod.ts")], [
    "src/ops",
    "plugins",
    null,
  ]);
});
