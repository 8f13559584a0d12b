/**
 * The choices of `--opt`, `--crt`, `--model` and `--dataset`, each with a one-line description,
 * built from the registries (the plugin registry with whatever `--plugin` loaded, the model and
 * dataset name lists), so new entries appear in `--help`, `--list` and the unknown-value errors
 * without being listed here. One source for all three.
 *
 * @module
 */
import { DATASET_NAMES, type DatasetName, trainRecipe } from "../data/mod.ts";
import { datasetInfo } from "../data/names.ts";
import { MODEL_NAMES } from "../models/mod.ts";
import {
  type BaseOptimizerPlugin,
  formatOptionHelp,
  listOptions,
  optimizerChoices,
  type Registered,
  type Registry,
  type SharpnessPlugin,
} from "../plugins/mod.ts";

/** One choice: its name, a one-line description, and the plugin file it came from (if not built-in). */
export interface Choice {
  name: string;
  description: string;
  /** The `--plugin` module that registered it; undefined for built-ins. */
  plugin?: string;
}

/** The `wideresnet{6n+4}x{k}` family, which is a pattern rather than a list of names. */
export const WIDERESNET_PATTERN = "wideresnet{6n+4}x{k}";

function fromRegistered(r: Registered): Choice {
  return {
    name: r.descriptor.name,
    description: r.descriptor.description,
    ...(r.source === "built-in" ? {} : { plugin: r.source }),
  };
}

/** The base optimizers (`--opt <base>`). */
export function baseChoices(registry: Registry): Choice[] {
  return registry.list("optimizer").filter((r) => (r.descriptor as BaseOptimizerPlugin).role === "base")
    .map(fromRegistered);
}

/** The SAM-family variants (`--opt <variant>-<base>`). */
export function variantChoices(registry: Registry): Choice[] {
  return registry.list("optimizer").filter((r) => (r.descriptor as SharpnessPlugin).role === "sharpness")
    .map(fromRegistered);
}

/** The criteria (`--crt`). */
export function criterionChoices(registry: Registry): Choice[] {
  return registry.list("criterion").map(fromRegistered);
}

/** A model's one-line description, from its name's family. */
export function describeModel(name: string): string {
  let m: RegExpMatchArray | null;
  if ((m = name.match(/^resnet(\d+)$/))) {
    return `ResNet-${m[1]}, the seed's CIFAR variant (3x3 stem, no max-pool)`;
  }
  if ((m = name.match(/^wideresnet(\d+)x(\d+)$/))) return `WideResNet, depth ${m[1]}, width factor ${m[2]}`;
  if ((m = name.match(/^vgg(\d+)_?bn$/))) return `VGG-${m[1]} with BatchNorm`;
  if ((m = name.match(/^pyramidnet(\d+)/))) return `PyramidNet-${m[1]}`;
  if ((m = name.match(/^densenet(\d+)?/))) return m[1] ? `DenseNet-${m[1]}` : "DenseNet";
  if (/^vit/.test(name)) return "Vision Transformer";
  return "model from the registry";
}

/** The models (`--model`): every registered name, then the WideResNet pattern. */
export function modelChoices(): Choice[] {
  return [
    ...MODEL_NAMES.map((name) => ({ name, description: describeModel(name) })),
    {
      name: WIDERESNET_PATTERN,
      description: "any WideResNet of depth 6n+4 (n >= 1) and width factor k >= 1, e.g. wideresnet16x1",
    },
  ];
}

const FAMILY_TEXT: Record<string, string> = {
  cifar10: "CIFAR-10 (cifar-10-batches-bin/)",
  cifar100: "CIFAR-100 (cifar-100-binary/)",
  fashion: "Fashion-MNIST (idx files)",
  fashion_subset: "the embedded Fashion-MNIST subset, 6,000 / 1,000 images",
};

/** A dataset's one-line description: its files and its training augmentation. */
export function describeDataset(name: DatasetName): string {
  const family = FAMILY_TEXT[datasetInfo(name).family] ?? name;
  const r = trainRecipe(name);
  const aug = [`crop with ${r.pad}-pixel padding`];
  if (r.flip) aug.push("flip");
  if (r.cutout) aug.push(`cutout ${r.cutout}`);
  return `${family}; ${aug.join(", ")}`;
}

/** The datasets (`--dataset`). */
export function datasetChoices(): Choice[] {
  return DATASET_NAMES.map((name) => ({ name, description: describeDataset(name) }));
}

function table(choices: readonly Choice[], indent = "  "): string[] {
  const width = Math.max(...choices.map((c) => c.name.length));
  return choices.map((c) =>
    `${indent}${c.name.padEnd(width)}  ${c.description}${c.plugin ? ` [plugin ${c.plugin}]` : ""}`
  );
}

/** The choices section of `--help`: optimizers, criteria, models, datasets. */
export function choicesHelp(registry: Registry): string {
  return [
    "",
    "Optimizers (--opt <base> or --opt <variant>-<base>):",
    " bases:",
    ...table(baseChoices(registry)),
    " variants:",
    ...table(variantChoices(registry)),
    ` every --opt value: ${optimizerChoices(registry).join(", ")}`,
    "",
    "Criteria (--crt <name>; with a SAM-family --opt):",
    ...table(criterionChoices(registry)),
    "",
    "Models (--model <name>):",
    ...table(modelChoices()),
    "",
    "Datasets (--dataset <name>):",
    ...table(datasetChoices()),
    "",
    "deno task train --list prints every optimizer and criterion with its options, defaults, ranges and cost.",
  ].join("\n");
}

/**
 * `--list`: every registered optimizer and criterion (built-in and from `--plugin`) with its
 * description, cost per step, extra memory and options (type, default, range or choices, and
 * which plugins share them).
 */
export function listText(registry: Registry): string {
  const options = listOptions(registry);
  const section = (title: string, rs: readonly Registered[]) => {
    const out = [title];
    for (const r of rs) {
      const d = r.descriptor as Registered["descriptor"] & { memory?: string };
      out.push(
        `  ${d.name}  ${d.description}  [${r.source === "built-in" ? "built-in" : `plugin ${r.source}`}]`,
      );
      out.push(`    cost per step: ${d.cost ?? "not stated by the plugin"}`);
      if (d.memory) out.push(`    extra memory: ${d.memory}`);
      const own = options.filter((o) => o.owners.includes(d.name));
      if (!own.length) out.push("    options: none");
      for (const o of own) out.push(`    ${formatOptionHelp(o)}`);
    }
    return out;
  };
  const engine = options.filter((o) => o.owners.includes("engine") && o.name !== "opt" && o.name !== "crt");
  const opts = registry.list("optimizer");
  const isBase = (r: Registered) => (r.descriptor as BaseOptimizerPlugin).role === "base";
  return [
    ...section("Base optimizers (--opt <base>):", opts.filter(isBase)),
    "",
    ...section("SAM-family variants (--opt <variant>-<base>):", opts.filter((r) => !isBase(r))),
    `  every --opt value: ${optimizerChoices(registry).join(", ")}`,
    "",
    ...section("Criteria (--crt <name>):", registry.list("criterion")),
    "",
    "Engine options:",
    ...engine.map((o) => `  ${formatOptionHelp(o)}`),
    "",
    "bwp: backward passes per step relative to SGD (the results CSV's bwp_overhead).",
  ].join("\n");
}

/** The unknown-model error, listing the same choices as `--help`. */
export function unknownModelMessage(name: string): string {
  return `unknown model "${name}" (known: ${modelChoices().map((c) => c.name).join(", ")})`;
}
