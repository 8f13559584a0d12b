/**
 * Lock files owned by a process: `path` is created exclusively (O_EXCL) and holds the owner's PID.
 *
 * A lock whose owner has died is *stale* and is broken at once: liveness is decided by the PID
 * (`/proc/<pid>` on Linux), not by the lock's age, so a long run keeps its lock and a crashed one
 * does not block the next for a minute. Where liveness cannot be checked (no `/proc`), a lock
 * counts as live, and the error names its PID and file so the user can remove it.
 *
 * A lock is never left half-made: if writing the PID fails (a full disk), the file is removed
 * before the error propagates.
 *
 * API:
 * - {@link acquireLock}: take a lock now or fail with {@link LockHeldError} naming the owner.
 * - {@link withFileLock}: wait (polling) for a short-lived lock, run a function, release.
 * - {@link lockOwner} / {@link pidAlive}: inspect a lock.
 *
 * @module
 */

/** The lock is held by a live process. */
export class LockHeldError extends Error {
  constructor(readonly path: string, readonly pid: number) {
    super(`${path} is held by running process ${pid}`);
    this.name = "LockHeldError";
  }
}

/** A held lock; `release()` removes the file (idempotent). */
export interface Lock {
  readonly path: string;
  release(): Promise<void>;
  /** Synchronous release, for exit paths that cannot await. */
  releaseSync(): void;
}

/** True unless `pid` is known to be dead (Linux: no `/proc/<pid>`). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === Deno.pid) return true;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true; // no procfs: cannot tell, assume alive
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/** The PID written in the lock file at `path`, or null if there is none (or it is unreadable). */
export async function lockOwner(path: string): Promise<number | null> {
  try {
    const n = parseInt((await Deno.readTextFile(path)).trim(), 10);
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
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
    const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
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

/**
 * Takes the lock at `path` now. A stale lock (dead owner, or an empty file left by a crash between
 * create and write, older than a second) is removed and taken over; a live one throws
 * {@link LockHeldError}. Other file-system errors (read-only, full, missing directory) propagate.
 */
export async function acquireLock(path: string): Promise<Lock> {
  for (let attempt = 0; attempt < 20; attempt++) {
    if (await create(path)) return held(path);
    const pid = await lockOwner(path);
    if (pid !== null && pidAlive(pid)) throw new LockHeldError(path, pid);
    const st = await Deno.stat(path).catch(() => null);
    if (!st) continue; // released meanwhile: try again
    if (pid === null && st.mtime && Date.now() - st.mtime.getTime() < 1000) {
      // Just created, its owner is about to write its PID: give it a moment.
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    // Stale. Remove it only if it is still the same dead owner's file (not a fresh lock that
    // replaced it since we read it).
    if ((await lockOwner(path)) === pid) await Deno.remove(path).catch(() => {});
  }
  const pid = await lockOwner(path);
  throw new LockHeldError(path, pid ?? -1);
}

/**
 * Runs `fn` holding the lock `path + ".lock"`, waiting up to `timeoutMs` while a live process
 * holds it (processes appending to one results file take turns). Stale locks are broken at once.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const lockPath = `${path}.lock`;
  const deadline = Date.now() + timeoutMs;
  let lock: Lock;
  for (;;) {
    try {
      lock = await acquireLock(lockPath);
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
