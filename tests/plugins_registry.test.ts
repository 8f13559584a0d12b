// The registry and the CLI-facing functions: --opt resolution, the option list for --help, option
// validation with one-line errors naming the flag, and broken third-party plugins rejected with
// an error naming the module and what is wrong.
import * as sw from "../mod.ts";
import {
  createEngine,
  defaultRegistry,
  formatOptSpec,
  listOptions,
  loadPlugin,
  optimizerChoices,
  OptionError,
  parseOptSpec,
  PluginError,
  pluginUrl,
  Registry,
  resolveConfig,
  resolveOptimizer,
} from "../src/plugins/mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { BUILTINS, registerBuiltins } from "../plugins/builtins.ts";
import { gpuTest } from "./harness.ts";
import { disposeSet, makeSet } from "./optim_fixtures.test.ts";

Deno.test("a registry knows no built-ins until the composition root registers them, once", () => {
  const r = new Registry();
  assertEquals(r.list().length, 0);
  assertEquals(listOptions(r).map((o) => o.name), ["opt", "crt", "bn_update"]);
  assert(/unknown base optimizer "sgd" \(known: \)/.test(flagError(() => resolveOptimizer("sgd", r))));
  registerBuiltins(r);
  registerBuiltins(r); // idempotent: the same descriptors are not registered twice
  assertEquals(r.list().length, BUILTINS.length);
  assertEquals(r.list().map((x) => x.source), BUILTINS.map(() => "built-in"));
  // A third-party plugin that took a built-in's name first makes the registration fail loudly.
  const taken = new Registry();
  taken.register({ name: "naive", kind: "criterion", description: "mine", create: () => ({}) }, "./mine.ts");
  assert(
    /criterion 'naive' is already registered by \.\/mine\.ts/.test(flagError(() => registerBuiltins(taken))),
  );
});

function flagError(fn: () => unknown): string {
  try {
    fn();
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

Deno.test("parseOptSpec: the one parser of --opt", () => {
  assertEquals(parseOptSpec("sgd"), { opt: "sgd", variant: null, base: "sgd" });
  assertEquals(parseOptSpec("vassoremu-adamw"), {
    opt: "vassoremu-adamw",
    variant: "vassoremu",
    base: "adamw",
  });
  assertEquals(parseOptSpec("my_sam-sgd").variant, "my_sam");
  for (const bad of ["", "-sgd", "sam-", "a-b-c", "sam--sgd"]) {
    const msg = flagError(() => parseOptSpec(bad));
    assertEquals(msg, `--opt must be <base> or <variant>-<base> (e.g. sgd, vasso-sgd), got "${bad}"`, bad);
  }
  assertEquals(formatOptSpec("vasso", "sgd"), "vasso-sgd");
  assertEquals(formatOptSpec(null, "adamw"), "adamw");
});

Deno.test("--opt resolves as in the seed: <base> or <variant>-<base>", () => {
  const r = registerBuiltins(new Registry());
  assertEquals(optimizerChoices(r), [
    "sgd",
    "adamw",
    "sam-sgd",
    "sam-adamw",
    "vasso-sgd",
    "vasso-adamw",
    "vassore-sgd",
    "vassore-adamw",
    "vassoremu-sgd",
    "vassoremu-adamw",
    "asam-sgd",
    "asam-adamw",
    "looksam-sgd",
    "looksam-adamw",
    "gsamopt-sgd",
    "gsamopt-adamw",
    "msam-sgd",
    "msam-adamw",
  ]);
  const plain = resolveOptimizer("sgd", r);
  assert(plain.base.descriptor.name === "sgd" && plain.sharpness === null, "sgd");
  const mu = resolveOptimizer("vassoremu-adamw", r);
  assertEquals([mu.sharpness!.descriptor.name, mu.base.descriptor.name], ["vassoremu", "adamw"]);
  const bad: [string, RegExp][] = [
    ["rmsprop", /^--opt "rmsprop": unknown base optimizer "rmsprop" \(known: sgd, adamw\)$/],
    ["sam", /"sam" is a SAM variant, e\.g\. sam-sgd/],
    ["sam-rmsprop", /unknown base optimizer "rmsprop"/],
    [
      "bsam-sgd",
      /unknown SAM variant "bsam" \(known: sam, vasso, vassore, vassoremu, asam, looksam, gsamopt, msam\)/,
    ],
    ["a-b-c", /^--opt must be <base> or <variant>-<base>/],
    ["-sgd", /^--opt must be/],
  ];
  for (const [opt, re] of bad) {
    let err: unknown = null;
    try {
      resolveOptimizer(opt, r);
    } catch (e) {
      err = e;
    }
    assert(err instanceof OptionError && err.flag === "--opt" && re.test(err.message), `${opt}: ${err}`);
  }
});

Deno.test("listOptions has every seed flag once, with type, default, range and owners", () => {
  const opts = listOptions(registerBuiltins(new Registry()));
  const by = new Map(opts.map((o) => [o.name, o]));
  const seed =
    "opt crt lr weight_decay momentum nesterov betas eps rho theta crt_k crt_p crt_z z_two lam crt_c crt_s bn_update";
  for (const name of seed.split(" ")) assert(by.has(name), `missing --${name}`);
  assertEquals(opts.length, new Set(opts.map((o) => o.name)).size, "an option is listed twice");
  const facts = (n: string) => {
    const o = by.get(n)!;
    return [o.type, o.default, o.rangeText ?? null];
  };
  assertEquals(facts("rho"), ["number", 0.1, "[0, inf)"]);
  assertEquals(facts("theta"), ["number", 0.4, "[0, 1]"]);
  assertEquals(facts("crt_k"), ["integer", 2, "[1, inf)"]);
  assertEquals(facts("crt_p"), ["number", 0.5, "[0, 1]"]);
  assertEquals(facts("lr"), ["number", 0.05, "[0, inf)"]);
  assertEquals(facts("weight_decay"), ["number", 0.001, "[0, inf)"]);
  assertEquals(facts("momentum"), ["number", 0.9, "[0, 1]"]);
  assertEquals(facts("betas"), ["numbers", [0.9, 0.999], "[0, 1)"]);
  // The seed's defaults: z_two 0.5, crt_s [100-200].
  assertEquals(facts("z_two"), ["number", 0.5, "(0, inf)"]);
  assertEquals(facts("crt_s"), ["string", "[100-200]", null]);
  assertEquals(by.get("bn_update")!.choices, ["once", "both"]);
  assertEquals(by.get("rho")!.owners, ["sam", "vasso", "vassore", "vassoremu", "looksam", "gsamopt"]);
  assertEquals(by.get("lam")!.owners, ["gSAMflat", "gSAMsharp", "gSAMratio"]);
  assertEquals(by.get("crt")!.choices, [
    "baseline",
    "naive",
    "random",
    "gSAMflat",
    "gSAMsharp",
    "gSAMratio",
    "cosSim",
    "schedule",
    "rst",
    "ae_sam",
  ]);
  assertEquals(by.get("rst_schedule")!.choices, ["constant", "linear", "cosine"]);
  assertEquals(facts("asam_rho"), ["number", 0.5, "[0, inf)"]);
  for (const o of opts) assert(o.help.length > 0 && !o.help.includes("\n"), `--${o.name}: help`);
});

Deno.test("resolveConfig: typed values from raw strings, defaults filled in", () => {
  const cfg = resolveConfig(
    {
      opt: "vassore-adamw",
      crt: "naive",
      lr: "0.1",
      crt_k: "3",
      nesterov: "true",
      betas: "0.8, 0.99",
      unrelated: 1,
    },
    registerBuiltins(new Registry()),
  );
  const o = cfg.options;
  assertEquals([o.number("lr"), o.number("crt_k"), o.boolean("nesterov"), o.numbers("betas")], [
    0.1,
    3,
    true,
    [
      0.8,
      0.99,
    ],
  ]);
  assertEquals([o.number("rho"), o.number("theta"), o.string("bn_update")], [0.1, 0.4, "once"]);
  assertEquals([cfg.optimizer.opt, cfg.criterion.descriptor.name, cfg.bnUpdate], [
    "vassore-adamw",
    "naive",
    "once",
  ]);
});

Deno.test("bad values: a one-line error naming the flag", () => {
  const r = registerBuiltins(new Registry());
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ rho: -0.1 }, "--rho", /^--rho must be in \[0, inf\), got -0\.1$/],
    [{ theta: 1.5 }, "--theta", /^--theta must be in \[0, 1\], got 1\.5$/],
    [{ crt_k: 0 }, "--crt_k", /^--crt_k must be in \[1, inf\), got 0$/],
    [{ crt_k: "2.5" }, "--crt_k", /^--crt_k must be an integer, got "2\.5"$/],
    [{ crt_p: 1.2 }, "--crt_p", /^--crt_p must be in \[0, 1\], got 1\.2$/],
    [{ crt_p: "lots" }, "--crt_p", /^--crt_p must be a number, got "lots"$/],
    [{ crt_c: 2 }, "--crt_c", /^--crt_c must be in \[-1, 1\]/],
    [{ crt_z: 0 }, "--crt_z", /^--crt_z must be in \(0, inf\), got 0$/],
    [{ crt_s: "[a-b]" }, "--crt_s", /^--crt_s cannot parse "\[a-b\]"/],
    [{ bn_update: "twice" }, "--bn_update", /^--bn_update must be one of once, both, got "twice"$/],
    [{ betas: "0.9" }, "--betas", /^--betas takes 2 numbers, got 1$/],
    [{ nesterov: "maybe" }, "--nesterov", /^--nesterov must be true or false/],
    [{ crt: "sometimes" }, "--crt", /^--crt: unknown criterion "sometimes" \(known: baseline, naive/],
    [
      { opt: "sam-sgd", crt: "naive" },
      "--crt",
      /^--crt naive skips inner gradients, which --opt sam-sgd cannot do/,
    ],
    [{ opt: "vasso-sgd", crt: "gSAMflat" }, "--crt", /which --opt vasso-sgd cannot do; use a reusing/],
    [{ opt: "sgd", crt: "schedule" }, "--crt", /^--crt schedule needs a SAM-family --opt/],
  ];
  for (const [values, flag, re] of cases) {
    let err: unknown = null;
    try {
      resolveConfig({ opt: "vassore-sgd", ...values }, r);
    } catch (e) {
      err = e;
    }
    assert(err instanceof OptionError, `${JSON.stringify(values)}: no OptionError (${err})`);
    assert(
      err.flag === flag && re.test(err.message) && !err.message.includes("\n"),
      `${flag}: "${err.message}"`,
    );
  }
  // Accepted combinations.
  for (
    const [opt, crt] of [["sam-sgd", "schedule"], ["vasso-adamw", "baseline"], ["vassoremu-sgd", "cosSim"]]
  ) {
    resolveConfig({ opt, crt }, r);
  }
});

gpuTest("createEngine reports option problems found at creation by flag", () => {
  const set = makeSet([new Float64Array(3)], [[3]]);
  const r = registerBuiltins(new Registry());
  const flagOf = (spec: Parameters<typeof createEngine>[0]) => {
    try {
      createEngine(spec).dispose();
      return null;
    } catch (e) {
      return e instanceof OptionError ? `${e.flag}: ${e.message}` : String(e);
    }
  };
  assertEquals(
    flagOf({ set, opt: "sgd", options: { momentum: 0, nesterov: true }, registry: r }),
    "--nesterov: --nesterov needs --momentum > 0",
  );
  assert(
    /^--crt_s: --crt_s lists no epochs/.test(
      flagOf({ set, opt: "sam-sgd", crt: "schedule", options: { crt_s: "" }, registry: r })!,
    ),
    "empty crt_s",
  );
  // Without --crt_s, the seed's default "[100-200]" applies.
  assertEquals(flagOf({ set, opt: "sam-sgd", crt: "schedule", registry: r }), null);
  assertEquals(
    flagOf({ set, opt: "sam-sgd", crt: "schedule", options: { crt_s: "[0-2]" }, registry: r }),
    null,
  );
  disposeSet(set);
});

Deno.test("pluginUrl: URLs as they are, paths against the working directory", () => {
  assertEquals(pluginUrl("https://example.com/p.ts"), "https://example.com/p.ts");
  assertEquals(pluginUrl("/opt/my plugin.ts"), "file:///opt/my%20plugin.ts");
  assertEquals(pluginUrl("plugins/x.ts"), new URL("plugins/x.ts", `file://${Deno.cwd()}/`).href);
});

// ---------------------------------------------------------------------------------------------
// Third-party modules written to a temporary directory.

const dir = Deno.makeTempDirSync({ prefix: "samwise_plugins_" });
const API = new URL("../src/plugins/mod.ts", import.meta.url).href;
function moduleFile(name: string, source: string): string {
  const path = `${dir}/${name}`;
  Deno.writeTextFileSync(path, source);
  return path;
}

const GOOD_CRT =
  `{ name: "okCrt", kind: "criterion", description: "ok", create: () => ({ shouldPerturb: () => true }) }`;
const broken: [string, string, RegExp][] = [
  ["syntax.ts", "export default {", /cannot import it/],
  ["missing.ts", `import "./does_not_exist.ts";`, /cannot import it/],
  ["noexport.ts", "export const x = 1;", /exports no descriptor \(expected `export default/],
  ["empty.ts", "export default [];", /exports an empty list/],
  [
    "kind.ts",
    `export default { name: "x", kind: "optimiser", description: "d", create() {} };`,
    /kind must be "optimizer" or "criterion", got "optimiser"/,
  ],
  [
    "role.ts",
    `export default { name: "x", kind: "optimizer", description: "d", create() {} };`,
    /role must be "base" or "sharpness"/,
  ],
  [
    "reuse.ts",
    `export default { name: "x", kind: "optimizer", role: "sharpness", description: "d", create() {} };`,
    /needs reuse: boolean/,
  ],
  [
    "create.ts",
    `export default { name: "x", kind: "criterion", description: "d" };`,
    /'x': create must be a function/,
  ],
  [
    "name.ts",
    `export default { name: "my-crt", kind: "criterion", description: "d", create() {} };`,
    /name must start with a letter and contain only letters, digits and _, got "my-crt"/,
  ],
  [
    "clash.ts",
    `export default { name: "naive", kind: "criterion", description: "d", create() {} };`,
    /criterion 'naive' is already registered by built-in/,
  ],
  [
    "conflict.ts",
    `export default { name: "x", kind: "criterion", description: "d", create() {}, options: [{ name: "rho", type: "integer", default: 1, help: "h" }] };`,
    /option --rho conflicts with an existing --rho/,
  ],
  [
    "default.ts",
    `export default { name: "x", kind: "criterion", description: "d", create() {}, options: [{ name: "q", type: "number", default: 5, range: { min: 0, max: 1 }, help: "h" }] };`,
    /option --q: invalid default: --q must be in \[0, 1\], got 5/,
  ],
  ["atomic.ts", `export default [${GOOD_CRT}, { name: "bad" }];`, /descriptor 1 'bad': kind must be/],
];

for (const [file, source, re] of broken) {
  Deno.test(`a broken plugin (${file}) is rejected naming the module and the problem`, async () => {
    const path = moduleFile(file, source);
    const r = registerBuiltins(new Registry());
    let err: unknown = null;
    try {
      await loadPlugin(path, r);
    } catch (e) {
      err = e;
    }
    assert(err instanceof PluginError, `${file}: expected a PluginError, got ${err}`);
    assert(err.message.startsWith(`plugin ${path}: `) && err.source === path, `${file}: "${err.message}"`);
    assert(re.test(err.message), `${file}: "${err.message}" does not match ${re}`);
    assert(r.criterion("okCrt") === undefined, `${file}: a partly valid module registered something`);
  });
}

gpuTest(
  "a plugin whose create() throws, or returns bad hooks, fails at engine creation naming it",
  async () => {
    const throws = moduleFile(
      "throws.ts",
      `export default { name: "boom", kind: "criterion", description: "d", create() { throw new Error("no GPU buffers for you"); } };`,
    );
    const noPert = moduleFile(
      "noperturbation.ts",
      `export default { name: "lazy", kind: "optimizer", role: "sharpness", reuse: true, description: "d", create: () => ({}) };`,
    );
    const r = registerBuiltins(new Registry());
    await loadPlugin(throws, r);
    await loadPlugin(noPert, r);
    const set = makeSet([new Float64Array(2)], [[2]]);
    await assertRejects(
      () => Promise.resolve(createEngine({ set, opt: "vassore-sgd", crt: "boom", registry: r })),
      new RegExp(`^plugin ${throws}: 'boom' create\\(\\) failed: no GPU buffers for you$`),
    );
    await assertRejects(
      () => Promise.resolve(createEngine({ set, opt: "lazy-sgd", registry: r })),
      /'lazy': a sharpness optimizer's hooks need perturbation\(ctx\)/,
    );
    disposeSet(set);
  },
);

gpuTest("a third-party sharpness optimizer registers, shows its options, and trains", async () => {
  const path = moduleFile(
    "halfsam.ts",
    `import { sumOfSquares } from "${API}";
export default {
  name: "halfsam",
  kind: "optimizer",
  role: "sharpness",
  reuse: false,
  description: "SAM with a fraction of rho",
  options: [{ name: "half_factor", type: "number", default: 0.5, range: { min: 0, max: 1 }, help: "fraction of rho" }],
  create({ options }) {
    const a = options.number("rho") * options.number("half_factor");
    return {
      perturbation: (ctx) => ({
        direction: ctx.grads,
        coef: { alpha: a, scalar: sumOfSquares(ctx.grads), mode: "inverseSqrt", eps: 1e-12 },
      }),
    };
  },
};
`,
  );
  const r = registerBuiltins(new Registry());
  await loadPlugin(path, r);
  assert(optimizerChoices(r).includes("halfsam-adamw"), "halfsam-adamw is an --opt choice");
  const info = listOptions(r).find((o) => o.name === "half_factor")!;
  assertEquals([info.owners, info.rangeText], [["halfsam"], "[0, 1]"]);
  // f(w) = sum(w^2) / 2 from w = (3, 4): e = 0.1 * 0.5 * w / 5, g(w + e) = 1.01 w, w' = w - 0.1 * 1.01 w.
  const set = makeSet([Float64Array.from([3, 4])], [[2]]);
  const engine = createEngine({
    set,
    opt: "halfsam-sgd",
    options: { lr: 0.1, momentum: 0, weight_decay: 0, rho: 0.1, half_factor: 0.5 },
    registry: r,
  });
  await engine.step(() => sw.tidy(() => sw.backward(sw.mulScalar(sw.sum(sw.square(set.params[0])), 0.5))));
  const w = await set.params[0].data();
  assert(Math.abs(w[0] - 3 * (1 - 0.101)) < 1e-6 && Math.abs(w[1] - 4 * (1 - 0.101)) < 1e-6, `w = ${w}`);
  assertEquals(engine.counters, { iterations: 1, samSteps: 1, innerForward: 1, innerBackward: 1 });
  engine.dispose();
  disposeSet(set);
});

Deno.test("loadPlugin registers into the shared registry by default", async () => {
  const path = moduleFile("shared.ts", `export const plugin = ${GOOD_CRT.replace("okCrt", "sharedCrt")};`);
  await loadPlugin(path);
  assert(defaultRegistry().criterion("sharedCrt")?.source === path, "not in the default registry");
  assert(listOptions().find((o) => o.name === "crt")!.choices!.includes("sharedCrt"), "--crt choices");
});

addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
