/**
 * The plugin registry: registered descriptors by kind and name, and the merged table of the
 * options they declare (an option shared by several plugins is listed once, with its owners). It
 * knows no plugin by name: the composition root (the CLI entry points, `mod.ts`) registers the
 * built-ins with `registerBuiltins` from `plugins/builtins.ts`, and `--plugin` modules with
 * `loadPlugin`.
 *
 * `loadPlugin(specifier)` imports a third-party module (a path or a URL) and registers what it
 * exports after validating it; any problem is a {@link PluginError} naming the module.
 *
 * @module
 */
import type { CriterionPlugin, PluginDescriptor, SharpnessPlugin } from "./api.ts";
import type { BaseOptimizerPlugin } from "./api.ts";
import type { OptionSpec } from "./options.ts";
import { descriptorProblems } from "./validate.ts";

/** A plugin that cannot be loaded or registered; the message names the module (`source`). */
export class PluginError extends Error {
  /** `source` is the module specifier (or "built-in"); `message` one line naming it. */
  constructor(readonly source: string, message: string) {
    super(message);
    this.name = "PluginError";
  }
}

/** A registered descriptor and where it came from ("built-in" or the module specifier). */
export interface Registered<D extends PluginDescriptor = PluginDescriptor> {
  /** The descriptor as registered. */
  descriptor: D;
  /** "built-in" or the `--plugin` specifier it came from. */
  source: string;
}

/** An option in the merged table: its spec and the plugins that declare it. */
export interface RegisteredOption {
  /** The option's spec (the same from every owner). */
  spec: OptionSpec;
  /** The plugins that declare it. */
  owners: string[];
}

/** `--bn_update`: an engine option, registered in every registry. */
export const BN_UPDATE: OptionSpec = {
  name: "bn_update",
  type: "string",
  default: "once",
  choices: ["once", "both"],
  help:
    "BatchNorm running statistics: update on the first forward pass of a step (once) or on every pass (both)",
};

function specKey(s: OptionSpec): string {
  return JSON.stringify([s.type, s.default, s.range ?? null, s.choices ?? null, s.length ?? null]);
}

/** See the module documentation. */
export class Registry {
  #plugins = new Map<string, Registered>();
  #options = new Map<string, RegisteredOption>();

  /** An empty registry: the engine's own options (`--bn_update`), no plugins. */
  constructor() {
    this.#options.set(BN_UPDATE.name, { spec: BN_UPDATE, owners: ["engine"] });
  }

  /** Validates and registers one descriptor; see {@link registerAll}. */
  register(d: PluginDescriptor, source = "built-in"): void {
    this.registerAll([d], source);
  }

  /**
   * Validates every descriptor first, then registers them all (nothing is registered if any is
   * invalid). Throws {@link PluginError} for a malformed descriptor, a name already taken, or
   * an option that another plugin declares with a different type, default, range or choices.
   */
  registerAll(list: readonly unknown[], source: string): void {
    const fail = (what: string, msg: string) => {
      throw new PluginError(source, `plugin ${source}: ${what}${msg}`);
    };
    const newOptions = new Map<string, OptionSpec>();
    const names = new Set<string>();
    list.forEach((d, i) => {
      const label = typeof (d as PluginDescriptor)?.name === "string"
        ? `'${(d as PluginDescriptor).name}': `
        : "";
      const problems = descriptorProblems(d);
      if (problems.length) fail(list.length > 1 ? `descriptor ${i} ${label}` : label, problems.join("; "));
      const desc = d as PluginDescriptor;
      const key = `${desc.kind}:${desc.name}`;
      const prev = this.#plugins.get(key);
      if (prev || names.has(key)) {
        fail(label, `${desc.kind} '${desc.name}' is already registered by ${prev?.source ?? source}`);
      }
      names.add(key);
      for (const o of desc.options ?? []) {
        const other = this.#options.get(o.name)?.spec ?? newOptions.get(o.name);
        if (other && specKey(other) !== specKey(o)) {
          fail(
            label,
            `option --${o.name} conflicts with an existing --${o.name} (${specKey(other)} vs ${specKey(o)})`,
          );
        }
        newOptions.set(o.name, o);
      }
    });
    for (const d of list as PluginDescriptor[]) {
      this.#plugins.set(`${d.kind}:${d.name}`, { descriptor: d, source });
      for (const o of d.options ?? []) {
        const entry = this.#options.get(o.name);
        if (entry) entry.owners.push(d.name);
        else this.#options.set(o.name, { spec: o, owners: [d.name] });
      }
    }
  }

  /** Whether this very descriptor object is registered (not just one of the same name). */
  has(d: PluginDescriptor): boolean {
    return this.#plugins.get(`${d.kind}:${d.name}`)?.descriptor === d;
  }

  /** Every registered plugin, optionally of one kind, in registration order. */
  list(kind?: PluginDescriptor["kind"]): Registered[] {
    return [...this.#plugins.values()].filter((r) => !kind || r.descriptor.kind === kind);
  }

  /** The base optimizer called `name`, if any. */
  baseOptimizer(name: string): Registered<BaseOptimizerPlugin> | undefined {
    const r = this.#plugins.get(`optimizer:${name}`);
    return r && (r.descriptor as BaseOptimizerPlugin).role === "base"
      ? r as Registered<BaseOptimizerPlugin>
      : undefined;
  }

  /** The sharpness optimizer called `name`, if any. */
  sharpness(name: string): Registered<SharpnessPlugin> | undefined {
    const r = this.#plugins.get(`optimizer:${name}`);
    return r && (r.descriptor as SharpnessPlugin).role === "sharpness"
      ? r as Registered<SharpnessPlugin>
      : undefined;
  }

  /** The criterion called `name`, if any. */
  criterion(name: string): Registered<CriterionPlugin> | undefined {
    return this.#plugins.get(`criterion:${name}`) as Registered<CriterionPlugin> | undefined;
  }

  /** The merged option table, in registration order. */
  options(): RegisteredOption[] {
    return [...this.#options.values()].map((o) => ({ spec: o.spec, owners: [...o.owners] }));
  }
}

let shared: Registry | null = null;

/**
 * The process-wide registry: what the composition root registered (the built-ins, via
 * `registerBuiltins`) plus whatever `loadPlugin` added. Empty until then.
 */
export function defaultRegistry(): Registry {
  return shared ??= new Registry();
}

/** A module specifier for `import()`: URLs as they are, paths resolved against the working directory. */
export function pluginUrl(specifier: string): string {
  if (/^[a-z][a-z0-9+.-]+:/i.test(specifier)) return specifier;
  const base = `file://${Deno.cwd().replace(/\/?$/, "/")}`;
  return new URL(specifier.split("/").map(encodeURIComponent).join("/"), base).href;
}

/**
 * Imports a third-party plugin module (a path or a URL) and registers its descriptors: the
 * default export, or the `plugins` / `plugin` export; each a descriptor or an array of them.
 * Returns them. Throws {@link PluginError} naming the module when it cannot be imported, exports
 * no descriptor, or a descriptor is invalid or clashes with a registered one.
 */
export async function loadPlugin(
  specifier: string,
  registry: Registry = defaultRegistry(),
): Promise<PluginDescriptor[]> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(pluginUrl(specifier));
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split("\n")[0];
    throw new PluginError(specifier, `plugin ${specifier}: cannot import it: ${msg}`);
  }
  const found = mod.default ?? mod.plugins ?? mod.plugin;
  if (found === undefined) {
    throw new PluginError(
      specifier,
      `plugin ${specifier}: exports no descriptor (expected \`export default { name, kind, description, create }\` or an array of them)`,
    );
  }
  const list = Array.isArray(found) ? found : [found];
  if (!list.length) {
    throw new PluginError(specifier, `plugin ${specifier}: exports an empty list of descriptors`);
  }
  registry.registerAll(list, specifier);
  return list as PluginDescriptor[];
}
