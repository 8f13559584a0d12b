/**
 * Learning-rate schedules by the seed's names.
 *
 * Two ways of applying them (`--lr_step`):
 * - `epoch` (default, the seed's): the seed's schedulers compute a rate per epoch, and its training
 *   loop calls `lr_scheduler.step(epoch)` once *after* each epoch. So epoch 0 trains at the base
 *   rate and epoch e >= 1 at the schedule's value for e - 1: warm-up and cosine move once per
 *   epoch, one epoch late, and MultiStep multiplies by gamma from the second epoch after a
 *   milestone (its test is `epoch > milestone`).
 * - `iteration`: the same curves evaluated per iteration with no lag (samwise's earlier default),
 *   linear warm-up over `warmup_epoch` epochs' iterations, cosine from there to the end of
 *   training; MultiStep multiplies at each milestone epoch (`epoch >= milestone`).
 *
 * @module
 */

/** A schedule maps (epoch, iteration within the epoch) to a learning rate. */
export interface LrSchedule {
  /** The learning rate for iteration `iter` (0-based) of epoch `epoch` (0-based). */
  at(epoch: number, iter: number): number;
}

/** How the schedule advances: once per epoch as the seed does, or every iteration. */
export type LrStep = "epoch" | "iteration";

/** Options of the cosine schedule with linear warm-up. */
export interface CosineOptions {
  baseLr: number;
  epochs: number;
  itersPerEpoch: number;
  warmupEpochs?: number;
  warmupInitLr?: number;
  etaMin?: number;
}

/**
 * `CosineLRscheduler` stepped every iteration: a linear warm-up from `warmupInitLr` to `baseLr`
 * over `warmupEpochs`, then cosine annealing to `etaMin` at the end of training.
 */
export function cosineSchedule(o: CosineOptions): LrSchedule {
  const total = o.epochs * o.itersPerEpoch;
  const warm = (o.warmupEpochs ?? 0) * o.itersPerEpoch;
  const init = o.warmupInitLr ?? 0, etaMin = o.etaMin ?? 0;
  return {
    at(epoch, iter) {
      const t = epoch * o.itersPerEpoch + iter;
      if (t < warm) return init + ((o.baseLr - init) * t) / warm;
      const span = Math.max(1, total - warm);
      return etaMin + ((o.baseLr - etaMin) * (1 + Math.cos((Math.PI * (t - warm)) / span))) / 2;
    },
  };
}

/** `MultiStepLRscheduler` stepped every iteration: multiply by `gamma` at each milestone epoch. */
export function multiStepSchedule(baseLr: number, milestones: number[], gamma: number): LrSchedule {
  const sorted = [...milestones].sort((a, b) => a - b);
  return {
    at(epoch) {
      let k = 0;
      while (k < sorted.length && epoch >= sorted[k]) k++;
      return baseLr * gamma ** k;
    },
  };
}

/** Options of the seed's per-epoch schedulers (its flags of the same names). */
export interface SeedScheduleOptions {
  scheduler: "CosineLRscheduler" | "MultiStepLRscheduler";
  baseLr: number;
  epochs: number;
  warmupEpoch: number;
  warmupInitLr: number;
  etaMin: number;
  milestone: number[];
  gamma: number;
}

/**
 * The seed scheduler's `get_lr(epoch)`: linear warm-up for `epoch < warmupEpoch` (both
 * schedulers), then cosine from `baseLr` to `etaMin` over the remaining `epochs - warmupEpoch`
 * epochs, or `baseLr` times `gamma` per milestone strictly below `epoch`.
 */
export function seedLrAfterEpoch(o: SeedScheduleOptions, epoch: number): number {
  if (epoch < o.warmupEpoch) {
    return o.warmupInitLr + (epoch * (o.baseLr - o.warmupInitLr)) / o.warmupEpoch;
  }
  if (o.scheduler === "CosineLRscheduler") {
    const frac = (epoch - o.warmupEpoch) / (o.epochs - o.warmupEpoch);
    return o.etaMin + ((o.baseLr - o.etaMin) * (1 + Math.cos(Math.PI * frac))) / 2;
  }
  let ratio = 1;
  for (const m of o.milestone) if (epoch > m) ratio *= o.gamma;
  return o.baseLr * ratio;
}

/** The seed's schedule as its loop applies it: base rate in epoch 0, `get_lr(e - 1)` in epoch e. */
export function seedEpochSchedule(o: SeedScheduleOptions): LrSchedule {
  return { at: (epoch) => (epoch === 0 ? o.baseLr : seedLrAfterEpoch(o, epoch - 1)) };
}

/** The schedule for `o`, stepped per epoch as the seed or per iteration. */
export function buildSchedule(o: SeedScheduleOptions, step: LrStep, itersPerEpoch: number): LrSchedule {
  if (step === "epoch") return seedEpochSchedule(o);
  return o.scheduler === "MultiStepLRscheduler"
    ? multiStepSchedule(o.baseLr, o.milestone, o.gamma)
    : cosineSchedule({
      baseLr: o.baseLr,
      epochs: o.epochs,
      itersPerEpoch,
      warmupEpochs: o.warmupEpoch,
      warmupInitLr: o.warmupInitLr,
      etaMin: o.etaMin,
    });
}
