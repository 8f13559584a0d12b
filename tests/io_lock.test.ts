// Lock files (src/io/lock.ts): one owner at a time, recorded as pid@host; this host's stale locks
// recognised by a dead PID at once, another host's only by age (CSV locks) or never (run
// directories); no lock left behind when the owner cannot be written.
import {
  acquireLock,
  FOREIGN_FILE_LOCK_STALE_MS,
  LockHeldError,
  lockOwner,
  lockOwnerOf,
  parseLockOwner,
  pidAlive,
  thisHost,
  withFileLock,
} from "../src/io/lock.ts";
import { assert, assertEquals, assertRejects } from "./assert.ts";

/** The PID of a process that has exited (and so is dead). */
/** The PID of a process that has exited and whose PID is not (yet) reused, even as a thread id. */
async function deadPid(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const child = new Deno.Command(Deno.execPath(), { args: ["eval", "0"], stdout: "null", stderr: "null" })
      .spawn();
    await child.status;
    if (!pidAlive(child.pid)) return child.pid;
  }
  throw new Error("every exited child's PID was reused at once");
}

Deno.test("lock: held by a live process fails naming its PID; released, it can be taken again", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/samwise.lock`;
  const lock = await acquireLock(path);
  assertEquals(await lockOwner(path), Deno.pid);
  // Our parent is alive: its PID in the file means the lock is live.
  await Deno.writeTextFile(path, `${Deno.ppid}\n`);
  const err = await acquireLock(path).then(() => null, (e) => e);
  assert(err instanceof LockHeldError, String(err));
  assertEquals(err.pid, Deno.ppid);
  assert(err.message.includes(String(Deno.ppid)), err.message);
  await lock.release();
  const again = await acquireLock(path);
  await again.release();
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: a dead owner's lock is broken at once, not after a timeout", async () => {
  const dir = await Deno.makeTempDir();
  const pid = await deadPid();
  assert(!pidAlive(pid), `pid ${pid} should be dead`);
  await Deno.writeTextFile(`${dir}/results.csv.lock`, `${pid}\n`);
  const t0 = performance.now();
  const got = await withFileLock(`${dir}/results.csv`, () => Promise.resolve(42), 10_000);
  assertEquals(got, 42);
  assert(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
  assertEquals([...Deno.readDirSync(dir)].length, 0, "lock left behind");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: waits for a live holder, then takes its turn", async () => {
  const dir = await Deno.makeTempDir();
  const order: number[] = [];
  await Promise.all([1, 2, 3].map((i) =>
    withFileLock(`${dir}/f`, async () => {
      order.push(i);
      await new Promise((r) => setTimeout(r, 30));
      order.push(-i);
    })
  ));
  // Never two holders at once: each start is followed by its own end.
  for (let k = 0; k < order.length; k += 2) assertEquals(order[k + 1], -order[k]);
  await Deno.remove(dir, { recursive: true });
});

/** Mounts a tmpfs of `kib` KiB at a new directory (root only); null where that is impossible. */
async function smallDisk(kib: number): Promise<string | null> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return null;
  const dir = await Deno.makeTempDir();
  const r = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir],
    stderr: "null",
  })
    .output().catch(() => null);
  if (!r?.success) {
    await Deno.remove(dir);
    return null;
  }
  return dir;
}

async function unmount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir] }).output();
  await Deno.remove(dir, { recursive: true });
}

Deno.test("lock: on a full disk the lock fails and leaves no file behind", async (t) => {
  const disk = await smallDisk(4);
  if (!disk) {
    await t.step({ name: "needs root and tmpfs", ignore: true, fn: () => {} });
    return;
  }
  try {
    // Fill the disk completely, then try to take a lock on it.
    const f = await Deno.open(`${disk}/fill`, { write: true, create: true });
    const block = new Uint8Array(1024);
    try {
      for (;;) await f.write(block);
    } catch { /* full */ }
    f.close();
    const before = [...Deno.readDirSync(disk)].map((e) => e.name);
    await assertRejects(() => acquireLock(`${disk}/samwise.lock`), /space/i);
    assertEquals([...Deno.readDirSync(disk)].map((e) => e.name), before, "lock left behind");
  } finally {
    await unmount(disk);
  }
});

Deno.test("lock: the owner is recorded as pid@host; a bare PID (older samwise) counts as this host's", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/samwise.lock`;
  const lock = await acquireLock(path);
  assertEquals((await Deno.readTextFile(path)).trim(), `${Deno.pid}@${thisHost()}`);
  assertEquals(await lockOwnerOf(path), { pid: Deno.pid, host: thisHost() });
  await lock.release();
  assertEquals(parseLockOwner("123\n"), { pid: 123, host: thisHost() });
  assertEquals(parseLockOwner("123@node-b\n"), { pid: 123, host: "node-b" });
  assertEquals(parseLockOwner("\n"), null);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("lock: another host's lock is not broken by a PID that is dead here, only when old", async () => {
  const dir = await Deno.makeTempDir();
  const csv = `${dir}/results.csv`;
  const other = `${thisHost()}-other-node`;
  // A PID dead on this host: for a lock taken on another node it says nothing.
  const pid = await deadPid();
  await Deno.writeTextFile(`${csv}.lock`, `${pid}@${other}\n`);
  const err = await withFileLock(csv, () => Promise.resolve(1), 200).then(() => null, (e) => e);
  assert(err instanceof LockHeldError, `a live-looking foreign lock was broken: ${err}`);
  assertEquals([err.pid, err.host], [pid, other]);
  assert(err.message.includes(other), err.message);
  // Older than the timeout: its owner is gone (results-CSV locks are held for milliseconds).
  const old = new Date(Date.now() - FOREIGN_FILE_LOCK_STALE_MS - 60_000);
  await Deno.utime(`${csv}.lock`, old, old);
  assertEquals(await withFileLock(csv, () => Promise.resolve(2), 200), 2);
  assertEquals([...Deno.readDirSync(dir)].length, 0, "lock left behind");
  // A run directory's lock from another host is never broken by age: the error names the owner.
  const runLock = `${dir}/samwise.lock`;
  await Deno.writeTextFile(runLock, `${pid}@${other}\n`);
  await Deno.utime(runLock, old, old);
  const held = await acquireLock(runLock).then(() => null, (e) => e);
  assert(held instanceof LockHeldError, String(held));
  assertEquals([held.pid, held.host], [pid, other]);
  // The same dead PID recorded on this host is broken at once.
  await Deno.writeTextFile(runLock, `${pid}@${thisHost()}\n`);
  (await acquireLock(runLock)).releaseSync();
  assertEquals([...Deno.readDirSync(dir)].length, 0);
  await Deno.remove(dir, { recursive: true });
});
