/**
 * Checkpoints: model state (PyTorch-loadable safetensors), optimizer state (safetensors) and
 * everything else (JSON), written so that a crash at any moment leaves the last complete
 * checkpoint usable.
 *
 * The tensor files carry the position in their names (`model-e3-b0.safetensors`); the JSON
 * manifest, written last and atomically, names them. Older tensor files are removed only
 * after the new manifest is in place.
 *
 * @module
 */
import { readAll } from "../ops/flat_layout.ts";
import { tensor } from "../ops/elementwise.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Module } from "../nn/module.ts";
import { loadWeights, saveWeights } from "../nn/weights.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "../nn/safetensors.ts";
import type { PluginState } from "../step/types.ts";
import { writeFileAtomic } from "../io/atomic.ts";

/** The manifest: where training stands and the CPU-side state of everything. */
export interface CheckpointManifest {
  version: 1;
  /** Epoch to continue with (0-based) and the batch within it. */
  epoch: number;
  batch: number;
  modelFile: string;
  optimizerFile: string;
  /** Engine JSON state (counters, criteria, RNG) as saveState returned it. */
  engine: Record<string, unknown>;
  /** Trainer state: per-epoch history, time and images so far, best accuracy. */
  trainer: Record<string, unknown>;
  /** The run's configuration, to refuse resuming with a different one. */
  config: Record<string, unknown>;
  savedAt: string;
}

const MANIFEST = "checkpoint.json";

/** Writes model and optimizer tensors, then the manifest; removes the previous tensor files. */
export async function saveCheckpoint(
  dir: string,
  model: Module,
  engineState: PluginState,
  m: Omit<CheckpointManifest, "version" | "modelFile" | "optimizerFile" | "savedAt">,
): Promise<void> {
  const tag = `e${m.epoch}-b${m.batch}`;
  const modelFile = `model-${tag}.safetensors`, optimizerFile = `optimizer-${tag}.safetensors`;
  const previous = await loadManifest(dir).catch(() => null);
  await saveWeights(model, `${dir}/${modelFile}`, { epoch: String(m.epoch), batch: String(m.batch) });
  const entries: [string, SafeTensor][] = [];
  for (const [name, list] of Object.entries(engineState.tensors)) {
    const values = await readAll(list);
    values.forEach((v, i) =>
      entries.push([`${name}.${i}`, { dtype: "F32", shape: [...list[i].shape], data: v }])
    );
  }
  await writeSafetensors(`${dir}/${optimizerFile}`, entries, { format: "samwise-optimizer" });
  const manifest: CheckpointManifest = {
    version: 1,
    ...m,
    engine: engineState.json,
    modelFile,
    optimizerFile,
    savedAt: new Date().toISOString(),
  };
  await writeFileAtomic(`${dir}/${MANIFEST}`, JSON.stringify(manifest, null, 1) + "\n");
  if (previous && previous.modelFile !== modelFile) {
    await Deno.remove(`${dir}/${previous.modelFile}`).catch(() => {});
    await Deno.remove(`${dir}/${previous.optimizerFile}`).catch(() => {});
  }
}

/** Reads a run directory's manifest; the error names the file. */
export async function loadManifest(dir: string): Promise<CheckpointManifest> {
  const path = `${dir}/${MANIFEST}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new Error(`no checkpoint to resume: ${path} does not exist`);
  }
  let m: CheckpointManifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (m.version !== 1 || typeof m.modelFile !== "string") {
    throw new Error(`${path}: not a samwise checkpoint`);
  }
  return m;
}

/**
 * Loads model weights and the optimizer tensors of a checkpoint. Returns the engine state to
 * hand to `engine.loadState` (its tensors are temporaries the caller disposes afterwards).
 */
export async function loadCheckpointTensors(
  dir: string,
  m: CheckpointManifest,
  model: Module,
  template: PluginState,
): Promise<PluginState> {
  await loadWeights(model, `${dir}/${m.modelFile}`);
  const path = `${dir}/${m.optimizerFile}`;
  const file = await readSafetensors(path);
  const tensors: Record<string, Tensor[]> = {};
  for (const [name, list] of Object.entries(template.tensors)) {
    tensors[name] = list.map((t, i) => {
      const st = file.tensors.get(`${name}.${i}`);
      if (!st) throw new Error(`${path}: missing optimizer tensor '${name}.${i}'`);
      if (st.data.length !== t.size) {
        throw new Error(
          `${path}: optimizer tensor '${name}.${i}' has ${st.data.length} values, expected ${t.size}`,
        );
      }
      return tensor(st.data as Float32Array, t.shape).keep();
    });
  }
  return { tensors, json: m.engine };
}
