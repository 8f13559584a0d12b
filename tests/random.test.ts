// The one random-number module (src/random/rng.ts). Its sequences are part of every run's
// results and of exact resume, so they are pinned here to the values the former three
// modules (src/nn/rng.ts, src/step/rng.ts, src/data/rng.ts) produced.
import { assertEquals } from "./assert.ts";
import { deriveSeed, pcg4d, permutation, Rng } from "../src/random/rng.ts";

Deno.test("Rng: the uniform stream and its saved state match the former step engine's stream", () => {
  const r = new Rng(3107);
  assertEquals([r.uniform(), r.uniform(), r.uniform()], [
    0.1626350039150566,
    0.12804346904158592,
    0.4172940228600055,
  ]);
  assertEquals(r.state, 1199733250);
  const resumed = new Rng(0);
  resumed.state = r.state;
  assertEquals(resumed.uniform(), r.uniform());
});

Deno.test("Rng: normals and deriveSeed match the former weight-initialisation stream", () => {
  const r = new Rng(7);
  assertEquals(r.uniform(), 0.011704753153026104);
  assertEquals([r.normal(), r.normal(), r.normal()], [
    0.35390320258759356,
    -0.05171249453602224,
    -1.5356244571340705,
  ]);
  assertEquals(deriveSeed(42, 3), 2826325253);
});

Deno.test("pcg4d and permutation match the former data-pipeline hash", () => {
  assertEquals(pcg4d(1, 2, 3, 4), [908250390, 4044648920, 3775961919, 45698095]);
  assertEquals([...permutation(7, 42, 3)], [1, 5, 2, 6, 0, 4, 3]);
});
