// The seed's command lines run unchanged: every flag of its configs/defaulf_cfg.py is accepted,
// with the seed's meaning where it has one here, and its README example trains to a results row.
import { registerBuiltins } from "../plugins/builtins.ts";
import sam from "../plugins/sam.ts";
import { RHO, THETA } from "../plugins/common.ts";
import { join } from "node:path";
import { IGNORED_SEED_FLAGS, parseTrainArgs } from "../src/cli/args.ts";
import { main } from "../src/cli/train.ts";
import { readResults } from "../src/train/results_csv.ts";
import { compInfoText, formatTimedelta } from "../src/train/results_row.ts";
import { CIFAR10_DIR } from "../src/data/mod.ts";
import { Registry } from "../src/plugins/mod.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gpuTest } from "./harness.ts";

/** Every flag of the seed's defaulf_cfg.py, with a value where it takes one. */
const ALL_SEED_FLAGS = [
  ["--wandb"],
  ["--wandb_project", "VASSO"],
  ["--wandb_name", "Default"],
  ["--output_dir", "logs"],
  ["--output_name", "seedrun"],
  ["--resume"],
  ["--resume_path", "logs/seedrun"],
  ["--seed", "3107"],
  ["--log_freq", "10"],
  ["--extensive_metrics_mode"],
  ["--performance_scores_mode"],
  ["--logging_mode"],
  ["--start_epoch", "0"],
  ["--epochs", "200"],
  ["--dataset_nn_combination", "cifar10_rn18"],
  ["--exclusive_run"],
  ["--dist_url", "env://"],
  ["--dataset", "CIFAR10_cutout"],
  ["--datadir", "/nonexistent"],
  ["--batch_size", "128"],
  ["--num_workers", "8"],
  ["--pin_memory"],
  ["--drop_last"],
  ["--distributed_val"],
  ["--opt", "vassore-sgd"],
  ["--lr", "0.05"],
  ["--weight_decay", "1e-3"],
  ["--momentum", "0.9"],
  ["--nesterov"],
  ["--betas", "0.9", "0.999"],
  ["--eps", "1e-8"],
  ["--rho", "0.1"],
  ["--theta", "0.4"],
  ["--crt", "gSAMsharp"],
  ["--crt_k", "2"],
  ["--crt_p", "0.5"],
  ["--lam", "0.1"],
  ["--crt_z", "1.0"],
  ["--z_two", "0.5"],
  ["--var_delta", "1.0"],
  ["--crt_s", "[100-200]"],
  ["--crt_c", "0"],
  ["--warmup_epoch", "0"],
  ["--warmup_init_lr", "0.0"],
  ["--lr_scheduler", "CosineLRscheduler"],
  ["--eta_min", "0"],
  ["--milestone", "60", "120", "160"],
  ["--gamma", "0.2"],
  ["--model", "resnet18"],
];

Deno.test("every flag of the seed's defaulf_cfg.py is accepted, with the seed's meaning", async () => {
  const p = await parseTrainArgs(ALL_SEED_FLAGS.flat(), registerBuiltins(new Registry()));
  const c = p.config;
  assertEquals(c.results_csv, "cifar10_rn18_results.csv");
  assertEquals(c.comp_info, "comp_cifar10_rn18.info");
  assertEquals([c.drop_last, c.start_epoch, c.var_delta], [true, 0, 1]);
  assertEquals([c.logging_mode, c.extensive_metrics_mode, c.performance_scores_mode], [true, true, true]);
  assertEquals([c.wandb, c.wandb_project, c.wandb_name], [true, "VASSO", "Default"]);
  // Timing-only runs skip the Hessian that resnet18 on CIFAR-10 would otherwise compute.
  assertEquals(c.hessian, false);
  // One line names every ignored CUDA/DataLoader/DDP flag; one line says where W&B metrics go.
  assertEquals(p.notices.length, 2, p.notices.join("|"));
  assert(IGNORED_SEED_FLAGS.every((f) => p.notices[0].includes(`--${f}`)), p.notices[0]);
  assert(p.notices[1].includes("Weights & Biases") && p.notices[1].includes("log.jsonl"), p.notices[1]);
  assert(p.notices.every((n) => !n.includes("\n")));
});

Deno.test("seed flags: defaults, --results_csv precedence, and the checks on them", async () => {
  const base = ["--dataset", "CIFAR10_base", "--datadir", "/nonexistent"];
  const d = (await parseTrainArgs(base, registerBuiltins(new Registry()))).config;
  assertEquals([d.drop_last, d.start_epoch, d.dataset_nn_combination, d.comp_info], [true, 0, null, null]);
  assertEquals(d.results_csv, "logs/results.csv");
  assertEquals(
    (await parseTrainArgs([...base, "--no-drop_last"], registerBuiltins(new Registry()))).config.drop_last,
    false,
  );
  const given = await parseTrainArgs(
    [...base, "--dataset_nn_combination", "x", "--results_csv", "r.csv"],
    registerBuiltins(new Registry()),
  );
  assertEquals([given.config.results_csv, given.config.comp_info], ["r.csv", null]);
  assertEquals(given.notices, []);
  await assertRejects(
    () => parseTrainArgs([...base, "--epochs", "3", "--start_epoch", "3"], registerBuiltins(new Registry())),
    /--start_epoch 3 must be below --epochs 3/,
  );
  await assertRejects(
    () => parseTrainArgs([...base, "--dataset_nn_combination", "a/b"], registerBuiltins(new Registry())),
    /--dataset_nn_combination must be a plain name/,
  );
  // The seed's booleans are store_true flags: a value after one is not taken as its value.
  await assertRejects(
    () => parseTrainArgs([...base, "--drop_last", "False"], registerBuiltins(new Registry())),
    /argument/,
  );
});

Deno.test("automatic run names: rho for SAM-family --opt, theta when its plugin declares theta", async () => {
  const reg = registerBuiltins(new Registry());
  // A third-party sharpness optimizer declaring theta: named like the VaSSO family, by its options.
  reg.register({ ...sam, name: "mine", options: [RHO, THETA] }, "test");
  const name = async (...flags: string[]) =>
    (await parseTrainArgs(["--dataset", "CIFAR10_base", "--datadir", "/nonexistent", ...flags], reg))
      .config.output_name;
  assertEquals(await name(), "CIFAR10_base_bsz128_epoch200_resnet18_lr0.05_sgd_seed3107");
  assertEquals(
    await name("--opt", "sam-sgd"),
    "CIFAR10_base_bsz128_epoch200_resnet18_lr0.05_sam-sgd_rho0.1_seed3107",
  );
  assertEquals(
    await name("--opt", "vassore-sgd", "--crt", "naive"),
    "CIFAR10_base_bsz128_epoch200_resnet18_lr0.05_vassore-sgd_rho0.1_theta0.4_crtnaive_seed3107",
  );
  assertEquals(
    await name("--opt", "mine-sgd"),
    "CIFAR10_base_bsz128_epoch200_resnet18_lr0.05_mine-sgd_rho0.1_theta0.4_seed3107",
  );
});

Deno.test("comp_NAME.info: the seed's comp_file_logging lines", () => {
  assertEquals(formatTimedelta(62.5), "0:01:02.500000");
  assertEquals(formatTimedelta(3600), "1:00:00");
  assertEquals(formatTimedelta(90000.25), "1 day, 1:00:00.250000");
  const m = {
    history: [{ train_loss: 0.5, train_acc1: 90, test_loss: 0.75, test_acc1: 80, images_per_s: 10 }],
    maxAcc: 81,
    trainingSeconds: 62.5,
    overheads: { fwp: 1.5, bwp: 1.5 },
    hessian: null,
    memory: null,
  };
  const row = { optimizer: "vassore-sgd", criterion: "naive", crt_parameter: "k=2" };
  const text = compInfoText({ optim: { theta: 0.4 } }, row as never, m);
  assertEquals(
    text,
    "OPTIMISER: vassore - theta = 0.4 \n" +
      "Reuse method: naive - k=2 \n" +
      "Max Test Accuracy: 81.0000, Last Train Accuracy: 90.0000, Difference (Train Accuracy - Test Accuracy) = 9.0000 \n" +
      "Last Test Loss: 0.7500, Last Train Loss: 0.5000, Difference (test loss - train loss) = 0.2500 \n" +
      "Backprop Overhead x SGD: 1.50 \n" +
      "Training Time: 0:01:02.500000 \n\n",
  );
  const plain = compInfoText({ optim: { theta: 0.4 } }, { ...row, crt_parameter: "" } as never, m);
  assert(!plain.includes("Reuse method") && !plain.includes("Backprop"), plain);
});

/** A CIFAR-10 binary layout of the standard record counts, all zero bytes (sparse, so instant). */
async function writeZeroCifar10(dir: string): Promise<void> {
  await Deno.mkdir(join(dir, CIFAR10_DIR));
  const names = [
    "data_batch_1",
    "data_batch_2",
    "data_batch_3",
    "data_batch_4",
    "data_batch_5",
    "test_batch",
  ];
  for (const n of names) await Deno.truncate(await touch(join(dir, CIFAR10_DIR, `${n}.bin`)), 10000 * 3073);
}

async function touch(path: string): Promise<string> {
  await Deno.writeFile(path, new Uint8Array(0));
  return path;
}

gpuTest("the seed's README command plus every other seed flag trains to a results row", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "samwise_seed_" });
  const cwd = Deno.cwd();
  const errors: string[] = [];
  const origError = console.error;
  try {
    await writeZeroCifar10(tmp);
    Deno.chdir(tmp);
    console.error = (m: string) => errors.push(m);
    const readme = [
      "--model",
      "resnet18",
      "--dataset",
      "CIFAR10_cutout",
      "--datadir",
      tmp,
      "--opt",
      "vassore-sgd",
      "--lr",
      "0.05",
      "--weight_decay",
      "1e-3",
      "--rho",
      "0.1",
      "--theta",
      "0.4",
      "--crt",
      "gSAMsharp",
      "--lam",
      "0.2",
      "--crt_z",
      "1.5",
      "--seed",
      "3107",
    ];
    const others = [
      ...["--dataset_nn_combination", "cifar10_rn18", "--drop_last", "--start_epoch", "1", "--epochs", "2"],
      ...["--var_delta", "1.0", "--logging_mode", "--extensive_metrics_mode", "--performance_scores_mode"],
      ...[
        "--wandb",
        "--wandb_project",
        "VASSO",
        "--wandb_name",
        "tiny",
        "--num_workers",
        "8",
        "--pin_memory",
      ],
      ...["--dist_url", "env://", "--distributed_val", "--output_dir", `${tmp}/logs`, "--output_name", "run"],
    ];
    // 5 images in batches of 2: the seed's drop_last leaves 2 steps per epoch.
    const tiny = ["--train_images", "5", "--test_images", "2", "--batch_size", "2"];
    assertEquals(await main([...readme, ...others, ...tiny]), 0);
    console.error = origError;
    assertEquals(errors.length, 2, errors.join("|"));
    assert(errors[0].includes("--num_workers, --pin_memory, --dist_url, --distributed_val"), errors[0]);
    assert(errors[1].includes("Weights & Biases"), errors[1]);

    const rows = await readResults(`${tmp}/cifar10_rn18_results.csv`);
    assertEquals(rows.length, 1);
    const r = rows[0];
    assertEquals(
      [r.optimizer, r.hyperparameters, r.criterion, r.crt_parameter],
      ["vassore-sgd", "lr=0.05;rho=0.1;theta=0.4;lam=0.2;z=1.5;", "gSAMsharp", "z=1.5"],
    );
    // Both steps are in gSAMsharp's warm-up, so both computed an inner gradient.
    assertEquals([r.fwp_overhead, r.bwp_overhead], ["2.0", "2.0"]);
    assertEquals([r.l1, r.l5, r["l1/l5"], r.epochs, r.exclusive_run], ["", "", "", "2", "False"]);
    for (const col of ["top-1 test acc", "overfitting indicator", "images/s", "runtime"]) {
      assert(/^-?\d+\.\d+$/.test(r[col]), `${col}: ${r[col]}`);
    }
    assert(/^\d+$/.test(r.max_allocated_memory) && /^\d+$/.test(r.max_reserved_memory), "memory in MiB");
    const info = await Deno.readTextFile(`${tmp}/comp_cifar10_rn18.info`);
    assert(info.startsWith("OPTIMISER: vassore - theta = 0.4 \nReuse method: gSAMsharp - z=1.5 \n"), info);

    const log = (await Deno.readTextFile(`${tmp}/logs/run/log.jsonl`)).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    const epochs = log.filter((e) => e.type === "epoch");
    // --start_epoch 1 --epochs 2 trains the second epoch only; drop_last: 2 of 3 batches.
    assertEquals(epochs.map((e) => [e.epoch, e.iterations]), [[1, 2]]);
    assertEquals(log.filter((e) => e.type === "step").length, 0, "timing-only run logs no steps");
    assertEquals(log.filter((e) => e.type === "step_loss").length, 2, "extensive metrics: each step's loss");
    const config = JSON.parse(await Deno.readTextFile(`${tmp}/logs/run/config.json`));
    assertEquals([config.wandb_project, config.wandb_name, config.var_delta], ["VASSO", "tiny", 1]);
  } finally {
    console.error = origError;
    Deno.chdir(cwd);
    await Deno.remove(tmp, { recursive: true });
  }
});
