/**
 * Crash-safe file writes: write a temporary file beside the target, then rename it over.
 *
 * A rename within one directory is atomic on POSIX file systems, so readers see either the
 * old file or the new one, never a half-written one: checkpoints and results survive a
 * Ctrl-C or a crash at any point.
 *
 * @module
 */

function tempName(path: string): string {
  return `${path}.tmp-${Deno.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Writes `data` to `path` atomically (temp file + fsync + rename). */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempName(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  try {
    const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let off = 0;
      while (off < bytes.length) off += await f.write(bytes.subarray(off));
      await f.sync();
    } finally {
      f.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Runs `fn` while holding an exclusive lock file `path + ".lock"` (created with O_EXCL), so
 * processes appending to one results file take turns. A lock older than `staleMs` is
 * assumed to belong to a dead process and is broken.
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, staleMs = 60_000): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + 5 * staleMs;
  for (;;) {
    try {
      const f = await Deno.open(lock, { write: true, createNew: true });
      await f.write(new TextEncoder().encode(`${Deno.pid}\n`));
      f.close();
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const st = await Deno.stat(lock).catch(() => null);
      if (st?.mtime && Date.now() - st.mtime.getTime() > staleMs) await Deno.remove(lock).catch(() => {});
      if (Date.now() > deadline) {
        throw new Error(`could not lock ${path}: ${lock} is held by another process`);
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
  }
  try {
    return await fn();
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}
