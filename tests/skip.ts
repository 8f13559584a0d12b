/**
 * Skipping tests whose prerequisites a plain machine lacks. CI (`.ci/run`) installs every Debian
 * package the tests need, so there every test runs; on a machine with only Node and npm the tests
 * that need a package are ignored with a printed line naming it, rather than failing.
 * @module
 */

/** True when `path` exists; asks without throwing, so a missing `--allow-read` reads as absent. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `command` is an executable on PATH. */
export function onPath(command: string): boolean {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean);
  return dirs.some((d) => exists(`${d}/${command}`));
}

/**
 * For Deno.test's `ignore`: true (and a console line naming the package) when `present` is false.
 * `what` says what is missing, `pkg` the Debian package providing it.
 */
export function skipUnless(present: boolean, what: string, pkg: string): boolean {
  if (!present) {
    console.log(`skipping: ${what} not found (install Debian's ${pkg}: apt-get install -y ${pkg})`);
  }
  return !present;
}

/** {@link skipUnless} for a file or directory. */
export function skipWithout(path: string, pkg: string): boolean {
  return skipUnless(exists(path), path, pkg);
}
