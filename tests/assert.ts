/**
 * Minimal assertions (the standard library's `@std/assert` lives on JSR, which is not reachable).
 * @module
 */

/** Throws with `msg` unless `cond` holds. */
export function assert(cond: unknown, msg = "assertion failed"): asserts cond {
  if (!cond) throw new Error(msg);
}

/** Throws unless `a` and `b` are equal (JSON-comparable values). */
export function assertEquals<T>(a: T, b: T, msg?: string): void {
  const ja = JSON.stringify(a), jb = JSON.stringify(b);
  if (ja !== jb) throw new Error(`${msg ?? "not equal"}: ${ja} !== ${jb}`);
}

/** Throws unless |a - b| <= tol. */
export function assertClose(a: number, b: number, tol: number, msg = ""): void {
  if (!(Math.abs(a - b) <= tol)) throw new Error(`${msg} ${a} vs ${b} (tol ${tol})`);
}

/** Throws unless `fn` throws an error whose message matches `re`. */
export async function assertRejects(fn: () => unknown, re: RegExp): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const m = (e as Error).message;
    if (!re.test(m)) throw new Error(`error "${m}" does not match ${re}`);
    return;
  }
  throw new Error(`expected an error matching ${re}`);
}
