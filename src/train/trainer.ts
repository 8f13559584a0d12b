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
import { gpuContext } from "../gpu/device.ts";
import { tidy } from "../tensor/scope.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { backward } from "../autograd/backward.ts";
import { noGrad } from "../tape/tape.ts";
import { mulScalar, tensor, zeros } from "../ops/elementwise.ts";
import { crossEntropy, topkCorrect } from "../ops/loss.ts";
import { axpy_, sumOfSquares } from "../ops/multi_tensor.ts";
import { loadWeights } from "../nn/weights.ts";
import { readSafetensors } from "../nn/safetensors.ts";
import { acquireLock, type Lock, LockHeldError } from "../io/lock.ts";
import { isFile } from "../data/files.ts";
import { type Dataset, DatasetError, loadDataset, Loader, type Split } from "../data/mod.ts";
import { createModel, imageSizeProblem } from "../models/mod.ts";
import type { Module } from "../nn/module.ts";
import { createEngine, runPlugins } from "../plugins/mod.ts";
import type { StepEngine } from "../step/engine.ts";
import { accumulated, combineLossAndHits, microSlice } from "../step/accumulate.ts";
import type { TrainConfig, TrainSetup } from "./config.ts";
import { buildSchedule, type LrSchedule } from "./lr_schedule.ts";
import { formatDuration, ProgressBar } from "./progress.ts";
import {
  CONFIG_FILE,
  type ConfigRecord,
  type EpochMetrics,
  JsonlLog,
  LOG_FILE,
  SUMMARY_FILE,
  writeJson,
} from "./run_log.ts";
import { loadCheckpointTensors, loadManifest, saveCheckpoint } from "./checkpoint.ts";
import { appendResult, appendText, checkResultsFile, type ResultRow } from "./results_csv.ts";
import { compInfoText, resultsRow, type RunMeasurements, summaryRecord } from "./results_row.ts";
import { DivergedError, firstLine, RunSetupError } from "./errors.ts";
import { hessianSpectrum } from "./hessian.ts";

export type { EpochMetrics };
export { DivergedError, RunSetupError };

/** The lock file in a run directory: one process per run directory (see `src/io/lock.ts`). */
export const RUN_LOCK = "samwise.lock";

/** What a finished (or interrupted) run returns. */
export interface RunResult {
  dir: string;
  history: EpochMetrics[];
  row: ResultRow | null;
  interrupted: boolean;
  /** The signal that interrupted the run, if one did (Ctrl-C is SIGINT). */
  signal?: "SIGINT" | "SIGTERM";
  /** True when `--resume` found the run already finished (nothing was done or written). */
  alreadyFinished?: boolean;
}

/** Output sinks (stdout lines; stderr progress is the progress bar's own). */
export interface TrainIO {
  out(line: string): void;
  /** Polled after every step: true stops training as Ctrl-C does (tests use it). */
  shouldStop?(): boolean;
  /**
   * Writes the finished run's report from its directory and returns its path (the CLI passes
   * `writeRunPlots` of `src/plot/`, which sits above the trainer). A failure is printed, not fatal.
   */
  report?(dir: string): Promise<string>;
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
  return buildSchedule(
    {
      scheduler: c.lr_scheduler,
      baseLr: Number(c.optim.lr),
      epochs: c.epochs,
      warmupEpoch: c.warmup_epoch,
      warmupInitLr: c.warmup_init_lr,
      etaMin: c.eta_min,
      milestone: c.milestone,
      gamma: c.gamma,
    },
    c.lr_step,
    itersPerEpoch,
  );
}

/**
 * Options that must match to resume a run: everything that changes what is trained (model, data,
 * schedule, plugins, and every optimizer and criterion option). Output paths, logging and
 * `--hessian` may change.
 */
const RESUME_KEYS: (keyof TrainConfig)[] = [
  "model",
  "dataset",
  "train_images",
  "test_images",
  "batch_size",
  "accum_steps",
  "epochs",
  "seed",
  "lr_scheduler",
  "lr_step",
  "warmup_epoch",
  "warmup_init_lr",
  "eta_min",
  "milestone",
  "gamma",
  "plugin",
];

/** What a checkpoint written before an option existed was trained with. */
const RESUME_LEGACY: Record<string, unknown> = {
  lr_step: "iteration",
  train_images: 0,
  test_images: 0,
  plugin: [],
  accum_steps: 1,
};

function show(v: unknown): string {
  return Array.isArray(v) ? (v.length ? v.join(" ") : "(none)") : String(v);
}

/**
 * The options in which `now` differs from the configuration a checkpoint was trained with, as
 * `--flag now (the run has then)` texts, in flag order; empty if it may be resumed.
 */
export function resumeDifferences(saved: Record<string, unknown>, now: TrainConfig): string[] {
  const out: string[] = [];
  const cmp = (flag: string, was: unknown, is: unknown) => {
    if (JSON.stringify(was) !== JSON.stringify(is)) {
      out.push(`--${flag} ${show(is)} (the run has ${show(was)})`);
    }
  };
  for (const k of RESUME_KEYS) cmp(k, saved[k] === undefined ? RESUME_LEGACY[k] : saved[k], now[k]);
  const was = (saved.optim ?? {}) as Record<string, unknown>;
  for (const k of new Set([...Object.keys(now.optim), ...Object.keys(was)])) cmp(k, was[k], now.optim[k]);
  return out;
}

function runDir(c: TrainConfig): string {
  return c.resume && c.resume_path ? c.resume_path : `${c.output_dir}/${c.output_name}`;
}

/** Reads and checks the checkpoint to resume; changes nothing on disk. */
async function openResume(dir: string, c: TrainConfig) {
  const flag = c.resume_path ? `--resume_path ${dir}` : `--resume (run directory ${dir})`;
  const st = await Deno.stat(dir).catch(() => null);
  if (!st) throw new RunSetupError(`${flag}: no such run directory`);
  if (!st.isDirectory) throw new RunSetupError(`${flag}: not a directory`);
  let m;
  try {
    m = await loadManifest(dir);
  } catch (e) {
    throw new RunSetupError(`${flag}: ${firstLine(e)}`);
  }
  const diffs = resumeDifferences(m.config ?? {}, c);
  if (diffs.length) {
    throw new RunSetupError(`--resume: ${dir} was trained with other options: ${diffs.join("; ")}`);
  }
  return m;
}

/** Checks that need no GPU and write nothing: the results CSV and its directory, `--init_from`. */
async function checkOutputs(c: TrainConfig): Promise<void> {
  const csv = c.results_csv;
  const csvDir = csv.includes("/") ? csv.slice(0, csv.lastIndexOf("/")) || "/" : ".";
  // The default CSV lives in --output_dir, created below; any other directory must exist.
  const norm = (p: string) => p.replace(/\/+$/, "") || "/";
  const outDir = norm(c.output_dir), inDir = norm(csvDir);
  if (inDir !== outDir) {
    const st = await Deno.stat(csvDir).catch(() => null);
    if (!st?.isDirectory) throw new RunSetupError(`--results_csv ${csv}: directory ${csvDir} does not exist`);
  }
  try {
    await checkResultsFile(csv);
  } catch (e) {
    throw new RunSetupError(`--results_csv ${csv}: ${firstLine(e)}`);
  }
  if (c.init_from && !c.resume) {
    if (!(await isFile(c.init_from))) throw new RunSetupError(`--init_from ${c.init_from}: no such file`);
    // Parse it now, so a corrupt file fails before any GPU work (names and shapes need the model).
    await readSafetensors(c.init_from).catch((e) => {
      throw new RunSetupError(`--init_from: ${firstLine(e)}`);
    });
  }
}

/** Creates the run directory and takes its lock; every failure names the flag. */
async function lockRunDir(dir: string, c: TrainConfig): Promise<Lock> {
  const flag = c.resume ? `--resume_path ${dir}` : `--output_dir ${c.output_dir}`;
  try {
    if (!c.resume) await Deno.mkdir(dir, { recursive: true });
    return await acquireLock(`${dir}/${RUN_LOCK}`);
  } catch (e) {
    if (e instanceof LockHeldError) {
      throw new RunSetupError(
        `run directory ${dir} is in use by process ${e.pid} on ${e.host} (lock file ${e.path})`,
      );
    }
    throw new RunSetupError(`${flag}: cannot write ${dir} (${firstLine(e)})`);
  }
}

/** The checkpoint a resume starts from, as `loadManifest` reads it. */
type Manifest = Awaited<ReturnType<typeof loadManifest>>;

/**
 * Trains as configured; see the module documentation. The steps, in order: {@link checkInputs}
 * (no GPU, no writes), {@link lockRunDir}, {@link buildRun} (model, engine, loaders, log),
 * {@link startOrResume}, {@link epochLoop}, and for a run that was not interrupted {@link finish}
 * (the results row, summary.json, the report).
 */
export async function runTraining(setup: TrainSetup, io: TrainIO): Promise<RunResult> {
  const c = setup.config;
  const dir = runDir(c);
  const inputs = await checkInputs(dir, c);
  if (inputs.finished) {
    io.out(
      `samwise: ${dir} already finished its ${c.epochs} epochs (see its ${SUMMARY_FILE}); nothing to resume`,
    );
    return { dir, history: [], row: null, interrupted: false, alreadyFinished: true };
  }
  const lock = await lockRunDir(dir, c);
  try {
    const run = await buildRun(setup, dir, inputs.ds, inputs.manifest);
    await startOrResume(run, inputs.manifest, io);
    const stopped = await epochLoop(run, io, lock);
    if (stopped) {
      run.dispose();
      return { dir, history: run.state.history, row: null, interrupted: true, signal: stopped };
    }
    const row = await finish(run, io);
    run.dispose();
    return { dir, history: run.state.history, row, interrupted: false };
  } finally {
    await lock.release();
  }
}

/**
 * Everything the user can get wrong, checked before any GPU work or any write: the checkpoint
 * to resume, the outputs, the dataset against the model and batch size. `finished` when
 * `--resume` finds the run already done.
 */
async function checkInputs(
  dir: string,
  c: TrainConfig,
): Promise<{ finished: true } | { finished: false; manifest: Manifest | null; ds: Dataset }> {
  const manifest = c.resume ? await openResume(dir, c) : null;
  if (manifest && manifest.epoch >= c.epochs && (await isFile(`${dir}/${SUMMARY_FILE}`))) {
    return { finished: true };
  }
  await checkOutputs(c);
  const ds = limitDataset(
    await loadDataset(c.dataset, { datadir: c.datadir, decodedCache: c.decoded_cache ?? undefined }),
    c.train_images,
    c.test_images,
  );
  const sizeProblem = imageSizeProblem(c.model, ds.height, ds.width);
  if (sizeProblem) throw new DatasetError(`--model ${c.model}: ${sizeProblem} (--dataset ${c.dataset})`);
  if (c.batch_size > ds.train.count) {
    throw new RunSetupError(
      `--batch_size ${c.batch_size} exceeds the ${ds.train.count} training images of ${c.dataset}` +
        (c.train_images ? ` (--train_images ${c.train_images})` : ""),
    );
  }
  return { finished: false, manifest, ds };
}

/** A run being trained: what it was built from, what it trains, and its progress. */
interface Run {
  readonly setup: TrainSetup;
  readonly c: TrainConfig;
  readonly dir: string;
  readonly ds: Dataset;
  readonly model: Module;
  readonly engine: StepEngine;
  readonly trainLoader: Loader;
  readonly testLoader: Loader;
  /** Training batches per epoch. */
  readonly nb: number;
  readonly lr: LrSchedule;
  readonly log: JsonlLog;
  readonly state: TrainerState;
  /** What `config.json` and every checkpoint record. */
  readonly configRecord: ConfigRecord;
  readonly backend: string;
  /** Where training starts: the seed's --start_epoch, or the checkpoint's epoch and batch. */
  start: { epoch: number; batch: number };
  /** This run's last checkpoint (the resumed one, then each written): what messages may mention. */
  kept: { epoch: number; batch: number } | null;
  /** performance.now() when the epoch loop began, and the wall seconds of earlier sessions. */
  clock: { started: number; base: number };
  dispose(): void;
}

/** Builds the model (seeded or `--init_from`), the engine from the plugins, the loaders and the log. */
async function buildRun(
  setup: TrainSetup,
  dir: string,
  ds: Dataset,
  manifest: Manifest | null,
): Promise<Run> {
  const c = setup.config;
  await init();
  const rt = runtime();
  const model = createModel(c.model, {
    inChannels: ds.channels,
    numClasses: ds.numClasses,
    seed: c.seed,
    imageSize: [ds.height, ds.width],
  });
  if (c.init_from && !manifest) {
    try {
      await loadWeights(model, c.init_from);
    } catch (e) {
      model.dispose();
      throw new RunSetupError(`--init_from: ${firstLine(e)}`);
    }
  }
  const engine = createEngine({
    set: model,
    opt: String(c.optim.opt),
    crt: String(c.optim.crt),
    options: c.optim,
    seed: c.seed,
    registry: setup.registry,
  });
  const trainLoader = new Loader(ds.train, {
    batchSize: c.batch_size,
    train: true,
    seed: c.seed,
    dropLast: c.drop_last,
  });
  const testLoader = new Loader(ds.test, { batchSize: c.batch_size, train: false, seed: c.seed });
  const nb = trainLoader.batchesPerEpoch;
  const backend = (await gpuContext()).backend.name;
  return {
    setup,
    c,
    dir,
    ds,
    model,
    engine,
    trainLoader,
    testLoader,
    nb,
    lr: schedule(c, nb),
    log: new JsonlLog(`${dir}/${LOG_FILE}`),
    state: {
      history: [],
      trainSeconds: 0,
      trainImages: 0,
      maxAcc: 0,
      partial: null,
      epochSeconds: 0,
      wallSeconds: 0,
    },
    configRecord: { ...c, adapter: rt.adapterName, backend, plugins: runPlugins(setup.resolved) },
    backend,
    // The seed's --start_epoch: its loop is range(start_epoch, epochs); a resume overrides it.
    start: { epoch: c.start_epoch, batch: 0 },
    kept: null,
    clock: { started: performance.now(), base: 0 },
    dispose() {
      engine.dispose();
      model.dispose();
      trainLoader.dispose();
      testLoader.dispose();
    },
  };
}

/** Writes run files, naming the file or directory when the disk is full or read-only. */
async function writing<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new RunSetupError(`cannot write ${what} (${firstLine(e)})`);
  }
}

/**
 * A fresh run writes config.json and starts an empty log; a resumed one loads the checkpoint's
 * weights, engine and trainer state and drops log records past it.
 */
async function startOrResume(run: Run, manifest: Manifest | null, io: TrainIO): Promise<void> {
  const { dir, log } = run;
  if (!manifest) {
    await writing(`${dir}/${CONFIG_FILE}`, writeJson(dir, CONFIG_FILE, run.configRecord));
    await Deno.remove(`${dir}/${LOG_FILE}`).catch(() => {});
    return;
  }
  const m = manifest;
  try {
    const loaded = await loadCheckpointTensors(dir, m, run.model, run.engine.saveState());
    run.engine.loadState(loaded);
    Object.values(loaded.tensors).flat().forEach((t) => t.dispose());
  } catch (e) {
    throw new RunSetupError(`--resume: checkpoint in ${dir} is unusable: ${firstLine(e)}`);
  }
  Object.assign(run.state, m.trainer);
  const startEpoch = m.epoch, startBatch = m.batch;
  run.start = { epoch: startEpoch, batch: startBatch };
  run.kept = { epoch: m.epoch, batch: m.batch };
  await log.truncateAfter((r) =>
    r.epoch < startEpoch || (r.epoch === startEpoch && r.type !== "epoch" && r.batch < startBatch)
  );
  io.out(`samwise: resuming ${dir} at epoch ${startEpoch + 1}, batch ${startBatch}`);
}

/** What messages may say of the last good checkpoint. */
function keptNote(run: Run): string {
  const kept = run.kept;
  return kept
    ? `the last good checkpoint in ${run.dir} (epoch ${kept.epoch}, batch ${kept.batch}) is kept`
    : `no checkpoint was written`;
}

/** Throws DivergedError unless every weight and BatchNorm statistic is finite (one readback). */
async function assertFinite(run: Run, where: string): Promise<void> {
  const ss = noGrad(() => sumOfSquares(run.model.stateDict().map((e) => e.tensor)));
  const v = await ss.item();
  ss.dispose();
  if (!Number.isFinite(v)) {
    throw new DivergedError(`weights are not finite ${where} (sum of squares ${v}); ${keptNote(run)}`);
  }
}

/** Wall-clock seconds of the run so far, across interruptions. */
function wallSoFar(run: Run): number {
  return run.clock.base + (performance.now() - run.clock.started) / 1000;
}

/** Writes a checkpoint at (epoch, batch); a non-finite model is never written as the last good one. */
async function checkpoint(run: Run, epoch: number, batch: number): Promise<void> {
  await assertFinite(run, batch ? `in epoch ${epoch + 1} after batch ${batch}` : `after epoch ${epoch}`);
  run.state.wallSeconds = wallSoFar(run);
  await writing(
    `the checkpoint in ${run.dir}`,
    saveCheckpoint(run.dir, run.model, run.engine.saveState(), {
      epoch,
      batch,
      engine: {},
      trainer: run.state as unknown as Record<string, unknown>,
      config: run.configRecord as unknown as Record<string, unknown>,
    }),
  );
  run.kept = { epoch, batch };
}

/**
 * The epochs: steps, evaluation, the epoch record and a checkpoint after each. SIGINT/SIGTERM
 * (or `io.shouldStop`) finish the current step and write a checkpoint; a second signal exits at
 * once. Returns the signal that interrupted training, or null when every epoch ran.
 */
async function epochLoop(run: Run, io: TrainIO, lock: Lock): Promise<"SIGINT" | "SIGTERM" | null> {
  const { c, dir, model, engine, trainLoader, testLoader, nb, lr, log, state } = run;
  const startEpoch = run.start.epoch;
  let startBatch = run.start.batch;
  let stop = false;
  let signal: "SIGINT" | "SIGTERM" | undefined;
  const onSignal = (sig: "SIGINT" | "SIGTERM") => () => {
    if (stop) {
      // A second signal: stop now, leaving the last checkpoint as it is.
      lock.releaseSync();
      Deno.exit(sig === "SIGINT" ? 130 : 143);
    }
    stop = true;
    signal = sig;
    io.out(`samwise: ${sig} received: finishing the current step, then writing a checkpoint`);
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  for (const [sig, h] of Object.entries(handlers)) {
    try {
      Deno.addSignalListener(sig as Deno.Signal, h);
    } catch { /* no such signal on this platform */ }
  }

  runtime().pool.resetPeaks();
  run.clock = { started: performance.now(), base: state.wallSeconds };
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
              keptNote(run),
          );
        }
        lastLoss = v;
        // --extensive_metrics_mode: the loss is read for the NaN check anyway, so logging it is free.
        if (c.extensive_metrics_mode) {
          log.add({ type: "step_loss", epoch, batch: pending.batch, iteration: pending.step, loss: v });
        }
        pending = null;
      };
      let nextBatch = startBatch;
      for await (const batch of trainLoader.epoch(epoch, startBatch)) {
        lastLr = lr.at(epoch, batch.index);
        engine.lr = lastLr;
        // --accum_steps: every pass runs over the batch's micro-batches (src/step/accumulate.ts).
        const res = await engine.step(accumulated(c.accum_steps, batch.size, (pass, mb) =>
          tidy(() => {
            const x = microSlice(batch.x, mb), y = microSlice(batch.y, mb);
            const logits = model.forward(x, { updateStats: pass.updateBnStats });
            const loss = crossEntropy(logits, y);
            backward(mb.count > 1 ? mulScalar(loss, mb.weight) : loss);
            // The seed reports the outer (perturbed) pass's loss and accuracy for SAM-family steps.
            return { loss, hits: pass.pass === "outer" ? topkCorrect(logits, y) : null };
          }), combineLossAndHits));
        const { loss, hits } = res.outer;
        accumulate(lossSum, hitSum, loss, hits!, batch.size);
        const read = loss.data();
        loss.dispose();
        hits?.dispose();
        res.inner?.loss.dispose();
        res.inner?.hits?.dispose();
        // --performance_scores_mode (timing-only): no per-step records.
        if (!c.performance_scores_mode) {
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
        }
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
        await checkpoint(run, epoch, nextBatch);
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
      if (!Number.isFinite(test.loss)) {
        throw new DivergedError(`test loss is ${test.loss} after epoch ${epoch + 1}; ${keptNote(run)}`);
      }
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
      await checkpoint(run, epoch + 1, 0);
      if (stop) {
        interrupted = epoch + 1 < c.epochs;
        if (interrupted) {
          io.out(`samwise: interrupted after epoch ${epoch + 1}; resume with: --resume --resume_path ${dir}`);
        }
      }
    }
  } finally {
    for (const [sig, h] of Object.entries(handlers)) {
      try {
        Deno.removeSignalListener(sig as Deno.Signal, h);
      } catch { /* ignore */ }
    }
    await log.flush();
  }
  return interrupted ? signal ?? "SIGINT" : null;
}

/**
 * A finished run's outputs: the Hessian columns when asked, the results row (and comp_NAME.info),
 * summary.json, the report through `io.report`, and the closing line. Returns the row.
 */
async function finish(run: Run, io: TrainIO): Promise<ResultRow> {
  const { c, dir, model, ds, engine, state } = run;
  const rt = runtime();
  // The seed's runtime is the training time: epochs with their evaluation, not the Hessian.
  const trainingSeconds = wallSoFar(run);
  let hessian: number[] | null = null;
  let hessianError: string | undefined;
  if (c.hessian) {
    const h = await spectrumColumns(() => hessianSpectrum(model, ds, c), io);
    [hessian, hessianError] = [h.top, h.error];
  }
  const stats = rt.stats();
  const ov = engine.overheads();
  const measured: RunMeasurements = {
    history: state.history,
    maxAcc: state.maxAcc,
    trainingSeconds,
    overheads: ov,
    hessian,
    memory: { allocatedBytes: stats.peakAllocatedBytes, reservedBytes: stats.peakReservedBytes },
  };
  const row = resultsRow(c, run.setup.resolved, measured);
  await writing(c.results_csv, appendResult(c.results_csv, row));
  if (c.comp_info) await writing(c.comp_info, appendText(c.comp_info, compInfoText(c, row, measured)));
  await writing(
    `${dir}/${SUMMARY_FILE}`,
    writeJson(dir, SUMMARY_FILE, {
      ...summaryRecord(row, measured, {
        adapter: rt.adapterName,
        backend: run.backend,
        history: state.history,
      }),
      ...(hessianError ? { hessian_error: hessianError } : {}),
    }),
  );
  // The plots are a convenience: a failure is reported, not fatal to a finished run.
  await io.report?.(dir).then(
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
  return row;
}

/**
 * The l1 and l5 columns from `compute` (the top-5 Hessian eigenvalues). The spectrum is an extra:
 * if it throws or is not finite, the columns are empty and the failure is printed and returned,
 * so the run's row is still written.
 */
export async function spectrumColumns(
  compute: () => Promise<number[]>,
  io: Pick<TrainIO, "out">,
): Promise<{ l1: number | ""; l5: number | ""; top: number[] | null; error?: string }> {
  try {
    const top = await compute();
    if (top.length < 5 || !top.every(Number.isFinite)) {
      throw new Error(`the eigenvalues are not finite: ${top.join(", ")}`);
    }
    io.out(`Hessian top eigenvalues: ${top.map((v) => v.toFixed(4)).join(", ")}`);
    return { l1: top[0], l5: top[4], top };
  } catch (e) {
    const error = firstLine(e);
    io.out(`samwise: Hessian spectrum failed (${error}); l1, l5 and l1/l5 are left empty`);
    return { l1: "", l5: "", top: null, error };
  }
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
