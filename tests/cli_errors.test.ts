// Every error a user can cause ends in exactly one stderr line naming the flag or file, and exit
// code 2: each case runs `deno run src/cli/train.ts` as a user would. Nearly all fail during
// validation, before any GPU work; they run a few at a time.
import { parseTrainArgs } from "../src/cli/args.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { Registry } from "../src/plugins/mod.ts";
import { writeSafetensors } from "../src/nn/safetensors.ts";
import { assert, assertEquals } from "./assert.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = new URL("../src/cli/train.ts", import.meta.url).pathname;
const BASE = [
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
];

interface Case {
  name: string;
  args: string[];
  /** What the one stderr line must contain (the flag or file). */
  names: RegExp;
  /** Extra check after the run (nothing created, ...). */
  after?: () => Promise<void> | void;
}

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd: ROOT,
    stdout: "null",
    stderr: "piped",
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", NO_COLOR: "1" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** A tmpfs at a new directory (root on Linux only), read-only or `kib` KiB and full; else null. */
async function mountTmpfs(opts: { readOnly?: boolean; fullKib?: number }): Promise<string | null> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return null;
  const dir = await Deno.makeTempDir();
  const o = opts.readOnly ? "ro,size=16k" : `size=${opts.fullKib}k`;
  const r = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", o, "tmpfs", dir], stderr: "null" })
    .output().catch(() => null);
  if (!r?.success) {
    await Deno.remove(dir);
    return null;
  }
  if (opts.fullKib) {
    const f = await Deno.open(`${dir}/fill`, { write: true, create: true });
    try {
      for (;;) await f.write(new Uint8Array(1024));
    } catch { /* full */ }
    f.close();
  }
  return dir;
}

/** A directory this user cannot write: a read-only tmpfs as root, mode 0555 otherwise. */
async function readOnlyDir(): Promise<string | null> {
  if (Deno.uid() === 0) return await mountTmpfs({ readOnly: true });
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o555);
  return dir;
}

async function unmount(dir: string | null): Promise<void> {
  if (!dir) return;
  if (Deno.uid() === 0) await new Deno.Command("umount", { args: [dir] }).output().catch(() => null);
  else await Deno.chmod(dir, 0o755).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test({
  name: "CLI: every user error ends in one stderr line naming the flag or file, exit code 2",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const t = await Deno.makeTempDir();
    const out = `${t}/out`;
    await Deno.mkdir(out);
    const file = `${t}/afile.txt`;
    await Deno.writeTextFile(file, "not a directory\n");
    await Deno.mkdir(`${t}/empty`);
    await Deno.writeTextFile(`${t}/bad.csv`, "a,b,c\n1,2,3\n");
    await Deno.mkdir(`${t}/runs/nockpt`, { recursive: true });
    await Deno.mkdir(`${t}/runs/badjson`, { recursive: true });
    await Deno.writeTextFile(`${t}/runs/badjson/checkpoint.json`, "{not json");
    // A run whose checkpoint manifest matches the command line but whose weights file is garbage.
    const corrupt = `${t}/runs/corrupt`;
    await Deno.mkdir(corrupt, { recursive: true });
    const parsed = await parseTrainArgs(
      [...BASE, "--output_dir", out, "--resume", "--resume_path", corrupt],
      registerBuiltins(new Registry()),
    );
    await Deno.writeTextFile(
      `${corrupt}/checkpoint.json`,
      JSON.stringify({
        version: 1,
        epoch: 0,
        batch: 1,
        modelFile: "model-e0-b1.safetensors",
        optimizerFile: "optimizer-e0-b1.safetensors",
        engine: {},
        trainer: {},
        config: parsed.config,
        savedAt: "",
      }),
    );
    await Deno.writeTextFile(`${corrupt}/model-e0-b1.safetensors`, "garbage");
    // A run directory held by a live process (this one).
    await Deno.mkdir(`${out}/locked`);
    await Deno.writeTextFile(`${out}/locked/samwise.lock`, `${Deno.pid}\n`);
    // Part of a CIFAR-10 layout.
    await Deno.mkdir(`${t}/partial/cifar-10-batches-bin`, { recursive: true });
    await Deno.writeFile(`${t}/partial/cifar-10-batches-bin/data_batch_1.bin`, new Uint8Array(10));
    // A plugin whose option clashes with a core flag.
    await Deno.writeTextFile(
      `${t}/clash.ts`,
      `export default { name: "clash", kind: "criterion", description: "x",
        options: [{ name: "epochs", type: "integer", default: 1, help: "clashes" }],
        create: () => ({ shouldPerturb: () => true }) };\n`,
    );
    await Deno.writeTextFile(`${t}/garbage.safetensors`, "\x10\x00\x00\x00\x00\x00\x00\x00{not json");
    await writeSafetensors(`${t}/other.safetensors`, [["foo.weight", {
      dtype: "F32",
      shape: [2],
      data: new Float32Array(2),
    }]]);
    const ro = await readOnlyDir();
    const full = await mountTmpfs({ fullKib: 8 });

    const cases: Case[] = [
      {
        name: "resume_path missing",
        args: ["--resume", "--resume_path", `${t}/nope/run`],
        names: /--resume_path .*nope\/run/,
        after: async () => assert(!(await exists(`${t}/nope`)), "created the missing --resume_path"),
      },
      {
        name: "resume_path without checkpoint",
        args: ["--resume", "--resume_path", `${t}/runs/nockpt`],
        names: /--resume_path .*checkpoint\.json/,
      },
      {
        name: "resume_path corrupt manifest",
        args: ["--resume", "--resume_path", `${t}/runs/badjson`],
        names: /checkpoint\.json: not valid JSON/,
      },
      {
        name: "resume_path is a file",
        args: ["--resume", "--resume_path", file],
        names: /--resume_path .*not a directory/,
      },
      {
        name: "resume with corrupt weights",
        args: ["--output_dir", out, "--resume", "--resume_path", corrupt],
        names: /model-e0-b1\.safetensors/,
      },
      {
        name: "resume with a changed option",
        args: ["--output_dir", out, "--resume", "--resume_path", corrupt, "--lr", "0.5", "--seed", "9"],
        names: /--seed 9 \(the run has 3107\); --lr 0\.5 \(the run has 0\.05\)/,
      },
      {
        name: "batch_size above the data",
        args: ["--batch_size", "100"],
        names: /--batch_size 100 exceeds the 64 training images/,
      },
      { name: "batch_size not a number", args: ["--batch_size", "abc"], names: /--batch_size/ },
      { name: "datadir is a file", args: ["--datadir", file], names: /--datadir .*afile\.txt is a file/ },
      { name: "empty output_dir", args: ["--output_dir", ""], names: /--output_dir must not be empty/ },
      { name: "empty output_name", args: ["--output_name", ""], names: /--output_name must not be empty/ },
      { name: "output_name with a slash", args: ["--output_name", "a/b"], names: /--output_name/ },
      {
        name: "results_csv in a missing directory",
        args: ["--results_csv", `${t}/missing/r.csv`],
        names: /--results_csv .*missing/,
      },
      {
        name: "results_csv with other columns",
        args: ["--results_csv", `${t}/bad.csv`],
        names: /--results_csv .*bad\.csv.*other columns/,
      },
      {
        name: "run directory in use",
        args: ["--output_dir", out, "--output_name", "locked"],
        names: new RegExp(`in use by process ${Deno.pid}`),
      },
      {
        name: "plugin option clashes with a core flag",
        args: ["--plugin", `${t}/clash.ts`],
        names: /--epochs of plugin clash clashes/,
      },
      {
        name: "plugin file missing",
        args: ["--plugin", `${t}/missing_plugin.ts`],
        names: /missing_plugin\.ts/,
      },
      { name: "unknown flag", args: ["--frobnicate", "1"], names: /--frobnicate/ },
      { name: "epochs 0", args: ["--epochs", "0"], names: /--epochs/ },
      { name: "negative lr", args: ["--lr", "-1"], names: /--lr/ },
      { name: "unknown model", args: ["--model", "nope"], names: /--model/ },
      { name: "bad lr_step", args: ["--lr_step", "sometimes"], names: /--lr_step/ },
      { name: "warmup longer than training", args: ["--warmup_epoch", "3"], names: /--warmup_epoch/ },
      {
        name: "crt_p out of range",
        args: ["--opt", "vassore-sgd", "--crt", "random", "--crt_p", "2"],
        names: /--crt_p/,
      },
      {
        name: "CIFAR files missing",
        args: ["--dataset", "CIFAR10_base", "--datadir", `${t}/empty`],
        names: /cifar-10-batches-bin/,
      },
      {
        name: "part of a CIFAR-10 layout",
        args: ["--datadir", `${t}/partial`],
        names: /cifar-10-batches-bin\/data_batch_2\.bin: file not found/,
      },
      {
        name: "init_from missing",
        args: ["--init_from", `${t}/none.safetensors`],
        names: /--init_from .*none\.safetensors/,
      },
      {
        name: "init_from corrupt",
        args: ["--init_from", `${t}/garbage.safetensors`],
        names: /--init_from: .*garbage\.safetensors/,
      },
      {
        name: "init_from other names",
        args: ["--init_from", `${t}/other.safetensors`],
        names: /--init_from: .*other\.safetensors: missing tensor 'conv1\.weight'/,
      },
    ];
    if (ro) {
      cases.push({
        name: "read-only output_dir",
        args: ["--output_dir", ro],
        names: /--output_dir .*cannot write/,
      });
    }
    if (full) {
      cases.push({
        name: "full output_dir",
        args: ["--output_dir", full],
        names: /--output_dir .*cannot write/,
      });
    }

    const failures: string[] = [];
    try {
      for (let i = 0; i < cases.length; i += 4) {
        await Promise.all(
          cases.slice(i, i + 4).map(async (c) => {
            const args = [...BASE, "--output_dir", out, ...c.args];
            const { code, stderr } = await run(args);
            const lines = stderr.split("\n").filter((l) => l.trim() !== "");
            if (
              code !== 2 || lines.length !== 1 || !c.names.test(lines[0]) || /\bat .*:\d+:\d+/.test(stderr)
            ) {
              failures.push(`${c.name}: exit ${code}, stderr ${JSON.stringify(stderr)}`);
            }
            await c.after?.();
          }),
        );
      }
    } finally {
      await unmount(ro);
      await unmount(full);
    }
    assertEquals(failures, [], failures.join("\n"));
    assert(cases.length >= 25, `${cases.length} cases`);
    // No failed run left a lock behind.
    for (const e of Deno.readDirSync(out)) {
      if (e.name !== "locked") {
        assert(!(await exists(`${out}/${e.name}/samwise.lock`)), `lock left in ${e.name}`);
      }
    }
    await Deno.remove(t, { recursive: true });
  },
});
