/**
 * Lock files owned by a process: `path` is created exclusively (O_EXCL) and holds its owner as
 * `pid@host` (a lock written by older samwise holds the PID alone and counts as this host's).
 *
 * When is a lock stale (its owner gone) and broken?
 * - Taken on this host: when its PID is dead (`/proc/<pid>` on Linux), at once, whatever its age,
 *   so a long run keeps its lock and a crashed one does not block the next. Where liveness cannot
 *   be checked (no `/proc`), the lock counts as live.
 * - Taken on another host (a results CSV on a shared filesystem appended from several nodes): its
 *   PID means nothing here, so it is broken only when the file is older than `foreignStaleMs`
 *   ({@link acquireLock}'s option). {@link withFileLock}, used for results-CSV appends that hold
 *   the lock for milliseconds, uses {@link FOREIGN_FILE_LOCK_STALE_MS}; a run directory's lock
 *   (one per run, held for the whole run) is never broken from another host: the error names the
 *   owner's host and PID. Ages compare the file's mtime with this host's clock, so node clocks
 *   are assumed to agree to well within that timeout (NTP).
 *
 * A lock is never left half-made: if writing the owner fails (a full disk), the file is removed
 * before the error propagates.
 *
 * ```ts
 * import { acquireLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireLock(`${dir}/samwise.lock`);
 * await lock.release();
 * ```
 *
 * @module
 */

/** How old another host's {@link withFileLock} lock must be before it is broken (2 minutes). */
export const FOREIGN_FILE_LOCK_STALE_MS = 120_000;

/** The lock is held by a live process (or, for another host's lock, one that may be live). */
export class LockHeldError extends Error {
  /**
   * @param path the lock file
   * @param pid the owner's PID (-1 when the file names none)
   * @param host the owner's host
   */
  constructor(readonly path: string, readonly pid: number, readonly host: string = thisHost()) {
    super(`${path} is held by process ${pid} on ${host}`);
    this.name = "LockHeldError";
  }
}

/** A held lock; `release()` removes the file (idempotent). */
export interface Lock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file. */
  release(): Promise<void>;
  /** Synchronous release, for exit paths that cannot await. */
  releaseSync(): void;
}

/** What a lock file says of its owner. */
export interface LockOwner {
  pid: number;
  host: string;
}

let hostName: string | null = null;

/**
 * This machine's name as locks and sweep markers record it: `Deno.hostname()` (with
 * `--allow-sys=hostname`), else the kernel's `/proc/sys/kernel/hostname` (read permission),
 * else `$HOSTNAME`, else "localhost".
 */
export function thisHost(): string {
  if (hostName !== null) return hostName;
  try {
    hostName = Deno.hostname();
  } catch {
    try {
      hostName = Deno.readTextFileSync("/proc/sys/kernel/hostname").trim();
    } catch {
      hostName = "";
    }
  }
  hostName ||= Deno.env.get("HOSTNAME") || "localhost";
  return hostName;
}

/** True unless `pid` is known to be dead on this host (Linux: no `/proc/<pid>`). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    // `/proc/<n>` also resolves for a *thread* id n, so a freed PID reused as a thread id reads as
    // alive: the safe direction (the lock is kept and its PID named), never a broken live lock.
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotCapable)) {
      try {
        Deno.statSync("/proc/self");
        return false; // procfs is there and has no such process
      } catch {
        return true; // no procfs: cannot tell, assume alive
      }
    }
  }
  // Deno lets only --allow-all look under /proc; without it, ask the kernel through `kill -0`
  // (run permission for `kill`, which `deno task train` grants). Where that is refused too, a lock
  // counts as live and its PID is named, so the user can remove it.
  try {
    return new Deno.Command("kill", { args: ["-0", String(pid)], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return true;
  }
}

/** Parses a lock file's text: `pid@host`, or a bare PID (this host). Null when it names no PID. */
export function parseLockOwner(text: string): LockOwner | null {
  const t = text.trim();
  const at = t.indexOf("@");
  const pidText = at < 0 ? t : t.slice(0, at);
  if (!/^\d+$/.test(pidText)) return null;
  return { pid: Number(pidText), host: at < 0 ? thisHost() : t.slice(at + 1) || thisHost() };
}

/** The owner written in the lock file at `path`, or null if there is none (or it is unreadable). */
export async function lockOwnerOf(path: string): Promise<LockOwner | null> {
  try {
    return parseLockOwner(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

/** The PID written in the lock file at `path`, or null if there is none (or it is unreadable). */
export async function lockOwner(path: string): Promise<number | null> {
  return (await lockOwnerOf(path))?.pid ?? null;
}

async function create(path: string): Promise<boolean> {
  let f: Deno.FsFile;
  try {
    f = await Deno.open(path, { write: true, createNew: true });
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) return false;
    throw e;
  }
  try {
    const bytes = new TextEncoder().encode(`${Deno.pid}@${thisHost()}\n`);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
  } catch (e) {
    f.close();
    await Deno.remove(path).catch(() => {});
    throw e;
  }
  f.close();
  return true;
}

function held(path: string): Lock {
  let done = false;
  return {
    path,
    async release() {
      if (done) return;
      done = true;
      await Deno.remove(path).catch(() => {});
    },
    releaseSync() {
      if (done) return;
      done = true;
      try {
        Deno.removeSync(path);
      } catch { /* already gone */ }
    },
  };
}

/** Options of {@link acquireLock}. */
export interface AcquireOptions {
  /**
   * Break another host's lock once its file is older than this (ms). Default Infinity: never
   * (a run directory's lock, held for the whole run).
   */
  foreignStaleMs?: number;
}

/**
 * Takes the lock at `path` now. A stale lock (see the module documentation; also an empty file
 * left by a crash between create and write, older than a second) is removed and taken over; a
 * live one throws {@link LockHeldError} naming its owner. Other file-system errors (read-only,
 * full, missing directory) propagate.
 */
export async function acquireLock(path: string, opts: AcquireOptions = {}): Promise<Lock> {
  const foreignStaleMs = opts.foreignStaleMs ?? Infinity;
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await create(path)) return held(path);
    const text = await Deno.readTextFile(path).catch(() => null);
    const st = await Deno.stat(path).catch(() => null);
    if (text === null || !st) continue; // released meanwhile: try again
    const owner = parseLockOwner(text);
    const age = st.mtime ? Date.now() - st.mtime.getTime() : Infinity;
    if (owner === null) {
      if (age < 1000) {
        // Just created, its owner is about to write itself: give it a moment.
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
    } else if (owner.host === thisHost()) {
      if (pidAlive(owner.pid)) throw new LockHeldError(path, owner.pid, owner.host);
    } else if (!(age > foreignStaleMs)) {
      throw new LockHeldError(path, owner.pid, owner.host);
    }
    // Stale. Remove it only if it is still the same file (not a fresh lock that replaced it
    // since we read it).
    if ((await Deno.readTextFile(path).catch(() => null)) === text) await Deno.remove(path).catch(() => {});
  }
  const owner = await lockOwnerOf(path);
  throw new LockHeldError(path, owner?.pid ?? -1, owner?.host);
}

/**
 * Runs `fn` holding the lock `path + ".lock"`, waiting up to `timeoutMs` while a live process
 * holds it (processes appending to one results file take turns). A dead owner's lock on this
 * host is broken at once; another host's once older than `foreignStaleMs`.
 */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  timeoutMs = 300_000,
  foreignStaleMs = FOREIGN_FILE_LOCK_STALE_MS,
): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  let lock: Lock;
  for (;;) {
    try {
      lock = await acquireLock(lockPath, { foreignStaleMs });
      break;
    } catch (e) {
      if (!(e instanceof LockHeldError) || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}
