/**
 * Learning-rate schedules by the seed's names, evaluated per iteration.
 * @module
 */

/** A schedule maps (epoch, iteration within the epoch) to a learning rate. */
export interface LrSchedule {
  /** The learning rate for iteration `iter` (0-based) of epoch `epoch` (0-based). */
  at(epoch: number, iter: number): number;
}

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
 * `CosineLRscheduler`: a linear warm-up from `warmupInitLr` to `baseLr` over `warmupEpochs`,
 * then cosine annealing to `etaMin` at the end of training, stepped every iteration.
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

/** `MultiStepLRscheduler`: multiply the rate by `gamma` at each milestone epoch. */
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
