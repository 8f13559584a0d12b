/**
 * `deno task train`: parse and check the command line, then train.
 *
 * Every problem the user can fix (a bad flag, a missing dataset file, a broken plugin, a run
 * directory in use, an unwritable output) ends in one line on stderr naming the flag or file,
 * and exit code 2; a diverged run exits 3; one interrupted by SIGINT (Ctrl-C) or SIGTERM exits
 * 130 or 143 after writing its checkpoint. Anything else is a samwise bug: one line and exit 1
 * (the stack trace with `SAMWISE_DEBUG=1`).
 *
 * URL plugins: Deno imports remote modules only from hosts granted `--allow-import`. When a
 * `--plugin` URL's host is not granted, this process loads nothing and re-runs itself once as a
 * child with the same read/write/env/net permissions plus `--allow-import=<those hosts>` only
 * (which is why `deno task train` has `--allow-run=deno,kill`; the child may run only `kill`, for the
 * lock's liveness check).
 * @module
 */
import { fileURLToPath } from "node:url";
import { parseTrainArgs, pluginArgs, type TrainSetup, UsageError } from "./args.ts";
import { DivergedError, RunSetupError, runTraining, type TrainIO } from "../train/trainer.ts";
import { AdapterIndexError, gpuContext, NoAdapterError } from "../gpu/device.ts";
import { KernelFamilyError } from "../gpu/kernel_family.ts";
import { DatasetError } from "../data/mod.ts";
import { defaultRegistry, OptionError, PluginError, PluginHookError } from "../plugins/mod.ts";
import { registerBuiltins } from "../../plugins/builtins.ts";
import { writeRunPlots } from "../plot/run_report.ts";

// Composition root: the built-in plugins join the process-wide registry before any flag is read.
registerBuiltins(defaultRegistry());

/** Hosts of `--plugin` URLs in `argv` that this process may not import from. */
export function hostsNeedingImport(argv: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const spec of pluginArgs(argv)) {
    if (!/^https?:\/\//i.test(spec)) continue;
    let host: string;
    try {
      host = new URL(spec).host;
    } catch {
      continue; // reported by the plugin loader, naming the flag
    }
    if (Deno.permissions.querySync({ name: "import", host }).state !== "granted") hosts.add(host);
  }
  return [...hosts];
}

/** Re-runs this CLI with import access to `hosts` added; returns the child's exit code. */
async function rerunWithImport(argv: readonly string[], hosts: string[]): Promise<number> {
  const allow = (["read", "write", "env", "net"] as const)
    .filter((name) => Deno.permissions.querySync({ name }).state === "granted")
    .map((name) => `--allow-${name}`);
  // `kill` only, for the lock's liveness check (src/io/lock.ts `pidAlive`); no other program.
  if (Deno.permissions.querySync({ name: "run", command: "kill" }).state === "granted") {
    allow.push("--allow-run=kill");
  }
  const child = new Deno.Command("deno", {
    args: ["run", ...allow, `--allow-import=${hosts.join(",")}`, fileURLToPath(import.meta.url), ...argv],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: { SAMWISE_IMPORT_RERUN: "1" },
  }).spawn();
  // Ctrl-C reaches the child through the terminal's process group; SIGTERM is sent to us alone.
  const forward = () => child.kill("SIGTERM");
  const ignore = () => {};
  Deno.addSignalListener("SIGTERM", forward);
  Deno.addSignalListener("SIGINT", ignore);
  try {
    return (await child.status).code;
  } finally {
    Deno.removeSignalListener("SIGTERM", forward);
    Deno.removeSignalListener("SIGINT", ignore);
  }
}

/** Runs the CLI with `argv`; returns the exit code. */
export async function main(argv: string[], io: Partial<TrainIO> = {}): Promise<number> {
  try {
    const hosts = hostsNeedingImport(argv);
    if (hosts.length && !Deno.env.get("SAMWISE_IMPORT_RERUN")) {
      if (Deno.permissions.querySync({ name: "run", command: "deno" }).state === "granted") {
        return await rerunWithImport(argv, hosts);
      }
      throw new UsageError(
        `samwise train: --plugin from ${hosts.join(", ")} needs import access: run with --allow-import=${
          hosts.join(",")
        } (deno task train grants it itself)`,
      );
    }
    const parsed = await parseTrainArgs(argv);
    if (parsed.helpText !== undefined) {
      console.log(parsed.helpText.trimEnd());
      return 0;
    }
    for (const notice of parsed.notices) console.error(notice);
    return await trainSetup(parsed, io);
  } catch (e) {
    return failureCode(e);
  }
}

/**
 * Trains a parsed configuration (`compare` derives one per configuration and calls this, not
 * `main`): prints the opening line, trains, and writes the run's report. Returns the exit code
 * as {@link main} does.
 */
export async function trainSetup(setup: TrainSetup, io: Partial<TrainIO> = {}): Promise<number> {
  try {
    const c = setup.config;
    // The adapter first: the opening line names the backend (Vulkan and GL both call Mesa "llvmpipe").
    const gpu = await gpuContext(c.adapter_index);
    const on = ` on ${gpu.backend.name} (${gpu.backend.evidence}), adapter "${gpu.description}"`;
    if (c.embeddedDefault) {
      console.log(
        `samwise: no --dataset given and no CIFAR-10 under ${c.datadir}: training ${c.model} on the embedded ` +
          `Fashion-MNIST subset (6,000 train / 1,000 test images) for ${c.epochs} epochs with ${c.optim.opt}${on}`,
      );
    } else {
      console.log(
        `samwise: training ${c.model} on ${c.dataset} for ${c.epochs} epochs with ${c.optim.opt}${on}`,
      );
    }
    const res = await runTraining(setup, { out: (l) => console.log(l), report: writeRunPlots, ...io });
    if (!res.interrupted) return 0;
    return res.signal === "SIGTERM" ? 143 : 130;
  } catch (e) {
    return failureCode(e);
  }
}

/** Prints a failure as one line and returns its exit code (see the module documentation). */
function failureCode(e: unknown): number {
  if (
    e instanceof UsageError || e instanceof OptionError || e instanceof PluginError ||
    e instanceof DatasetError || e instanceof NoAdapterError || e instanceof KernelFamilyError ||
    e instanceof RunSetupError || e instanceof AdapterIndexError || e instanceof PluginHookError
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

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ");
}

if (import.meta.main) Deno.exit(await main(Deno.args));
