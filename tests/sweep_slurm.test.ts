// Sweeps through a real one-node SLURM cluster (tests/slurm_cluster.ts): 4 tiny runs go through
// sbatch to 4 complete CSV rows, resubmitting runs nothing, a task killed mid-run (scancel) resumes
// on resubmission, and the local backend gives the same rows.
import { main } from "../src/cli/sweep.ts";
import { readGrid, resolveRuns } from "../src/sweep/grid.ts";
import { parseTrainArgs } from "../src/cli/args.ts";
import { readResults } from "../src/train/results_csv.ts";
import { assert, assertEquals } from "./assert.ts";
import { skipUnless } from "./skip.ts";
import { skipWithoutGpu } from "./harness.ts";
import { slurmMissing, startSlurm, waitFor } from "./slurm_cluster.ts";
import { registerBuiltins } from "../plugins/builtins.ts";
import { defaultRegistry } from "../src/plugins/mod.ts";

// Like the CLI entry points, register the built-in plugins in the default registry.
registerBuiltins(defaultRegistry());

const missing = slurmMissing();
const TINY = { model: "wideresnet10x1", batch_size: 16, train_images: 32, test_images: 16 };

async function writeGrid(dir: string, name: string, g: Record<string, unknown>): Promise<string> {
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify({ output_dir: `${dir}/${name}`, ...g }));
  return path;
}

async function quiet(argv: string[]): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const code = await main(argv, (l) => lines.push(l));
  return { code, lines };
}

/** The columns that do not depend on timing or the machine's load. */
function stableCells(rows: Record<string, string>[]): string[] {
  const keep = ["optimizer", "hyperparameters", "criterion", "crt_parameter", "top-1 test acc"];
  return rows.map((r) =>
    [...keep, "overfitting indicator", "fwp_overhead", "bwp_overhead", "epochs"].map((k) => r[k]).join(",")
  )
    .sort();
}

Deno.test({
  name: "slurm: 4 runs via sbatch, resubmit runs nothing, scancel'd run resumes, local gives the same rows",
  ignore: skipUnless(missing === null, missing ?? "", "slurm-wlm munge") || skipWithoutGpu(),
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const cluster = await startSlurm();
    const dir = await Deno.makeTempDir({ prefix: "samwise-sweep-" });
    try {
      const grid4 = await writeGrid(dir, "four", {
        base: { ...TINY, epochs: 1 },
        configs: [{ opt: "sgd" }, { opt: "vassoremu-sgd", crt: "naive", crt_k: 2 }],
        axes: { seed: [1, 2] },
      });
      const csv4 = `${dir}/four/results.csv`;
      await t.step("4 runs through sbatch give 4 complete rows", async () => {
        const dry = await quiet([grid4, "--backend", "slurm", "--dry-run", "--", "--time=10"]);
        const script = dry.lines.join("\n").split("\n");
        assert(script.includes("#SBATCH --array=0-3"), script.join("\n"));
        assert(script.includes("#SBATCH --time=10"), "scheduler option passed through");
        const r = await quiet([grid4, "--backend", "slurm", "--parallel", "2"]);
        assertEquals(r.code, 0, r.lines.join("\n"));
        await waitFor(
          async () => /4 done/.test((await quiet(["status", grid4])).lines[0]),
          240_000,
          "4 done",
        );
        const rows = await readResults(csv4);
        assertEquals(rows.length, 4);
        for (const row of rows) {
          assert(Number(row["top-1 test acc"]) >= 0 && row.runtime !== "", JSON.stringify(row));
        }
      });
      await t.step("resubmitting runs nothing", async () => {
        const jobs = await Deno.readTextFile(`${dir}/four/slurm-jobs.json`);
        const r = await quiet([grid4, "--backend", "slurm"]);
        assert(/all 4 runs done; nothing to run/.test(r.lines.join("\n")), r.lines.join("\n"));
        assertEquals(await Deno.readTextFile(`${dir}/four/slurm-jobs.json`), jobs);
        assertEquals((await readResults(csv4)).length, 4);
      });
      await t.step("a task killed by scancel resumes from its checkpoint on resubmission", async () => {
        const grid1 = await writeGrid(dir, "kill", { base: { ...TINY, epochs: 3, opt: "sgd" } });
        const [run] = await resolveRuns(await readGrid(grid1), (a) => parseTrainArgs(a));
        const runDir = `${dir}/kill/${run.id}`;
        assertEquals((await quiet([grid1, "--backend", "slurm"])).code, 0);
        const [job] = JSON.parse(await Deno.readTextFile(`${dir}/kill/slurm-jobs.json`)) as string[];
        await waitFor(() => exists(`${runDir}/checkpoint.json`), 240_000, "first checkpoint");
        await new Deno.Command("scancel", { args: [job], env: cluster.env }).output();
        await waitFor(
          async () => /1 failed/.test((await quiet(["status", grid1])).lines[0]),
          60_000,
          "killed",
        );
        assert(!exists(`${runDir}/summary.json`));
        assertEquals((await quiet([grid1, "--backend", "slurm"])).code, 0);
        await waitFor(
          async () => /1 done/.test((await quiet(["status", grid1])).lines[0]),
          240_000,
          "resumed",
        );
        assert((await Deno.readTextFile(`${runDir}/train.log`)).includes("samwise: resuming"), "resumed");
        assertEquals((await readResults(`${dir}/kill/results.csv`)).length, 1);
      });
      await t.step("the local backend gives the same rows as slurm", async () => {
        const g = JSON.parse(await Deno.readTextFile(grid4));
        const local = await writeGrid(dir, "local", { base: g.base, configs: g.configs, axes: g.axes });
        const r = await quiet([local, "--workers", "2"]);
        assertEquals(r.code, 0, r.lines.join("\n"));
        assertEquals(
          stableCells(await readResults(`${dir}/local/results.csv`)),
          stableCells(await readResults(csv4)),
        );
      });
    } finally {
      await new Deno.Command("scancel", { args: ["--user=root"], env: cluster.env }).output().catch(() => {});
      await cluster.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}
