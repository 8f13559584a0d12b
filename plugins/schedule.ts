/**
 * Built-in criterion `schedule`: SAM-family steps only in the epochs listed by `crt_s`, plain
 * base-optimizer steps (no perturbation, no inner pass) otherwise. Within those epochs every step
 * perturbs with a fresh inner gradient.
 *
 * `crt_s` is a comma-separated list of half-open epoch ranges `[start-end]` (0-based epochs
 * start <= e < end, as in the seed) or single epochs `N` / `[N]`, e.g. "[100-200]" or
 * "[0-10],[50-60],75". A single epoch N means [N, N+1): the seed turned it into the empty range
 * (N, N) and never scheduled it.
 *
 * @module
 */
import type { CriterionHooks, CriterionPlugin } from "../src/plugins/api.ts";
import { OptionError } from "../src/plugins/options.ts";
import { COST, SCHEDULE_REPORT } from "./reports.ts";

/** Parses `crt_s` into half-open [start, end) epoch ranges; throws a message on bad syntax. */
export function parseSchedule(s: string): [number, number][] {
  const out: [number, number][] = [];
  for (const raw of s.split(",").map((x) => x.trim()).filter((x) => x !== "")) {
    const m = /^\[?\s*(\d+)\s*(?:-\s*(\d+)\s*)?\]?$/.exec(raw);
    if (!m) throw new Error(`cannot parse "${raw}": expected ranges like [100-200] or single epochs like 5`);
    const start = Number(m[1]);
    const end = m[2] === undefined ? start + 1 : Number(m[2]);
    if (end <= start) throw new Error(`range "${raw}" is empty (the end is exclusive)`);
    out.push([start, end]);
  }
  return out;
}

/** Whether `epoch` lies in one of the ranges. */
export function scheduled(epoch: number, ranges: readonly [number, number][]): boolean {
  return ranges.some(([a, b]) => a <= epoch && epoch < b);
}

class ScheduleCriterion implements CriterionHooks {
  #active: boolean;

  constructor(readonly ranges: [number, number][]) {
    this.#active = scheduled(0, ranges);
  }

  onEpochStart(ctx: { epoch: number }): void {
    this.#active = scheduled(ctx.epoch, this.ranges);
  }

  samStep(): boolean {
    return this.#active;
  }

  shouldPerturb(): boolean {
    return true;
  }
}

/** The `schedule` descriptor. */
const schedule: CriterionPlugin = {
  name: "schedule",
  kind: "criterion",
  report: SCHEDULE_REPORT,
  cost: COST.schedule,
  description: "SAM-family steps only in the epochs of crt_s, the base optimizer otherwise",
  skips: false,
  options: [{
    name: "crt_s",
    type: "string",
    default: "[100-200]",
    help:
      'schedule criterion: epochs with SAM steps, e.g. "[100-200]" (the seed\'s default) or "[0-10],[50-60]"',
    check(v) {
      try {
        parseSchedule(v as string);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
  }],
  create({ options }) {
    const ranges = parseSchedule(options.string("crt_s"));
    if (!ranges.length) {
      throw new OptionError("--crt_s", '--crt_s lists no epochs; give ranges such as "[100-200]"');
    }
    return new ScheduleCriterion(ranges);
  },
};

export default schedule;
