// `deno task compare`: configuration and flag parsing, the ratio to SGD and the table formats on
// fake results, a bad configuration refused before anything trains, and one tiny real comparison.
import { assert, assertEquals } from "./assert.ts";
import { gpuTest } from "./harness.ts";
import {
  compare,
  type CompareResult,
  DEFAULT_CONFIGS,
  formatTable,
  parseCompareArgs,
  parseConfigs,
  runName,
  tableCsv,
  withRatios,
} from "../src/cli/compare.ts";
import { readResults } from "../src/train/results_csv.ts";
import { parseTrainArgs } from "../src/cli/args.ts";
import { assertWellFormed } from "../src/plot/xml.ts";
import { parse } from "csv-parse/sync";

function result(
  config: string,
  acc: number,
  bwp: number,
  wall: number,
  ips: number,
  exitCode = 0,
): CompareResult {
  return { config, dir: `/x/${config}`, exitCode, acc, bwp, wallSeconds: wall, imagesPerSecond: ips };
}

Deno.test("parseConfigs: ';' separates configurations, the first word is --opt", () => {
  const c = parseConfigs(" sgd ; sam-sgd --rho 0.05;--opt vassoremu-sgd --crt naive --crt_k 2;; ");
  assertEquals(c.map((x) => x.args), [
    ["--opt", "sgd"],
    ["--opt", "sam-sgd", "--rho", "0.05"],
    ["--opt", "vassoremu-sgd", "--crt", "naive", "--crt_k", "2"],
  ]);
  assertEquals(c[1].label, "sam-sgd --rho 0.05");
  assertEquals(parseConfigs(DEFAULT_CONFIGS).length, 4);
  for (const bad of ["", " ; ", "--crt naive"]) {
    let threw = false;
    try {
      parseConfigs(bad);
    } catch {
      threw = true;
    }
    assert(threw, `"${bad}" accepted`);
  }
});

Deno.test("parseCompareArgs: own flags, defaults unless passed, reserved flags refused", () => {
  const a = parseCompareArgs([
    "--epochs",
    "5",
    "--configs=sgd;sam-sgd",
    "--output_dir",
    "/tmp/o",
    "--no-warmup",
    "--seed=7",
  ]);
  assertEquals(a.trainArgs, ["--model", "wideresnet10x1", "--batch_size", "64", "--epochs", "5", "--seed=7"]);
  assertEquals([a.outputDir, a.warmup, a.configs.length], ["/tmp/o", false, 2]);
  const d = parseCompareArgs(["--model=resnet18"]);
  assertEquals(d.trainArgs, ["--epochs", "2", "--batch_size", "64", "--model=resnet18"]);
  assert(/^logs\/compare-\d{8}-\d{6}$/.test(d.outputDir), d.outputDir);
  for (const bad of [["--opt", "sgd"], ["--output_name=x"], ["--results_csv", "r.csv"], ["--configs"]]) {
    let msg = "";
    try {
      parseCompareArgs(bad);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.startsWith("samwise compare:"), `${bad} gave "${msg}"`);
  }
  assertEquals(runName(2, "vassoremu-sgd --crt naive --crt_k 2"), "03_vassoremu-sgd_crt_naive_crt_k_2");
  assertEquals(runName(0, "sam-sgd --rho=0.05"), "01_sam-sgd_rho_0.05");
});

Deno.test("--preset efficient-sam: SGD, SAM and every efficient-SAM built-in, small; flags given win", async () => {
  const a = parseCompareArgs(["--preset", "efficient-sam", "--epochs", "1"]);
  const opts = a.configs.map((c) => c.args[c.args.indexOf("--opt") + 1]);
  assertEquals(opts, [
    "sgd",
    "sam-sgd",
    "asam-sgd",
    "looksam-sgd",
    "gsamopt-sgd",
    "msam-sgd",
    "vassore-sgd",
    "vassore-sgd",
  ]);
  assertEquals(a.configs.map((c) => c.args[c.args.indexOf("--crt") + 1] ?? null).slice(6), ["rst", "ae_sam"]);
  assertEquals(a.trainArgs, [
    "--model",
    "wideresnet10x1",
    "--batch_size",
    "32",
    "--train_images",
    "384",
    "--test_images",
    "256",
    "--epochs",
    "1",
  ]);
  // Every configuration is valid for the built-in registry (compare checks them before training).
  for (const c of a.configs) await parseTrainArgs([...a.trainArgs, ...c.args]);
  assertEquals(parseCompareArgs(["--preset=efficient-sam", "--configs", "sgd"]).configs.length, 1);
  let msg = "";
  try {
    parseCompareArgs(["--preset", "nope"]);
  } catch (e) {
    msg = (e as Error).message;
  }
  assertEquals(msg, 'samwise compare: --preset must be one of efficient-sam, got "nope"');
});

Deno.test("withRatios: relative to the first successful SGD run; failures get no ratio", () => {
  const results = [
    result("sam-sgd", 91, 2, 200, 50),
    result("sgd", 90, 1, 100, 100),
    result("vassoremu-sgd --crt naive --crt_k 2", 90.5, 1.5, 150, 66.7),
    result("vasso-sgd", NaN, NaN, 12, NaN, 3),
  ];
  const { rows, baseline } = withRatios(results);
  assertEquals(baseline, "sgd");
  assertEquals(rows.map((r) => r.wallRatio), [2, 1, 1.5, NaN]);
  assertEquals(rows.map((r) => Math.round(r.trainRatio * 100) / 100), [2, 1, 1.5, NaN]);
  // No SGD among them: the first successful one is the baseline.
  const noSgd = withRatios([result("vasso-sgd", NaN, NaN, 5, NaN, 1), result("sam-sgd", 91, 2, 200, 50)]);
  assertEquals([noSgd.baseline, noSgd.rows[1].wallRatio], ["sam-sgd", 1]);
  assertEquals(withRatios([]).baseline, "");
});

Deno.test("formatTable: aligned text and Markdown with the same cells; CSV keeps raw numbers", () => {
  const { rows, baseline } = withRatios([
    result("sgd", 90.123, 1, 100.04, 120.25),
    result("sam-sgd", 91.5, 2, 201, 60),
    result("vasso-sgd", NaN, NaN, 12, NaN, 3),
  ]);
  const text = formatTable(rows, baseline, "text").trimEnd().split("\n");
  assertEquals(text.length, 5);
  assert(text[0].startsWith("config") && text[0].includes("time / SGD"), text[0]);
  assertEquals(new Set(text.map((l) => l.length)).size, 1, "columns not aligned");
  assert(/^sgd\s+90\.12\s+1\.000\s+100\.0\s+1\.00\s+120\.3\s+1\.00$/.test(text[2]), text[2]);
  assert(/sam-sgd\s+91\.50\s+2\.000\s+201\.0\s+2\.01\s+60\.0\s+2\.00/.test(text[3]), text[3]);
  assert(text[4].includes("failed (exit 3)"), text[4]);

  const md = formatTable(rows, baseline, "markdown").trimEnd().split("\n");
  assertEquals(md.length, 5);
  assertEquals(md[1], "| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
  assertEquals(md[3], "| sam-sgd | 91.50 | 2.000 | 201.0 | 2.01 | 60.0 | 2.00 |");

  const csv = parse(tableCsv(rows), { columns: true }) as Record<string, string>[];
  assertEquals(csv.length, 3);
  assertEquals([csv[0].max_test_acc1, csv[2].exit_code, csv[2].wall_ratio], ["90.123", "3", ""]);
  assertEquals(Number(csv[1].wall_ratio), 201 / 100.04);
});

Deno.test("compare refuses a bad configuration before training anything", async () => {
  const out = await Deno.makeTempDir();
  const code = await compare(["--configs", "sgd;nosuch-sgd", "--output_dir", `${out}/c`], { out: () => {} });
  assertEquals(code, 2);
  assertEquals(await Deno.stat(`${out}/c`).then(() => true, () => false), false);
  await Deno.remove(out, { recursive: true });
});

gpuTest("a tiny real comparison: two configurations, the table, the CSVs, the plots", async () => {
  const out = await Deno.makeTempDir();
  const lines: string[] = [];
  const code = await compare([
    "--configs",
    "sgd;vassoremu-sgd --crt naive --crt_k 2",
    "--model",
    "wideresnet10x1",
    "--train_images",
    "64",
    "--test_images",
    "32",
    "--epochs",
    "1",
    "--batch_size",
    "32",
    "--output_dir",
    out,
  ], { out: (l) => lines.push(l) });
  assertEquals(code, 0);
  const table = lines.join("\n");
  assert(/\nsgd\s.*\s1\.000\s.*\s1\.00\s/.test(table), table);
  assert(/vassoremu-sgd --crt naive --crt_k 2\s+\d+\.\d\d\s+2\.000\s/.test(table), table);

  const csv = parse(await Deno.readTextFile(`${out}/compare.csv`), { columns: true }) as Record<
    string,
    string
  >[];
  assertEquals(csv.map((r) => [r.config, r.exit_code, r.bwp_overhead]), [
    ["sgd", "0", "1"],
    ["vassoremu-sgd --crt naive --crt_k 2", "0", "2"], // two steps: warm-up, then t = 2
  ]);
  assertEquals(csv[0].wall_ratio, "1");
  assert(Number(csv[1].wall_ratio) > 0, "ratio");
  const results = await readResults(`${out}/results.csv`);
  assertEquals(results.map((r) => r.optimizer), ["sgd", "vassoremu-sgd"]);
  assert((await Deno.readTextFile(`${out}/compare.md`)).includes("| sgd |"), "markdown table");
  assertWellFormed(await Deno.readTextFile(`${out}/results.svg`));
  for (const name of ["01_sgd", "02_vassoremu-sgd_crt_naive_crt_k_2"]) {
    assertWellFormed(await Deno.readTextFile(`${out}/${name}/report.html`));
  }
  assertEquals(await Deno.stat(`${out}/.warmup`).then(() => true, () => false), false);
  await Deno.remove(out, { recursive: true });
});
