/**
 * `deno task train`: parse and check the command line, then train.
 *
 * Every problem the user can fix (a bad flag, a missing dataset file, a broken plugin, a run
 * directory in use, an unwritable output) ends in one line on stderr naming the flag or file,
 * and exit code 2; a diverged run exits 3; one interrupted by SIGINT (Ctrl-C) or SIGTERM exits
 * 130 or 143 after writing its checkpoint. Anything else is a samwise bug: one line and exit 1
 * (the stack trace with `SAMWISE_DEBUG=1`).
 * @module
 */
import { parseTrainArgs, UsageError } from "./args.ts";
import { DivergedError, runTraining, RunSetupError, type TrainIO } from "../train/trainer.ts";
import { NoAdapterError } from "../gpu/device.ts";
import { DatasetError } from "../data/mod.ts";
import { OptionError, PluginError } from "../plugins/mod.ts";

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
    if (!res.interrupted) return 0;
    return res.signal === "SIGTERM" ? 143 : 130;
  } catch (e) {
    if (
      e instanceof UsageError || e instanceof OptionError || e instanceof PluginError ||
      e instanceof DatasetError || e instanceof NoAdapterError || e instanceof RunSetupError
    ) {
      console.error(oneLine(e.message.startsWith("samwise") ? e.message : `samwise train: ${e.message}`));
      return 2;
    }
    if (e instanceof DivergedError) {
      console.error(oneLine(`samwise train: ${e.message}`));
      return 3;
    }
    if (Deno.env.get("SAMWISE_DEBUG")) throw e;
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    console.error(oneLine(`samwise train: internal error: ${msg} (SAMWISE_DEBUG=1 shows the stack)`));
    return 1;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
