/**
 * The Deno version gate run before every `deno task` (see deno.json): one line and exit code 2
 * when the running Deno is older than samwise needs, instead of a confusing parse error later.
 *
 * The version is pinned in one place, `samwise.deno` in deno.json (read by `.ci/run` too); the
 * README's `npx -y deno@<version>` commands use it. Any Deno with the pinned major version and at
 * least its minor version is accepted: patch releases do not change the APIs samwise uses.
 *
 * Written in plain syntax with no imports, so that it still runs (and explains) on an old Deno that
 * could not load the rest of samwise.
 * @module
 */

/** The pinned Deno version from deno.json's `samwise.deno` field. */
export function pinnedDenoVersion(configText: string): string {
  const v = JSON.parse(configText)?.samwise?.deno;
  if (typeof v !== "string" || !/^\d+\.\d+\.\d+$/.test(v)) {
    throw new Error('deno.json: "samwise.deno" must be a version like "2.9.6"');
  }
  return v;
}

/**
 * The one-line complaint when `running` is too old for `pinned`, or null when it will do.
 * Too old: a lower major version, or the same major with a lower minor.
 */
export function denoVersionProblem(running: string, pinned: string): string | null {
  const [rMaj, rMin] = running.split(".").map(Number);
  const [pMaj, pMin] = pinned.split(".").map(Number);
  if (rMaj > pMaj || (rMaj === pMaj && rMin >= pMin)) return null;
  return `samwise: Deno ${running} is too old (needs >= ${pMaj}.${pMin}); ` +
    `run it with npx -y deno@${pinned} task ..., or upgrade: deno upgrade ${pinned}`;
}

if (import.meta.main) {
  const text = Deno.readTextFileSync(new URL("../../deno.json", import.meta.url));
  const problem = denoVersionProblem(Deno.version.deno, pinnedDenoVersion(text));
  if (problem) {
    console.error(problem);
    Deno.exit(2);
  }
}
