// shaders/lib/grid.wgsl: the blocks that gridWalk and walkOf give each group of GRID_WALKERS
// invocations cover every element exactly once, whatever the grid (1-D or folded into 2-D, as
// grid() does past 65535 workgroups), the workgroup size and the count (ragged last blocks,
// groups left with nothing, more invocations than elements).
import * as sw from "../mod.ts";
import { launch, shaderSource } from "../src/ops/launch.ts";
import { Params } from "../src/gpu/params.ts";
import { assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";

// Each element counts the invocations that visited it (at most one per element, so no race),
// and records which one, to check that a group's lanes take consecutive elements.
const src = (wg: number) =>
  shaderSource(`//!include grid
struct Params { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> hits: array<u32>;
@group(0) @binding(2) var<storage, read_write> who: array<u32>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let walk = gridWalk(wid, nw, li, ${wg}u, p.n);
  for (var i = walk.x; i < walk.y; i += walk.z) {
    hits[i] += 1u;
    who[i] = (wid.y * nw.x + wid.x) * ${wg}u + li;
  }
}`);

// [elements, workgroup size, grid]
const cases: [number, number, number[]][] = [
  [1000, 256, [3, 1]], // 768 invocations, 96 groups of blocks of 16 (the last ragged)
  [1000, 64, [2, 3]], // a 2-D grid: 6 workgroups
  [37, 256, [1, 1]], // more invocations than elements: 5 groups with work, 27 with none
  [4096, 64, [4, 2]], // blocks of exactly 64
  [1, 64, [1, 1]],
];

for (const [n, wg, groups] of cases) {
  gpuTest(`gridWalk covers ${n} elements once: workgroups of ${wg}, grid ${groups.join("x")}`, async () => {
    const hits = sw.zeros([n]), who = sw.zeros([n]);
    launch(`grid_walk_test${wg}`, src(wg), {}, [hits, who], new Params().u32(n).bytes(), groups);
    const h = new Uint32Array((await hits.data()).buffer), w = new Uint32Array((await who.data()).buffer);
    const missed = [...h.keys()].filter((i) => h[i] !== 1);
    assertEquals(missed.slice(0, 5), [], `elements not visited exactly once (of ${missed.length})`);
    // Blocks: element i goes to lane i % 8 of its group, and the groups' blocks follow each
    // other (the classic order, invocation g taking g, g + G, ..., interleaves them).
    for (let i = 0; i < n; i++) {
      assertEquals(w[i] % 8, i % 8, `element ${i} went to invocation ${w[i]}`);
      if (i > 0 && Math.floor(w[i] / 8) < Math.floor(w[i - 1] / 8)) {
        throw new Error(`element ${i} (invocation ${w[i]}) is in a block before element ${i - 1}'s`);
      }
    }
    hits.dispose();
    who.dispose();
  });
}
