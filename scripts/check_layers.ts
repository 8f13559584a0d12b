/**
 * Fails (exit 1) when folders of `src/` and `plugins/` import each other in a cycle, and
 * prints the folder graph: one line per folder with the folders it imports.
 *
 * A folder is `src/<name>` (files directly in `src/` form `src`) or `plugins`. Every relative
 * import and re-export counts, type-only ones included: a type import is still a dependency a
 * reader has to follow. Runs in `deno task check`:
 *
 * ```sh
 * deno run --allow-read scripts/check_layers.ts [--known=src/a+src/b ...]
 * ```
 *
 * `--known=A+B+...` names a cycle that is being removed elsewhere: exactly that set of folders
 * is reported as a warning instead of failing; any other cycle, or that one grown, still fails.
 *
 * @module
 */
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = normalize(join(dirname(fileURLToPath(import.meta.url)), ".."));

/** The layer folder of a path relative to the repository root, or null outside src/ and plugins/. */
export function folderOf(path: string): string | null {
  const parts = path.split("/");
  if (parts[0] === "plugins") return "plugins";
  if (parts[0] !== "src") return null;
  return parts.length > 2 ? `src/${parts[1]}` : "src";
}

/** The relative module specifiers a TypeScript source imports or re-exports (static and dynamic). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']/gms,
    /^\s*import\s*["']([^"']+)["']/gm,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of source.matchAll(re)) if (m[1].startsWith(".")) out.push(m[1]);
  }
  return out;
}

/** Folder -> the set of other folders it imports. */
export type FolderGraph = Map<string, Set<string>>;

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(p);
    else if (e.isFile && /\.tsx?$/.test(e.name)) yield p;
  }
}

/** Reads every module under src/ and plugins/ of `repo` into its folder graph. */
export async function folderGraph(repo: string): Promise<FolderGraph> {
  const graph: FolderGraph = new Map();
  for (const top of ["src", "plugins"]) {
    for await (const file of tsFiles(join(repo, top))) {
      const from = folderOf(relative(repo, file))!;
      if (!graph.has(from)) graph.set(from, new Set());
      for (const spec of importsOf(await Deno.readTextFile(file))) {
        const to = folderOf(relative(repo, normalize(join(dirname(file), spec))));
        if (to && to !== from) graph.get(from)!.add(to);
      }
    }
  }
  return graph;
}

/** The strongly connected components of more than one folder: each is an import cycle (Tarjan). */
export function cycles(graph: FolderGraph): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>(), out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) visit(v);
  return out;
}

if (import.meta.main) {
  const known = new Set(
    Deno.args.filter((a) => a.startsWith("--known=")).map((a) => a.slice(8).split("+").sort().join(" <-> ")),
  );
  const graph = await folderGraph(root);
  for (const [from, tos] of [...graph].sort(([a], [b]) => a.localeCompare(b))) {
    console.log(`${from.padEnd(14)} -> ${[...tos].sort().join(", ") || "(nothing)"}`);
  }
  const found = cycles(graph).map((c) => c.join(" <-> "));
  for (const c of found) {
    console.error(`${known.has(c) ? "warning: known" : "error:"} import cycle between folders: ${c}`);
  }
  for (const k of known) {
    if (!found.includes(k)) console.error(`note: known cycle ${k} is gone; drop its --known`);
  }
  if (found.some((c) => !known.has(c))) Deno.exit(1);
  if (!found.length) console.log("no import cycles between folders");
}
