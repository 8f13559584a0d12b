/**
 * A throwaway one-node SLURM cluster for the sweep tests, from Debian's `slurm-wlm` and `munge`:
 * munged with its own key, socket and pid file, then slurmctld and slurmd on this host from a
 * generated slurm.conf in a temp directory (found by clients through `SLURM_CONF`), on private
 * ports, tracking processes without cgroups. Must run as root (slurmd starts jobs as their user).
 * @module
 */
import { onPath } from "./skip.ts";

/** A running cluster; `stop()` ends its daemons and removes the directory. */
export interface SlurmCluster {
  dir: string;
  conf: string;
  /** Environment for sbatch/squeue/scancel (SLURM_CONF), merged into this process's too. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Why the cluster cannot start here (package missing, not root), or null. */
export function slurmMissing(): string | null {
  if (!onPath("slurmctld") && !onPath("/usr/sbin/slurmctld")) return "slurmctld (Debian's slurm-wlm)";
  if (!onPath("munged") && !onPath("/usr/sbin/munged")) return "munged (Debian's munge)";
  let uid: number | null = null;
  try {
    uid = Deno.uid();
  } catch { /* no --allow-sys=uid: assume not root */ }
  if (uid !== 0) return "root (slurmd starts jobs as their owner), with slurm-wlm and munge,";
  return null;
}

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

function sbin(name: string): string {
  return exists(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name;
}

async function output(cmd: string, args: string[], env?: Record<string, string>): Promise<string> {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  return new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
}

/** Starts munged, slurmctld and slurmd; resolves when the node is idle and accepts jobs. */
export async function startSlurm(): Promise<SlurmCluster> {
  const dir = await Deno.makeTempDir({ prefix: "samwise-slurm-" });
  const host = (await output("hostname", ["-s"])).trim();
  const cpus = navigator.hardwareConcurrency;
  const port = 20000 + Math.floor(Math.random() * 20000);
  await Deno.writeFile(`${dir}/munge.key`, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o400 });
  for (const d of ["ctld", "slurmd"]) await Deno.mkdir(`${dir}/${d}`);
  const conf = `${dir}/slurm.conf`;
  await Deno.writeTextFile(
    conf,
    [
      "ClusterName=samwisetest",
      `SlurmctldHost=${host}(127.0.0.1)`,
      "SlurmUser=root",
      "SlurmdUser=root",
      `SlurmctldPort=${port}`,
      `SlurmdPort=${port + 1}`,
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${dir}/munge.sock`,
      `StateSaveLocation=${dir}/ctld`,
      `SlurmdSpoolDir=${dir}/slurmd`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_CPU",
      "MpiDefault=none",
      "ReturnToService=2",
      "SlurmdParameters=config_overrides",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "JobCompType=jobcomp/none",
      "SchedulerParameters=sched_interval=1",
      "MinJobAge=600",
      "KillWait=20",
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
      "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
    ].join("\n") + "\n",
  );
  const env = { SLURM_CONF: conf };
  Deno.env.set("SLURM_CONF", conf);
  const procs: Deno.ChildProcess[] = [];
  const spawn = (cmd: string, args: string[]) =>
    procs.push(new Deno.Command(sbin(cmd), { args, env, stdout: "null", stderr: "null" }).spawn());
  spawn("munged", [
    "-F",
    "--force",
    `--key-file=${dir}/munge.key`,
    `--socket=${dir}/munge.sock`,
    `--pid-file=${dir}/munged.pid`,
    `--log-file=${dir}/munged.log`,
    `--seed-file=${dir}/munge.seed`,
  ]);
  const stop = async () => {
    for (const p of procs.reverse()) {
      try {
        p.kill("SIGTERM");
      } catch { /* gone */ }
      await p.status;
    }
    Deno.env.delete("SLURM_CONF");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await waitFor(() => exists(`${dir}/munge.sock`), 10_000, "munged socket");
    spawn("slurmctld", ["-D", "-c", "-f", conf]);
    spawn("slurmd", ["-D", "-f", conf]);
    await waitFor(
      async () => /idle/.test(await output("sinfo", ["-h", "-o", "%T"], env)),
      30_000,
      "idle node",
    );
  } catch (e) {
    const logs = await Promise.all(
      ["munged.log", "slurmctld.log", "slurmd.log"].map((f) =>
        Deno.readTextFile(`${dir}/${f}`).catch(() => "")
      ),
    );
    await stop();
    throw new Error(
      `${(e as Error).message}\n${logs.map((l) => l.split("\n").slice(-8).join("\n")).join("\n")}`,
    );
  }
  return { dir, conf, env, stop };
}

/** Polls `ok` every 200 ms until it holds or `ms` pass (then throws naming `what`). */
export async function waitFor(ok: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
