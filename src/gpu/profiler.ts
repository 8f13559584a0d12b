/**
 * Per-kernel time, as `Runtime.replayTimes` (runtime.ts) measures it: the dispatches of a step are
 * captured, then each kernel's are replayed on their own and timed by wall clock.
 *
 * Timestamp queries are not used. Under llvmpipe they reported 15 ms of kernel time for a
 * training step that took 657 ms, so a profile built on them pointed at the wrong kernels.
 * Replaying measures the same thing on every adapter, at the price of the overlap between
 * neighbouring kernels; compare shares, not sums, with an unprofiled step.
 *
 * @module
 */
/** Accumulated time of one kernel name. */
export interface KernelTime {
  /** The kernel's name. */
  name: string;
  /** Dispatches measured. */
  calls: number;
  /** Wall time of those dispatches, in milliseconds. */
  ms: number;
  /**
   * Process CPU time over those dispatches, in milliseconds, when `replayTimes` was given a CPU
   * clock. On a CPU adapter (llvmpipe) `cpuMs / ms` is how many cores the kernel kept busy.
   */
  cpuMs?: number;
}
