/**
 * The training loop behind `deno task train`: epochs of SAM-family steps through the step
 * engine, evaluation, per-epoch logs and checkpoints, resume, Ctrl-C, the final results row.
 *
 * Synchronisation: the loop never waits for the GPU inside a step. Each step's loss is read
 * back asynchronously and awaited after the next step has been recorded, so the GPU always
 * has queued work; that one-step-late read is also where a NaN/Inf loss is caught, naming its
 * step. Epoch sums (loss, top-1/top-5 hits) accumulate on the GPU and are read once per epoch.
 *
 * @module
 */
import { init, runtime } from "../gpu/runtime.ts";
import { tidy } from "../tensor/scope.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { backward } from "../autograd/backward.ts";
import { noGrad } from "../autograd/tape.ts";
import { tensor, zeros } from "../ops/elementwise.ts";
import { crossEntropy, topkCorrect } from "../ops/loss.ts";
import { axpy_ } from "../ops/multi_tensor.ts";
import { type Dataset, loadDataset, Loader, type Split } from "../data/mod.ts";
import { createModel } from "../models/mod.ts";
import type { Module } from "../nn/module.ts";
import { createEngine, listOptions } from "../plugins/mod.ts";
import type { StepEngine } from "../step/engine.ts";
import type { ParsedArgs, TrainConfig } from "../cli/args.ts";
import { cosineSchedule, type LrSchedule, multiStepSchedule } from "./lr_schedule.ts";
import { formatDuration, ProgressBar } from "./progress.ts";
import { JsonlLog, writeJson } from "./run_log.ts";
import { loadCheckpointTensors, loadManifest, saveCheckpoint } from "./checkpoint.ts";
import { appendResult, type ResultRow } from "./results_csv.ts";
import { hessianSpectrum } from "./hessian.ts";
import { writeRunPlots } from "../plot/run_report.ts";

/** Metrics of one epoch, as logged and printed. */
export interface EpochMetrics {
  epoch: number;
  train_loss: number;
  train_acc1: number;
  train_acc5: number;
  test_loss: number;
  test_acc1: number;
  test_acc5: number;
  max_acc: number;
  lr: number;
  inner_forward: number;
  inner_backward: number;
  iterations: number;
  epoch_time: number;
  images_per_s: number;
}

/** Training stopped because the loss became NaN or infinite. */
export class DivergedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DivergedError";
  }
}

/** What a finished (or interrupted) run returns. */
export interface RunResult {
  dir: string;
  history: EpochMetrics[];
  row: ResultRow | null;
  interrupted: boolean;
}

/** Output sinks (stdout lines; stderr progress is the progress bar's own). */
export interface TrainIO {
  out(line: string): void;
  /** Polled after every step: true stops training as Ctrl-C does (tests use it). */
  shouldStop?(): boolean;
}

interface TrainerState {
  history: EpochMetrics[];
  trainSeconds: number;
  trainImages: number;
  maxAcc: number;
  /** Partial sums of an epoch interrupted mid-way: [lossSum, top1, top5, images]. */
  partial: number[] | null;
  epochSeconds: number;
  /** Wall-clock seconds of the run so far, across interruptions (the `runtime` column). */
  wallSeconds: number;
}

function schedule(c: TrainConfig, itersPerEpoch: number): LrSchedule {
  const lr = Number(c.optim.lr);
  return c.lr_scheduler === "MultiStepLRscheduler"
    ? multiStepSchedule(lr, c.milestone, c.gamma)
    : cosineSchedule({
      baseLr: lr,
      epochs: c.epochs,
      itersPerEpoch,
      warmupEpochs: c.warmup_epoch,
      warmupInitLr: c.warmup_init_lr,
      etaMin: c.eta_min,
    });
}

/** The seed's `hyperparameters` column: lr for plain optimizers, rho for SAM, theta for VaSSO*. */
export function hyperparameterText(c: TrainConfig): string {
  const opt = String(c.optim.opt);
  if (opt.startsWith("sgd") || opt.startsWith("adamw")) return `lr=${c.optim.lr}`;
  if (opt.startsWith("sam")) return `rho=${c.optim.rho}`;
  if (opt.startsWith("vasso")) return `theta=${c.optim.theta}`;
  return `lr=${c.optim.lr}`;
}

/** The criterion's own options as `name=value` pairs (the seed's `crt_parameter`). */
export function criterionParameterText(parsed: ParsedArgs): string {
  const crt = String(parsed.config.optim.crt);
  if (!String(parsed.config.optim.opt).includes("-")) return "none";
  const own = listOptions(parsed.registry).filter((o) =>
    o.owners.includes(crt) && !o.owners.includes("engine")
  );
  return own.map((o) => `${o.name}=${parsed.config.optim[o.name]}`).join("; ") || "none";
}

/** Keys of the configuration that must match to resume a run. */
const RESUME_KEYS: (keyof TrainConfig)[] = [
  "model",
  "dataset",
  "batch_size",
  "epochs",
  "seed",
  "lr_scheduler",
];

/** Trains as configured; see the module documentation. */
export async function runTraining(parsed: ParsedArgs, io: TrainIO): Promise<RunResult> {
  const c = parsed.config;
  await init();
  const rt = runtime();
  const dir = c.resume && c.resume_path ? c.resume_path : `${c.output_dir}/${c.output_name}`;
  // Data first: a missing or corrupt file should fail before anything is created on disk.
  const ds = limitDataset(
    await loadDataset(c.dataset, { datadir: c.datadir }),
    c.train_images,
    c.test_images,
  );
  await Deno.mkdir(dir, { recursive: true });
  const model = createModel(c.model, { inChannels: ds.channels, numClasses: ds.numClasses, seed: c.seed });
  const engine = createEngine({
    set: model,
    opt: String(c.optim.opt),
    crt: String(c.optim.crt),
    options: c.optim,
    seed: c.seed,
    registry: parsed.registry,
  });
  const trainLoader = new Loader(ds.train, { batchSize: c.batch_size, train: true, seed: c.seed });
  const testLoader = new Loader(ds.test, { batchSize: c.batch_size, train: false, seed: c.seed });
  const nb = trainLoader.batchesPerEpoch;
  if (nb === 0) {
    throw new Error(
      `--batch_size ${c.batch_size} exceeds the ${ds.train.count} training images of ${c.dataset}`,
    );
  }
  const lr = schedule(c, nb);
  const log = new JsonlLog(`${dir}/log.jsonl`);
  const state: TrainerState = {
    history: [],
    trainSeconds: 0,
    trainImages: 0,
    maxAcc: 0,
    partial: null,
    epochSeconds: 0,
    wallSeconds: 0,
  };
  let startEpoch = 0, startBatch = 0;
  const configRecord = { ...c, adapter: rt.adapterName } as unknown as Record<string, unknown>;

  if (c.resume) {
    const m = await loadManifest(dir);
    for (const k of RESUME_KEYS) {
      if (JSON.stringify(m.config[k]) !== JSON.stringify(c[k])) {
        throw new Error(`--resume: ${dir} was trained with --${k} ${m.config[k]}, not ${c[k]}`);
      }
    }
    const loaded = await loadCheckpointTensors(dir, m, model, engine.saveState());
    engine.loadState(loaded);
    Object.values(loaded.tensors).flat().forEach((t) => t.dispose());
    Object.assign(state, m.trainer);
    startEpoch = m.epoch;
    startBatch = m.batch;
    await log.truncateAfter((r) =>
      (r.epoch as number) < startEpoch || ((r.epoch as number) === startEpoch && r.type === "step" &&
        (r.batch as number) < startBatch)
    );
    io.out(`samwise: resuming ${dir} at epoch ${startEpoch + 1}, batch ${startBatch}`);
  } else {
    await writeJson(dir, "config.json", configRecord);
    await Deno.remove(`${dir}/log.jsonl`).catch(() => {});
  }

  let stop = false;
  const onSigint = () => {
    if (stop) Deno.exit(130);
    stop = true;
    io.out("samwise: interrupt received: finishing the current step, then writing a checkpoint");
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch { /* no signals on this platform */ }

  const wallSoFar = () => wallBase + (performance.now() - started) / 1000;
  const checkpoint = (epoch: number, batch: number) => {
    state.wallSeconds = wallSoFar();
    return saveCheckpoint(dir, model, engine.saveState(), {
      epoch,
      batch,
      engine: {},
      trainer: state as unknown as Record<string, unknown>,
      config: configRecord,
    });
  };

  rt.pool.resetPeaks();
  const started = performance.now();
  const wallBase = state.wallSeconds;
  let interrupted = false;
  try {
    for (let epoch = startEpoch; epoch < c.epochs && !interrupted; epoch++) {
      engine.startEpoch(epoch);
      const lossSum = tensor(state.partial ? [state.partial[0]] : [0], [1]).keep();
      const hitSum = tensor(state.partial ? state.partial.slice(1, 3) : [0, 0], [2]).keep();
      let images = state.partial ? state.partial[3] : 0;
      state.partial = null;
      const bar = new ProgressBar(`epoch ${epoch + 1}/${c.epochs}`, nb, c.log_freq);
      const t0 = performance.now();
      let pending: { read: Promise<Float32Array>; step: number; batch: number } | null = null;
      let lastLoss: number | null = null;
      let lastLr = 0;
      const settle = async () => {
        if (!pending) return;
        const v = (await pending.read)[0];
        if (!Number.isFinite(v)) {
          throw new DivergedError(
            `loss is ${v} at step ${pending.step} (epoch ${epoch + 1}, batch ${pending.batch}); ` +
              `the last good checkpoint in ${dir} is kept`,
          );
        }
        lastLoss = v;
        pending = null;
      };
      let nextBatch = startBatch;
      for await (const batch of trainLoader.epoch(epoch, startBatch)) {
        lastLr = lr.at(epoch, batch.index);
        engine.lr = lastLr;
        const res = await engine.step((pass) =>
          tidy(() => {
            const logits = model.forward(batch.x, { updateStats: pass.updateBnStats });
            const loss = crossEntropy(logits, batch.y);
            backward(loss);
            // The seed reports the outer (perturbed) pass's loss and accuracy for SAM-family steps.
            return { loss, hits: pass.pass === "outer" ? topkCorrect(logits, batch.y) : null };
          })
        );
        const { loss, hits } = res.outer;
        accumulate(lossSum, hitSum, loss, hits!, batch.size);
        const read = loss.data();
        loss.dispose();
        hits?.dispose();
        res.inner?.loss.dispose();
        res.inner?.hits?.dispose();
        log.add({
          type: "step",
          epoch,
          batch: batch.index,
          iteration: res.iteration,
          sam: res.sam,
          fired: res.perturbed,
          lr: lastLr,
          ...res.metrics,
        });
        await settle();
        pending = { read, step: res.iteration, batch: batch.index };
        images += batch.size;
        nextBatch = batch.index + 1;
        bar.update(nextBatch, images - (startBatch * c.batch_size), lastLoss);
        if (io.shouldStop?.()) stop = true;
        if (stop) break;
      }
      await settle();
      bar.done();
      const epochSeconds = (performance.now() - t0) / 1000;
      state.trainSeconds += epochSeconds;
      state.trainImages += images - startBatch * c.batch_size;
      const trainSums = [(await lossSum.data())[0], ...await hitSum.data()];
      lossSum.dispose();
      hitSum.dispose();
      if (stop && nextBatch < nb) {
        state.partial = [...trainSums, images];
        state.epochSeconds += epochSeconds;
        await checkpoint(epoch, nextBatch);
        await log.flush();
        io.out(
          `samwise: interrupted in epoch ${
            epoch + 1
          } after batch ${nextBatch}; checkpoint written to ${dir}.\n` +
            `Resume with the same command plus: --resume --resume_path ${dir}`,
        );
        interrupted = true;
        break;
      }
      startBatch = 0;
      const test = await evaluate(model, testLoader);
      const m: EpochMetrics = {
        epoch,
        train_loss: trainSums[0] / images,
        train_acc1: (100 * trainSums[1]) / images,
        train_acc5: (100 * trainSums[2]) / images,
        test_loss: test.loss,
        test_acc1: test.acc1,
        test_acc5: test.acc5,
        max_acc: Math.max(state.maxAcc, test.acc1),
        lr: lastLr,
        inner_forward: engine.counters.innerForward,
        inner_backward: engine.counters.innerBackward,
        iterations: engine.counters.iterations,
        epoch_time: state.epochSeconds + epochSeconds,
        images_per_s: images / (state.epochSeconds + epochSeconds),
      };
      state.epochSeconds = 0;
      state.maxAcc = m.max_acc;
      state.history.push(m);
      log.add({ type: "epoch", ...m });
      await log.flush();
      io.out(formatEpoch(m, c.epochs));
      await checkpoint(epoch + 1, 0);
      if (stop) {
        interrupted = epoch + 1 < c.epochs;
        if (interrupted) {
          io.out(`samwise: interrupted after epoch ${epoch + 1}; resume with: --resume --resume_path ${dir}`);
        }
      }
    }
  } finally {
    try {
      Deno.removeSignalListener("SIGINT", onSigint);
    } catch { /* ignore */ }
    await log.flush();
  }
  if (interrupted) {
    engine.dispose();
    model.dispose();
    trainLoader.dispose();
    testLoader.dispose();
    return { dir, history: state.history, row: null, interrupted };
  }

  const last = state.history[state.history.length - 1];
  let l1: number | "" = "", l5: number | "" = "";
  if (c.hessian) {
    const top = await hessianSpectrum(model, ds, c);
    [l1, l5] = [top[0], top[4]];
    io.out(`Hessian top eigenvalues: ${top.map((v) => v.toFixed(4)).join(", ")}`);
  }
  const stats = rt.stats();
  const ov = engine.overheads();
  const row: ResultRow = {
    "optimizer": String(c.optim.opt),
    "hyperparameters": hyperparameterText(c),
    "criterion": String(c.optim.opt).includes("-") ? String(c.optim.crt) : "none",
    "crt_parameter": criterionParameterText(parsed),
    "top-1 test acc": round(state.maxAcc, 4),
    "overfitting indicator": round(last.train_acc1 - state.maxAcc, 4),
    "l1": l1 === "" ? "" : round(l1, 4),
    "l5": l5 === "" ? "" : round(l5, 4),
    "l1/l5": l1 === "" || l5 === "" ? "" : round(l1 / l5, 4),
    "fwp_overhead": round(ov.fwp, 4),
    "bwp_overhead": round(ov.bwp, 4),
    "images/s": round(state.trainImages / state.trainSeconds, 2),
    "runtime": round(wallSoFar(), 2),
    "max_allocated_memory": stats.peakAllocatedBytes,
    "max_reserved_memory": stats.peakReservedBytes,
    "epochs": c.epochs,
    "exclusive_run": c.exclusive_run,
  };
  await appendResult(c.results_csv, row);
  await writeJson(dir, "summary.json", { ...row, history: state.history, adapter: rt.adapterName });
  // The plots are a convenience: a failure is reported, not fatal to a finished run.
  await writeRunPlots(dir).then(
    (p) => io.out(`report: ${p}`),
    (e) => io.out(`samwise: no report: ${e.message}`),
  );
  io.out(
    `Train finished. Max test acc1 ${state.maxAcc.toFixed(2)}%, fwp ${ov.fwp.toFixed(3)} bwp ${
      ov.bwp.toFixed(3)
    }, ` +
      `${row["images/s"]} images/s, training time ${
        formatDuration(state.trainSeconds)
      }; row appended to ${c.results_csv}`,
  );
  engine.dispose();
  model.dispose();
  trainLoader.dispose();
  testLoader.dispose();
  return { dir, history: state.history, row, interrupted: false };
}

/** Adds a batch's mean loss (times its size) and hit counts into the epoch sums, on the GPU. */
function accumulate(lossSum: Tensor, hitSum: Tensor, loss: Tensor, hits: Tensor, size: number): void {
  noGrad(() => {
    axpy_(size, [loss], [lossSum]);
    axpy_(1, [hits], [hitSum]);
  });
}

/** The dataset with only the first `train` / `test` images of each split (0 keeps all). */
export function limitDataset(ds: Dataset, train: number, test: number): Dataset {
  const cut = <S extends Split>(s: S, n: number): S => {
    if (!n || n >= s.count) return s;
    const per = s.channels * s.height * s.width;
    return { ...s, count: n, images: s.images.subarray(0, n * per), labels: s.labels.subarray(0, n) };
  };
  return { ...ds, train: cut(ds.train, train), test: cut(ds.test, test) };
}

function round(x: number, d: number): number {
  const f = 10 ** d;
  return Math.round(x * f) / f;
}

/** The per-epoch line, in the seed's style plus lr, inner passes and images/s. */
export function formatEpoch(m: EpochMetrics, epochs: number): string {
  return [
    `Epoch:${m.epoch + 1}/${epochs}`,
    `Train Loss:${m.train_loss.toFixed(4)}`,
    `Train Acc1:${m.train_acc1.toFixed(2)}`,
    `Train Acc5:${m.train_acc5.toFixed(2)}`,
    `Test Loss:${m.test_loss.toFixed(4)}`,
    `Test Acc1:${m.test_acc1.toFixed(2)}(Max:${m.max_acc.toFixed(2)})`,
    `Test Acc5:${m.test_acc5.toFixed(2)}`,
    `LR:${m.lr.toPrecision(4)}`,
    `Inner fwd/bwd:${m.inner_forward}/${m.inner_backward}`,
    `Time:${m.epoch_time.toFixed(1)}s`,
    `(${m.images_per_s.toFixed(1)} img/s)`,
  ].join(" ");
}

/** Test-set loss and top-1/top-5 accuracy (in %), with one readback at the end. */
export async function evaluate(
  model: Module,
  loader: Loader,
): Promise<{ loss: number; acc1: number; acc5: number }> {
  model.eval();
  const lossSum = zeros([1]).keep(), hitSum = zeros([2]).keep();
  let n = 0;
  try {
    for await (const batch of loader.epoch(0)) {
      noGrad(() =>
        tidy(() => {
          const logits = model.forward(batch.x, { updateStats: false });
          accumulate(
            lossSum,
            hitSum,
            crossEntropy(logits, batch.y),
            topkCorrect(logits, batch.y),
            batch.size,
          );
        })
      );
      n += batch.size;
    }
    const loss = (await lossSum.data())[0], hits = await hitSum.data();
    return { loss: loss / n, acc1: (100 * hits[0]) / n, acc5: (100 * hits[1]) / n };
  } finally {
    lossSum.dispose();
    hitSum.dispose();
    model.train();
  }
}

export type { Dataset, StepEngine };
