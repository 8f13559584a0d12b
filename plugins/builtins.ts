/**
 * The built-in plugins, registered in every registry: base optimizers, SAM-family optimizers
 * and criteria. They use the same descriptor API as third-party plugins.
 *
 * @module
 */
import type { PluginDescriptor } from "../src/plugins/api.ts";
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

/** Every built-in descriptor, in `--help` order. */
export const BUILTINS: readonly PluginDescriptor[] = [
  sgd,
  adamw,
  sam,
  vasso,
  vassore,
  vassoremu,
  baseline,
  naive,
  random,
  ...gsam,
  cosSim,
  schedule,
];
