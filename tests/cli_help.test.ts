// `--help` lists every choice of --opt, --crt, --model and --dataset with its description, plugin
// ones marked with their file; `--list` prints optimizers and criteria with options and cost; the
// unknown-value errors list the same choices. CPU only: nothing is trained.
import { registerBuiltins } from "../plugins/builtins.ts";
import { parseTrainArgs } from "../src/cli/args.ts";
import {
  baseChoices,
  criterionChoices,
  datasetChoices,
  modelChoices,
  variantChoices,
  WIDERESNET_PATTERN,
} from "../src/cli/choices.ts";
import { MODEL_NAMES } from "../src/models/mod.ts";
import { DATASET_NAMES } from "../src/data/mod.ts";
import { listOptions, loadPlugin, optimizerChoices, Registry } from "../src/plugins/mod.ts";
import { formatRange } from "../src/plugins/options.ts";
import { assert, assertEquals } from "./assert.ts";

const PLUGIN = new URL("../plugins/examples/ae_sam.ts", import.meta.url).href;

async function withPlugin(): Promise<Registry> {
  const r = registerBuiltins(new Registry());
  await loadPlugin(PLUGIN, r);
  return r;
}

/** The table line of `text` for `name`: indented, the name, then at least two spaces. */
function lineOf(text: string, name: string): string | undefined {
  return text.split("\n").find((l) => l.startsWith(" ") && l.trimStart().startsWith(`${name}  `));
}

Deno.test("--help lists every optimizer, criterion, model and dataset with its description", async () => {
  const registry = await withPlugin();
  const help = (await parseTrainArgs(["--help"], registry)).helpText!;
  for (const c of [...baseChoices(registry), ...variantChoices(registry), ...criterionChoices(registry)]) {
    const line = lineOf(help, c.name);
    assert(line?.includes(c.description), `${c.name} missing from --help`);
  }
  for (const opt of optimizerChoices(registry)) assert(help.includes(opt), opt);
  assert(help.includes("vassore-adamw") && help.includes("vasso-sgd"), "combined form");
  assert(
    lineOf(help, "ae_sam_example")!.includes(`[plugin ${PLUGIN}]`),
    "plugin choice marked with its file",
  );
  assert(!lineOf(help, "naive")!.includes("[plugin"), "built-ins are not marked");
  for (const m of [...MODEL_NAMES, WIDERESNET_PATTERN]) assert(lineOf(help, m), `model ${m}`);
  for (const d of DATASET_NAMES) assert(lineOf(help, d)?.includes("crop"), `dataset ${d}`);
  assertEquals(modelChoices().length, MODEL_NAMES.length + 1);
  assertEquals(datasetChoices().map((d) => d.name), [...DATASET_NAMES]);
  // The lists come from the registry: a plugin that is not loaded is not listed, and a newly
  // registered base optimizer appears with its description and in every combined form.
  const other = registerBuiltins(new Registry());
  other.register({
    name: "lion",
    kind: "optimizer",
    role: "base",
    description: "a test base optimizer",
    create: () => ({}) as never,
  }, "./lion.ts");
  const help2 = (await parseTrainArgs(["--help"], other)).helpText!;
  assert(!help2.includes("ae_sam_example"), "a plugin that is not loaded is not listed");
  assertEquals(lineOf(help2, "lion")?.trim(), "lion   a test base optimizer [plugin ./lion.ts]");
  assert(help2.includes("sam-lion") && help2.includes("vassoremu-lion"), "combined forms of a new base");
});

Deno.test("--list: optimizers and criteria with options, defaults, ranges and cost per step", async () => {
  const registry = registerBuiltins(new Registry());
  const text = (await parseTrainArgs(["--list", "--plugin", PLUGIN], registry)).helpText!;
  const lines = text.split("\n");
  for (const r of [...registry.list("optimizer"), ...registry.list("criterion")]) {
    const d = r.descriptor;
    const source = r.source === "built-in" ? "built-in" : `plugin ${PLUGIN}`;
    const i = lines.indexOf(`  ${d.name}  ${d.description}  [${source}]`);
    assert(i >= 0, `${d.name} missing from --list, or not marked ${source}`);
    assertEquals(lines[i + 1], `    cost per step: ${d.cost ?? "not stated by the plugin"}`);
    if (r.source === "built-in") assert(d.cost, `built-in ${d.name} states no cost`);
    // Its block lists each of its options.
    let end = i + 1;
    while (lines[end + 1]?.startsWith("    ")) end++;
    const block = lines.slice(i, end + 1).join("\n");
    for (const o of d.options ?? []) assert(block.includes(`--${o.name} <`), `${d.name}: --${o.name}`);
  }
  for (const o of listOptions(registry)) {
    if (o.name === "opt" || o.name === "crt") continue;
    const line = text.split("\n").find((l) => l.trimStart().startsWith(`${o.flag} <`));
    assert(line, `${o.flag} missing from --list`);
    assert(line.includes("default "), `${o.flag} default`);
    if (o.range) assert(line.includes(formatRange(o.range)), `${o.flag} range`);
  }
  assert(text.includes("--crt_k <integer>") && text.includes("range [1, inf)"), "naive's option");
  assert(text.includes("bwp 2"), "SAM's cost");
  assert(text.includes("--ae_warmup <integer>"), "plugin options listed");
});

/** The names in the parenthesised "known: a, b, c" list of an error message. */
function known(message: string): string[] {
  const m = message.match(/\(known: ([^)]*)\)/);
  assert(m, message);
  return m[1].split(", ");
}

async function errorOf(args: string[], registry: Registry): Promise<string> {
  try {
    await parseTrainArgs(args, registry);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${args.join(" ")} was accepted`);
}

Deno.test("unknown values list the same choices as --help", async () => {
  const registry = await withPlugin();
  const base = ["--dataset", "CIFAR10_base", "--datadir", "/nonexistent"];
  const crtErr = await errorOf([...base, "--opt", "vassore-sgd", "--crt", "bogus"], registry);
  assertEquals(known(crtErr), criterionChoices(registry).map((c) => c.name));
  assert(known(crtErr).includes("ae_sam_example"));
  const variantErr = await errorOf([...base, "--opt", "foo-sgd"], registry);
  assertEquals(known(variantErr), variantChoices(registry).map((c) => c.name));
  const baseErr = await errorOf([...base, "--opt", "sam-foo"], registry);
  assertEquals(known(baseErr), baseChoices(registry).map((c) => c.name));
  const modelErr = await errorOf([...base, "--model", "resnet9000"], registry);
  assert(modelErr.includes("--model"), modelErr);
  assertEquals(known(modelErr), modelChoices().map((c) => c.name));
  const dataErr = await errorOf(["--dataset", "MNIST"], registry);
  assert(DATASET_NAMES.every((d) => dataErr.includes(d)), dataErr);
  assert([crtErr, variantErr, baseErr, modelErr, dataErr].every((e) => !e.includes("\n")));
});
