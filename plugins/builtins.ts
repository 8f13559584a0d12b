/**
 * The built-in plugins: base optimizers, SAM-family optimizers and criteria. They use the same
 * descriptor API as third-party plugins, and the registry does not know them: the composition
 * root (the CLI entry points, `mod.ts`, tests and benches that build engines by name) calls
 * {@link registerBuiltins}.
 *
 * ```ts
 * import { defaultRegistry } from "../src/plugins/mod.ts";
 * import { registerBuiltins } from "./builtins.ts";
 * registerBuiltins(defaultRegistry());
 * ```
 *
 * @module
 */
import type { PluginDescriptor } from "../src/plugins/api.ts";
import type { Registry } from "../src/plugins/registry.ts";
import sgd from "./sgd.ts";
import adamw from "./adamw.ts";
import sam from "./sam.ts";
import vasso from "./vasso.ts";
import vassore from "./vassore.ts";
import vassoremu from "./vassoremu.ts";
import baseline from "./baseline.ts";
import naive from "./naive.ts";
import random from "./random.ts";
import gsam from "./gsam.ts";
import cosSim from "./cos_sim.ts";
import schedule from "./schedule.ts";
import asam from "./asam.ts";
import looksam from "./looksam.ts";
import gsamOpt from "./gsam_opt.ts";
import msam from "./msam.ts";
import rst from "./rst.ts";
import aeSam from "./ae_sam.ts";

/** Every built-in descriptor, in `--help` order. */
export const BUILTINS: readonly PluginDescriptor[] = [
  sgd,
  adamw,
  sam,
  vasso,
  vassore,
  vassoremu,
  asam,
  looksam,
  gsamOpt,
  msam,
  baseline,
  naive,
  random,
  ...gsam,
  cosSim,
  schedule,
  rst,
  aeSam,
];

/**
 * Registers every built-in descriptor (source "built-in") that `registry` does not hold yet, so
 * calling it twice is harmless; returns the registry. Throws a `PluginError` if another plugin
 * already took a built-in's name.
 */
export function registerBuiltins<R extends Registry>(registry: R): R {
  const missing = BUILTINS.filter((d) => !registry.has(d));
  if (missing.length) registry.registerAll(missing, "built-in");
  return registry;
}
