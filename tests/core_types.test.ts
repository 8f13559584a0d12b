// The core's contracts that are checked by the type checker (`deno task check` runs
// `deno check tests/`): each `@ts-expect-error` below fails the check if the line it marks
// ever type-checks, e.g. if the rule table stops being exhaustive. Plus the WGSL include
// mechanism, which needs no GPU.
import { assert, assertEquals } from "./assert.ts";
import { RULES, type RuleTable } from "../src/autograd/rules.ts";
import { record } from "../src/ops/record.ts";
import { fillTemplate, shaderSource } from "../src/ops/launch.ts";
import type { Tensor } from "../src/tensor/tensor.ts";

Deno.test("the rule table is exhaustive and typed per op (compile-time checks)", () => {
  const { neg: _neg, ...withoutNeg } = RULES;
  // @ts-expect-error -- a table missing one op's rule is not a RuleTable.
  const _missing: RuleTable = withoutNeg;
  const _typed = (t: Tensor) => {
    // @ts-expect-error -- no op of that name.
    record("noSuchOp", [t], t);
    // @ts-expect-error -- softmax's attributes are { scale: number }.
    record("softmax", [t], t, { axis: 1 });
    // @ts-expect-error -- matmul's attributes are required.
    record("matmul", [t, t], t);
    record("gelu", [t], t);
    record("softmax", [t], t, { scale: 2 });
  };
  assert(Object.keys(RULES).includes("neg"));
});

Deno.test("shaderSource: resolves library and generated includes once, rejects unknown names", () => {
  const src = shaderSource("//!include grid\n  //!include grid\n//!include gen\nfn main() {}", {
    gen: "fn g() {}",
  });
  assertEquals(src.match(/fn gridWalk/g)?.length, 1);
  assert(src.includes("fn g() {}"));
  assert(src.endsWith("fn main() {}"));
  let message = "";
  try {
    shaderSource("//!include nothing");
  } catch (e) {
    message = (e as Error).message;
  }
  assert(message.includes("'nothing'"), `unknown include not reported: '${message}'`);
});

Deno.test("fillTemplate: fills each marker once; a lost or unfilled marker throws", () => {
  assertEquals(fillTemplate("a //@X b //@Y", { X: "1", Y: "2" }), "a 1 b 2");
  const fails = (f: () => unknown) => {
    try {
      f();
    } catch {
      return true;
    }
    return false;
  };
  assert(fails(() => fillTemplate("a // @X", { X: "1" })), "a marker edited away must throw");
  assert(fails(() => fillTemplate("//@X //@X", { X: "1" })), "a repeated marker must throw");
  assert(fails(() => fillTemplate("//@X //@Y", { X: "1" })), "an unfilled marker must throw");
});
