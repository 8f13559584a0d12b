/**
 * `deno task train`: parse and check the command line, then train.
 *
 * Every problem the user can fix (a bad flag, a missing dataset file, a broken plugin) ends
 * in one line on stderr naming the flag or file, and exit code 2; a diverged run exits 3;
 * an interrupted one 130 after writing its checkpoint.
 * @module
 */
import { parseTrainArgs, UsageError } from "./args.ts";
import { DivergedError, runTraining, type TrainIO } from "../train/trainer.ts";
import { NoAdapterError } from "../gpu/device.ts";
import { DatasetError } from "../data/mod.ts";
import { defaultRegistry, OptionError, PluginError } from "../plugins/mod.ts";
import { registerBuiltins } from "../../plugins/builtins.ts";

// Composition root: the built-in plugins join the process-wide registry before any flag is read.
registerBuiltins(defaultRegistry());

/** Runs the CLI with `argv`; returns the exit code. */
export async function main(argv: string[], io: Partial<TrainIO> = {}): Promise<number> {
  try {
    const parsed = await parseTrainArgs(argv);
    if (parsed.helpText !== undefined) {
      console.log(parsed.helpText.trimEnd());
      return 0;
    }
    const c = parsed.config;
    if (c.embeddedDefault) {
      console.log(
        `samwise: no --dataset given and no CIFAR-10 under ${c.datadir}: training ${c.model} on the embedded ` +
          `Fashion-MNIST subset (6,000 train / 1,000 test images) for ${c.epochs} epochs with ${c.optim.opt}`,
      );
    } else {
      console.log(`samwise: training ${c.model} on ${c.dataset} for ${c.epochs} epochs with ${c.optim.opt}`);
    }
    const res = await runTraining(parsed, { out: (l) => console.log(l), ...io });
    return res.interrupted ? 130 : 0;
  } catch (e) {
    if (
      e instanceof UsageError || e instanceof OptionError || e instanceof PluginError ||
      e instanceof DatasetError || e instanceof NoAdapterError
    ) {
      console.error(e.message.startsWith("samwise") ? e.message : `samwise train: ${e.message}`);
      return 2;
    }
    if (e instanceof DivergedError) {
      console.error(`samwise train: ${e.message}`);
      return 3;
    }
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
