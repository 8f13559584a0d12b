/**
 * Saving and loading a model's state dict as safetensors, with PyTorch's names
 * (`layer1.0.conv1.weight`, `bn1.running_mean`, `bn1.num_batches_tracked` as int64, …), so
 * `safetensors.torch.load_file` followed by `model.load_state_dict` works in PyTorch, and back.
 *
 * Reading the state costs one readback per parameter group plus one for all buffers (they are
 * first packed into one temporary with buffer copies), not one per tensor.
 *
 * @module
 */
import { readAll } from "../ops/flat_layout.ts";
import { runtime } from "../gpu/runtime.ts";
import type { Module, StateEntry } from "./module.ts";
import { readSafetensors, type SafeTensor, writeSafetensors } from "./safetensors.ts";

/** The state dict's values on the CPU, by name, in state-dict order (counters as f32 values). */
export async function readStateDict(model: Module): Promise<Map<string, Float32Array>> {
  const entries = model.stateDict();
  const params = await model.flat.readParams();
  const buffers = entries.filter((e) => e.kind === "buffer");
  const values = new Map<string, Float32Array>();
  const bufVals = await readAll(buffers.map((e) => e.tensor));
  let pi = 0, bi = 0;
  for (const e of entries) values.set(e.name, e.kind === "parameter" ? params[pi++] : bufVals[bi++]);
  return values;
}

function toSafe(e: StateEntry, v: Float32Array): SafeTensor {
  const shape = [...e.tensor.shape];
  if (e.dtype === "I64") {
    return {
      dtype: "I64",
      shape,
      data: BigInt64Array.from(v, (x) => BigInt(Math.round(x))),
    };
  }
  return { dtype: "F32", shape, data: v };
}

/** Saves the model's state dict to `path` (atomically); `metadata` values must be strings. */
export async function saveWeights(
  model: Module,
  path: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const entries = model.stateDict();
  const values = await readStateDict(model);
  await writeSafetensors(path, entries.map((e) => [e.name, toSafe(e, values.get(e.name)!)]), {
    format: "pt",
    ...metadata,
  });
}

/**
 * Loads a state dict saved by {@link saveWeights} or by PyTorch into the model, in place. Names,
 * shapes and dtypes must match the model's; otherwise one line names the file and the first
 * mismatching tensor, and the model is left unchanged. Returns the file's metadata.
 */
export async function loadWeights(model: Module, path: string): Promise<Record<string, string>> {
  const file = await readSafetensors(path);
  const entries = model.stateDict();
  const values = new Map<string, Float32Array>();
  for (const e of entries) {
    const t = file.tensors.get(e.name);
    if (!t) throw new Error(`${path}: missing tensor '${e.name}' (the model has ${entries.length} entries)`);
    const shape = [...e.tensor.shape];
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${path}: tensor '${e.name}' has shape [${t.shape}], the model expects [${shape}]`);
    }
    const floatOk = t.dtype === "F32" || t.dtype === "F64";
    const intOk = t.dtype === "I64" || t.dtype === "I32";
    if (e.dtype === "F32" ? !floatOk : !intOk) {
      throw new Error(`${path}: tensor '${e.name}' is ${t.dtype}, the model expects ${e.dtype}`);
    }
    values.set(
      e.name,
      t.data instanceof Float32Array ? t.data : Float32Array.from(t.data as ArrayLike<number>, Number),
    );
  }
  for (const name of file.tensors.keys()) {
    if (!values.has(name)) throw new Error(`${path}: unexpected tensor '${name}' (not in the model)`);
  }
  model.flat.writeParams(entries.filter((e) => e.kind === "parameter").map((e) => values.get(e.name)!));
  for (const e of entries) {
    if (e.kind === "buffer") runtime().write(e.tensor.storage.buffer, e.tensor.offset, values.get(e.name)!);
  }
  return file.metadata;
}
