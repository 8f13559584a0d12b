/**
 * Small helpers every op uses to launch a kernel.
 * @module
 */
import gridLib from "../../shaders/lib/grid.wgsl" with { type: "text" };
import poolLib from "../../shaders/lib/pool.wgsl" with { type: "text" };
import nchwLib from "../../shaders/lib/nchw.wgsl" with { type: "text" };
import channelPartialsLib from "../../shaders/lib/channel_partials.wgsl" with { type: "text" };
import planeQuadsLib from "../../shaders/lib/plane_quads.wgsl" with { type: "text" };
import interleaveLib from "../../shaders/lib/interleave.wgsl" with { type: "text" };
import lanes1Lib from "../../shaders/lib/lanes1.wgsl" with { type: "text" };
import lanes4Lib from "../../shaders/lib/lanes4.wgsl" with { type: "text" };
import { runtime } from "../gpu/runtime.ts";
import type { Constants } from "../gpu/pipelines.ts";
import type { BufferRange } from "../gpu/runtime.ts";
import { Tensor } from "../tensor/tensor.ts";

/** Workgroups for `n` invocations at `wg` per workgroup, folded into 2-D past 65535. */
export function grid(n: number, wg = 256): number[] {
  const groups = Math.ceil(n / wg);
  if (groups <= 65535) return [groups, 1];
  const x = 65535;
  return [x, Math.ceil(groups / x)];
}

/**
 * Workgroups for a grid-stride kernel (one that loops `i += invocations`) over `n` elements,
 * at about `perThread` elements per invocation: under llvmpipe, per-invocation overhead
 * dominates simple kernels, and 16 elements per invocation ran ~4x faster than 1.
 */
export function gridStride(n: number, wg = 256, perThread = 16): number[] {
  return grid(Math.max(1, Math.ceil(n / perThread)), wg);
}

/** Records one dispatch of `code` (compiled once per constants) over the given tensors. */
export function launch(
  name: string,
  code: string,
  constants: Constants,
  bindings: (Tensor | BufferRange)[],
  params: ArrayBuffer | null,
  groups: number[],
): void {
  const rt = runtime();
  const kernel = rt.kernel(name, code, constants);
  rt.dispatch(kernel, bindings.map((b) => (b instanceof Tensor ? b.range : b)), params, groups);
}

/** The shared WGSL pieces in `shaders/lib/` a shader pulls in with a `//!include NAME` line. */
const LIBRARY = {
  grid: gridLib,
  pool: poolLib,
  nchw: nchwLib,
  channel_partials: channelPartialsLib,
  plane_quads: planeQuadsLib,
  interleave: interleaveLib,
} as const;

/** The name of a shared WGSL piece of `shaders/lib/`. */
export type WgslLibrary = keyof typeof LIBRARY;

/**
 * The shader `code` with each `//!include NAME` line replaced by the piece NAME: one of
 * `shaders/lib/` ({@link WgslLibrary}) or one of `generated` (WGSL an op builds from a
 * TypeScript table, e.g. the elementwise op functions). Each piece goes in once, at its
 * first include; an unknown name throws. Call it once per shader, at module load.
 */
export function shaderSource(code: string, generated: Readonly<Record<string, string>> = {}): string {
  const done = new Set<string>();
  return code.split("\n").map((line) => {
    const directive = line.trim();
    if (!directive.startsWith("//!include ")) return line;
    const name = directive.slice("//!include ".length).trim();
    const piece = Object.hasOwn(generated, name)
      ? generated[name]
      : Object.hasOwn(LIBRARY, name)
      ? LIBRARY[name as WgslLibrary]
      : undefined;
    if (piece === undefined) {
      throw new Error(`shader include '${name}' is neither in shaders/lib/ nor generated`);
    }
    if (done.has(name)) return "";
    done.add(name);
    return piece.trimEnd();
  }).join("\n");
}

/**
 * A generated shader: `template` with each `//@NAME` marker replaced by `parts[NAME]`. Every
 * part must match exactly one marker and no marker may be left over, so an edit of the
 * template that loses a marker fails loudly instead of silently dropping a specialisation.
 */
export function fillTemplate(template: string, parts: Readonly<Record<string, string>>): string {
  let out = template;
  for (const [name, text] of Object.entries(parts)) {
    const pieces = out.split(`//@${name}`);
    if (pieces.length !== 2) {
      throw new Error(`shader template: marker //@${name} found ${pieces.length - 1} times, expected once`);
    }
    out = pieces.join(text);
  }
  const left = out.match(/\/\/@[A-Z_]+/);
  if (left) throw new Error(`shader template: marker ${left[0]} has no part`);
  return out;
}

/** Elements per load of a kernel written on the element type `V` (shaders/lib/lanes*.wgsl). */
export type Lanes = 1 | 4;

/** Whether kernels written on `V` may load vec4s (off: f32 everywhere, for A/B benchmarks). */
export const laneSettings = { vec4: true };

/** The widest loads `n` elements (a multiple of 4 for vec4s) allow. */
export const lanesFor = (n: number): Lanes => (laneSettings.vec4 && n % 4 === 0 ? 4 : 1);

/** One dispatch's part of a run of floats: its load width, its V elements, its first float. */
export interface LaneRun {
  lanes: Lanes;
  count: number;
  base: number;
}

/**
 * How a kernel written on `V` that starts at float `base` covers a run of `n` floats beginning at
 * a binding offset (256-byte aligned): the first n - n % 4 floats as vec4s, the rest as floats
 * from there. Empty parts are left out; with vec4 loads off, all floats.
 */
export function laneRuns(n: number): LaneRun[] {
  const n4 = laneSettings.vec4 ? Math.floor(n / 4) : 0;
  const runs: LaneRun[] = [{ lanes: 4, count: n4, base: 0 }, { lanes: 1, count: n - 4 * n4, base: 4 * n4 }];
  return runs.filter((r) => r.count > 0);
}

/**
 * A shader written on the element type `V` (it has a `//!include lanes` line), built for both
 * widths: `[1]` loads f32, `[4]` loads vec4 (about 2.5x faster per element under llvmpipe; see
 * shaders/lib/lanes4.wgsl). `generated(lanes)` supplies the width's generated pieces.
 */
export function laneSources(
  code: string,
  generated: (lanes: Lanes) => Readonly<Record<string, string>> = () => ({}),
): Record<Lanes, string> {
  return {
    1: shaderSource(code, { ...generated(1), lanes: lanes1Lib }),
    4: shaderSource(code, { ...generated(4), lanes: lanes4Lib }),
  };
}
