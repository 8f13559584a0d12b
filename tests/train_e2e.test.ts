// End to end: `deno task train` on the embedded Fashion-MNIST subset with a tiny model, for each
// optimizer family: the loss falls, the results row is written, logs and checkpoints exist; an
// interrupted run resumed from its checkpoint ends exactly where an uninterrupted one does.
import { main } from "../src/cli/train.ts";
import { readResults } from "../src/train/results_csv.ts";
import { parseOptSpec } from "../src/plugins/opt_spec.ts";
import { readSafetensors } from "../src/nn/safetensors.ts";
import { assert, assertEquals } from "./assert.ts";
import { gpuTest, skipWithoutGpu } from "./harness.ts";

const TINY = [
  "--model",
  "wideresnet10x1",
  "--batch_size",
  "32",
  "--train_images",
  "480",
  "--test_images",
  "96",
  "--epochs",
  "3",
  "--lr",
  "0.05",
];

/** The smallest runs: 64 training images, 2 steps per epoch. */
const SMALL = [
  "--model",
  "wideresnet10x1",
  "--batch_size",
  "32",
  "--train_images",
  "64",
  "--test_images",
  "32",
  "--epochs",
  "1",
];

/**
 * Runs the train CLI as a user would, sends `signal` once its first epoch line is printed, and
 * returns the exit status and everything it printed on stdout.
 */
async function interruptAfterFirstEpoch(
  args: string[],
  signal: Deno.Signal,
): Promise<{ code: number; text: string }> {
  const cli = new URL("../src/cli/train.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", cli, ...args, "--epochs", "20"],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const decoder = new TextDecoder();
  let text = "";
  const reader = child.stdout.getReader();
  let signalled = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value);
    if (!signalled && text.includes("Epoch:1/20")) {
      child.kill(signal);
      signalled = true;
    }
  }
  return { code: (await child.status).code, text };
}

async function epochs(dir: string): Promise<Record<string, number>[]> {
  const lines = (await Deno.readTextFile(`${dir}/log.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
  return lines.filter((r) => r.type === "epoch");
}

const families: [string, string[]][] = [
  ["sgd", []],
  ["adamw", ["--lr", "0.002"]],
  ["sam-sgd", []],
  ["vasso-sgd", []],
  ["vassore-sgd", ["--crt", "naive", "--crt_k", "2"]],
  ["vassoremu-sgd", ["--crt", "gSAMflat", "--crt_z", "1.5", "--lam", "0.1"]],
];

for (const [opt, extra] of families) {
  gpuTest(`train --opt ${opt} on the embedded subset: loss falls, a results row is written`, async () => {
    const out = await Deno.makeTempDir();
    const code = await main([...TINY, "--opt", opt, ...extra, "--output_dir", out, "--output_name", "run"]);
    assertEquals(code, 0);
    const ep = await epochs(`${out}/run`);
    assertEquals(ep.length, 3);
    assert(ep[2].train_loss < ep[0].train_loss, `train loss ${ep.map((e) => e.train_loss)} did not fall`);
    const rows = await readResults(`${out}/results.csv`);
    assertEquals(rows.length, 1);
    assertEquals(rows[0].optimizer, opt);
    assertEquals(rows[0].epochs, "3");
    const bwp = Number(rows[0].bwp_overhead);
    if (opt === "sgd" || opt === "adamw") assertEquals(bwp, 1);
    else if (opt === "vassore-sgd") assert(bwp > 1.4 && bwp < 1.6, `naive k=2 bwp ${bwp}`);
    else if (parseOptSpec(opt).variant === "vassoremu") assert(bwp > 1 && bwp <= 2, `bwp ${bwp}`);
    else assertEquals(bwp, 2);
    assert(
      Number(rows[0]["images/s"]) > 0 && Number(rows[0].max_allocated_memory) > 0,
      "measured columns empty",
    );
    if (opt === "sgd") {
      // Resuming the finished run says so, does nothing and appends no second row.
      const lines: string[] = [];
      const again = await main(
        [
          ...TINY,
          "--opt",
          opt,
          "--output_dir",
          out,
          "--output_name",
          "run",
          "--resume",
          "--resume_path",
          `${out}/run`,
        ],
        { out: (l) => lines.push(l) },
      );
      assertEquals(again, 0);
      assert(lines.some((l) => l.includes("already finished")), lines.join("|"));
      assertEquals((await readResults(`${out}/results.csv`)).length, 1);
      // The seed's schedule: epoch 0 at the base rate, then cosine per epoch, one epoch late
      // (epoch 2 trains at get_lr(1) = 0.05 * (1 + cos(pi / 3)) / 2).
      const steps = (await Deno.readTextFile(`${out}/run/log.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l)
      ).filter((r) => r.type === "step");
      assertEquals(steps.length, 45);
      const want = [0.05, 0.05, 0.0375];
      for (const r of steps) {
        assert(Math.abs(r.lr - want[r.epoch]) < 1e-9, `lr ${r.lr} at ${r.epoch}/${r.batch}`);
      }
    }
    const names = [...Deno.readDirSync(`${out}/run`)].map((e) => e.name).sort();
    for (const f of ["checkpoint.json", "config.json", "log.jsonl", "report.html", "summary.json"]) {
      assert(names.includes(f), `${f} missing from ${names}`);
    }
    await Deno.remove(out, { recursive: true });
  });
}

gpuTest("an interrupted run resumed from its checkpoint matches an uninterrupted run exactly", async () => {
  const out = await Deno.makeTempDir();
  const args = [...TINY, "--opt", "vassoremu-sgd", "--crt", "random", "--crt_p", "0.5", "--output_dir", out];
  assertEquals(await main([...args, "--output_name", "whole"]), 0);
  let steps = 0;
  // Stop in the middle of the second epoch (15 steps per epoch), then resume.
  const code = await main([...args, "--output_name", "parts"], { shouldStop: () => ++steps === 22 });
  assertEquals(code, 130);
  const manifest = JSON.parse(await Deno.readTextFile(`${out}/parts/checkpoint.json`));
  assertEquals([manifest.epoch, manifest.batch], [1, 7]);
  assertEquals(
    await main([...args, "--output_name", "parts", "--resume", "--resume_path", `${out}/parts`]),
    0,
  );
  const a = await epochs(`${out}/whole`), b = await epochs(`${out}/parts`);
  const strip = (e: Record<string, number>) => ({ ...e, epoch_time: 0, images_per_s: 0 });
  assertEquals(b.map(strip), a.map(strip));
  const wa = await readSafetensors(
    `${out}/whole/${JSON.parse(await Deno.readTextFile(`${out}/whole/checkpoint.json`)).modelFile}`,
  );
  const wb = await readSafetensors(
    `${out}/parts/${JSON.parse(await Deno.readTextFile(`${out}/parts/checkpoint.json`)).modelFile}`,
  );
  for (const [name, t] of wa.tensors) {
    assertEquals(
      [...wb.tensors.get(name)!.data].map(Number),
      [...t.data].map(Number),
      `weights differ at ${name}`,
    );
  }
  await Deno.remove(out, { recursive: true });
});

gpuTest("bad flags fail before any work with a one-line error naming the flag", async () => {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    assertEquals(await main(["--rho", "-0.5"]), 2);
    assertEquals(await main(["--opt", "vassore-sgd", "--crt", "random", "--crt_p", "1.5"]), 2);
    assertEquals(await main(["--model", "resnet9000"]), 2);
    assertEquals(await main(["--dataset", "CIFAR100_base", "--datadir", "/nonexistent"]), 2);
  } finally {
    console.error = orig;
  }
  assert(
    errors[0].includes("--rho") && errors[1].includes("--crt_p") && errors[2].includes("--model"),
    errors.join("|"),
  );
  assert(errors[3].includes("cifar-100-binary"), errors[3]);
  assert(errors.every((e) => !e.includes("\n")), "multi-line error");
});

gpuTest("a diverging run stops with exit code 3 and a message naming the step", async () => {
  const out = await Deno.makeTempDir();
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    // A learning rate of 1e38 overflows the weights to infinity, and the loss to NaN, within a few steps.
    const code = await main([
      ...TINY,
      "--epochs",
      "3",
      "--lr",
      "1e38",
      "--output_dir",
      out,
      "--output_name",
      "nan",
    ]);
    assertEquals(code, 3);
  } finally {
    console.error = orig;
  }
  assert(
    /loss is (NaN|-?Infinity) at step \d+ \(epoch \d+, batch \d+\)/.test(errors[0] ?? ""),
    errors.join("|"),
  );
  await Deno.remove(out, { recursive: true });
});

Deno.test({
  name: "Ctrl-C (SIGINT) finishes the step, writes a checkpoint and says how to resume",
  ignore: skipWithoutGpu(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir();
    const { code, text } = await interruptAfterFirstEpoch(
      [...TINY, "--output_dir", out, "--output_name", "int"],
      "SIGINT",
    );
    assertEquals(code, 130, text);
    assert(text.includes("--resume --resume_path"), text);
    const m = JSON.parse(await Deno.readTextFile(`${out}/int/checkpoint.json`));
    assert(m.epoch >= 1, `checkpoint at epoch ${m.epoch}`);
    await Deno.remove(out, { recursive: true });
  },
});

gpuTest(
  "--lr 1e30: non-finite test loss or weights stop with exit 3, no checkpoint and no results row",
  async () => {
    const out = await Deno.makeTempDir();
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      const code = await main([
        ...SMALL,
        "--epochs",
        "2",
        "--lr",
        "1e30",
        "--output_dir",
        out,
        "--output_name",
        "big",
      ]);
      assertEquals(code, 3);
    } finally {
      console.error = orig;
    }
    assertEquals(errors.length, 1, errors.join("|"));
    assert(/(test loss is|weights are not finite|loss is).* epoch 1/.test(errors[0]), errors[0]);
    // Nothing was kept, so the message must not claim a checkpoint.
    assert(errors[0].includes("no checkpoint was written"), errors[0]);
    const names = [...Deno.readDirSync(`${out}/big`)].map((e) => e.name);
    assert(!names.includes("checkpoint.json") && !names.includes("samwise.lock"), names.join(","));
    assert(![...Deno.readDirSync(out)].some((e) => e.name === "results.csv"), "a results row was written");
    await Deno.remove(out, { recursive: true });
  },
);

gpuTest(
  "--init_from loads a saved state_dict: with lr 0 the trained weights are exactly the loaded ones",
  async () => {
    const out = await Deno.makeTempDir();
    const { createModel } = await import("../src/models/mod.ts");
    const { saveWeights } = await import("../src/nn/weights.ts");
    const m = createModel("wideresnet10x1", { inChannels: 1, numClasses: 10, seed: 77 });
    await saveWeights(m, `${out}/init.safetensors`);
    m.dispose();
    const code = await main([
      ...SMALL,
      "--lr",
      "0",
      "--weight_decay",
      "0",
      "--init_from",
      `${out}/init.safetensors`,
      "--output_dir",
      out,
      "--output_name",
      "init",
    ]);
    assertEquals(code, 0);
    const init = await readSafetensors(`${out}/init.safetensors`);
    const manifest = JSON.parse(await Deno.readTextFile(`${out}/init/checkpoint.json`));
    const trained = await readSafetensors(`${out}/init/${manifest.modelFile}`);
    let compared = 0;
    for (const [name, t] of init.tensors) {
      if (/running_|num_batches/.test(name)) continue; // BatchNorm statistics move in training
      assertEquals([...trained.tensors.get(name)!.data].map(Number), [...t.data].map(Number), name);
      compared++;
    }
    assert(compared > 10, `${compared} tensors compared`);
    await Deno.remove(out, { recursive: true });
  },
);

Deno.test({
  name: "SIGTERM is handled like Ctrl-C: checkpoint written, exit 143",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir();
    const { code, text } = await interruptAfterFirstEpoch(
      [...SMALL, "--output_dir", out, "--output_name", "term"],
      "SIGTERM",
    );
    assertEquals(code, 143, text);
    assert(text.includes("SIGTERM received") && text.includes("--resume --resume_path"), text);
    const m = JSON.parse(await Deno.readTextFile(`${out}/term/checkpoint.json`));
    assert(m.epoch >= 1, `checkpoint at epoch ${m.epoch}`);
    assert(!(await Deno.stat(`${out}/term/samwise.lock`).then(() => true, () => false)), "lock left behind");
    await Deno.remove(out, { recursive: true });
  },
});

gpuTest("a plugin hook that throws: one stderr line, non-zero exit, the last checkpoint kept", async () => {
  const out = await Deno.makeTempDir();
  // Throws at the 3rd step, i.e. in epoch 2 (2 steps per epoch), after epoch 1's checkpoint.
  await Deno.writeTextFile(
    `${out}/thrower.ts`,
    `export default { name: "thrower", kind: "criterion", description: "throws at step 3", options: [],
      create: () => ({ shouldPerturb: (ctx) => { if (ctx.step >= 3) throw new Error("boom at 3"); return true; } }) };\n`,
  );
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  let code: number;
  try {
    code = await main([
      ...SMALL,
      "--epochs",
      "3",
      "--plugin",
      `${out}/thrower.ts`,
      "--opt",
      "vassore-sgd",
      "--crt",
      "thrower",
      "--output_dir",
      out,
      "--output_name",
      "throw",
    ]);
  } finally {
    console.error = orig;
  }
  assertEquals(code, 2);
  assertEquals(errors.length, 1, errors.join("|"));
  assert(errors[0].includes("boom at 3") && !errors[0].includes("\n"), errors[0]);
  // The line names the plugin, its file, the hook and the step.
  assert(/plugin thrower \(.*thrower\.ts\): shouldPerturb threw at step 3/.test(errors[0]), errors[0]);
  const m = JSON.parse(await Deno.readTextFile(`${out}/throw/checkpoint.json`));
  assertEquals([m.epoch, m.batch], [1, 0]);
  assert(!(await Deno.stat(`${out}/throw/samwise.lock`).then(() => true, () => false)), "lock left behind");
  await Deno.remove(out, { recursive: true });
});
