/**
 * Checks that a value a module exported is a well-formed plugin descriptor, so a broken
 * third-party plugin fails at load time with a message saying what is wrong, not mid-training.
 *
 * @module
 */
import { Tensor } from "../tensor/tensor.ts";
import { coerceOption, OptionError, type OptionSpec } from "./options.ts";

const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const OPTION_NAME = /^[a-z][a-z0-9_]*$/;
const TYPES = ["number", "integer", "boolean", "string", "numbers"];

function optionProblems(o: unknown, i: number): string[] {
  if (!o || typeof o !== "object") return [`options[${i}] is not an object`];
  const s = o as Record<string, unknown>;
  const at = typeof s.name === "string" ? `option --${s.name}` : `options[${i}]`;
  const out: string[] = [];
  if (typeof s.name !== "string" || !OPTION_NAME.test(s.name)) {
    out.push(`${at}: name must be snake_case (letters, digits, _), got ${JSON.stringify(s.name)}`);
  }
  if (!TYPES.includes(s.type as string)) out.push(`${at}: type must be one of ${TYPES.join(", ")}`);
  if (typeof s.help !== "string" || !s.help) out.push(`${at}: help must be a non-empty string`);
  if (s.range !== undefined) {
    const r = s.range as Record<string, unknown>;
    if (
      !r || typeof r !== "object" ||
      ["min", "max"].some((k) => r[k] !== undefined && typeof r[k] !== "number")
    ) {
      out.push(`${at}: range must be {min?: number, max?: number, minExclusive?, maxExclusive?}`);
    }
  }
  if (
    s.choices !== undefined && (!Array.isArray(s.choices) || s.choices.some((c) => typeof c !== "string"))
  ) {
    out.push(`${at}: choices must be an array of strings`);
  }
  if (s.check !== undefined && typeof s.check !== "function") out.push(`${at}: check must be a function`);
  if (!out.length) {
    try {
      coerceOption(s as unknown as OptionSpec, s.default);
    } catch (e) {
      out.push(`${at}: invalid default: ${e instanceof OptionError ? e.message : String(e)}`);
    }
  }
  return out;
}

/** Every problem of `d` as a descriptor (empty when it is valid). */
export function descriptorProblems(d: unknown): string[] {
  if (!d || typeof d !== "object") {
    return [`a descriptor must be an object, got ${d === null ? "null" : typeof d}`];
  }
  const s = d as Record<string, unknown>;
  const out: string[] = [];
  if (typeof s.name !== "string" || !NAME.test(s.name)) {
    out.push(
      `name must start with a letter and contain only letters, digits and _, got ${JSON.stringify(s.name)}`,
    );
  }
  if (s.kind !== "optimizer" && s.kind !== "criterion") {
    out.push(`kind must be "optimizer" or "criterion", got ${JSON.stringify(s.kind)}`);
  }
  if (s.kind === "optimizer") {
    if (s.role !== "base" && s.role !== "sharpness") {
      out.push(`an optimizer's role must be "base" or "sharpness", got ${JSON.stringify(s.role)}`);
    }
    if (s.role === "sharpness" && typeof s.reuse !== "boolean") {
      out.push("a sharpness optimizer needs reuse: boolean");
    }
  }
  if (s.kind === "criterion" && s.skips !== undefined && typeof s.skips !== "boolean") {
    out.push("skips must be a boolean");
  }
  if (typeof s.description !== "string" || !s.description) out.push("description must be a non-empty string");
  if (typeof s.create !== "function") out.push("create must be a function returning the plugin's hooks");
  if (s.memory !== undefined && typeof s.memory !== "string") out.push("memory must be a string");
  if (s.cost !== undefined && typeof s.cost !== "string") out.push("cost must be a string");
  if (s.report !== undefined) {
    const r = s.report as Record<string, unknown> | null;
    if (!r || typeof r !== "object") out.push("report must be an object { hyperparameters?, crtParameter? }");
    else {
      for (const k of ["hyperparameters", "crtParameter"]) {
        if (r[k] !== undefined && typeof r[k] !== "function") out.push(`report.${k} must be a function`);
      }
    }
  }
  if (s.options !== undefined) {
    if (!Array.isArray(s.options)) out.push("options must be an array of option specs");
    else s.options.forEach((o, i) => out.push(...optionProblems(o, i)));
  }
  return out;
}

/** Problems of the object a sharpness optimizer's `create` returned. */
export function sharpnessHookProblems(h: unknown): string[] {
  if (!h || typeof h !== "object") return ["create() must return an object of hooks"];
  const out = hookProblems(h);
  if (typeof (h as Record<string, unknown>).perturbation !== "function") {
    out.push("a sharpness optimizer's hooks need perturbation(ctx)");
  }
  return out;
}

const HOOKS = [
  "onEpochStart",
  "samStep",
  "shouldPerturb",
  "beforeAscent",
  "beforeBaseStep",
  "afterStep",
  "dispose",
];

/** Problems of a hooks object: known hook names that are not functions, a malformed `state`. */
export function hookProblems(h: unknown): string[] {
  if (!h || typeof h !== "object") return ["create() must return an object of hooks"];
  const r = h as Record<string, unknown>;
  const out = HOOKS.filter((k) => r[k] !== undefined && typeof r[k] !== "function").map((k) =>
    `hook ${k} must be a function`
  );
  if (r.saveState !== undefined || r.loadState !== undefined) {
    out.push(
      "saveState/loadState are not plugin hooks: declare `state: { tensors, scalars }` and the engine checkpoints it",
    );
  }
  if (r.state !== undefined) out.push(...stateProblems(r.state));
  return out;
}

function stateProblems(st: unknown): string[] {
  if (!st || typeof st !== "object") return ["state must be an object { tensors?, scalars? }"];
  const { tensors, scalars } = st as Record<string, unknown>;
  const out: string[] = [];
  if (tensors !== undefined) {
    const ok = !!tensors && typeof tensors === "object" &&
      Object.values(tensors).every((l) => Array.isArray(l) && l.every((t) => t instanceof Tensor));
    if (!ok) out.push("state.tensors must map names to arrays of tensors");
  }
  if (scalars !== undefined) {
    let ok = !!scalars && typeof scalars === "object" && !Array.isArray(scalars);
    if (ok) {
      try {
        JSON.stringify(scalars);
      } catch {
        ok = false;
      }
    }
    if (!ok) out.push("state.scalars must be a plain object of JSON values");
  }
  return out;
}
