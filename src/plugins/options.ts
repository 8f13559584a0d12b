/**
 * Typed command-line options that plugins declare: their specs, coercion of raw CLI values,
 * range checks with one-line errors naming the flag, and typed access for plugin code.
 *
 * @module
 */
import type { OptionValue } from "../step/options.ts";
export { type OptionValue, OptionValues } from "../step/options.ts";

/** The value types an option may take; `numbers` is a list (e.g. `--betas 0.9 0.999`). */
export type OptionType = "number" | "integer" | "boolean" | "string" | "numbers";

/** Inclusive bounds unless marked exclusive; either side may be left open. */
export interface NumericRange {
  /** Lower bound. */
  min?: number;
  /** Upper bound. */
  max?: number;
  /** Whether the lower bound itself is excluded. */
  minExclusive?: boolean;
  /** Whether the upper bound itself is excluded. */
  maxExclusive?: boolean;
}

/** One option a plugin adds to the command line (`--<name>`). */
export interface OptionSpec {
  /** snake_case, as in the seed (`crt_k`); the flag is `--crt_k`. */
  name: string;
  /** The value type. */
  type: OptionType;
  /** The value when the flag is not given (must pass the checks). */
  default: OptionValue;
  /** Allowed values of a number, an integer, or each element of a list. */
  range?: NumericRange;
  /** Allowed values of a string option. */
  choices?: readonly string[];
  /** Exact number of elements of a `numbers` option. */
  length?: number;
  /** One line for `--help`. */
  help: string;
  /** Further validation: returns what is wrong with a (typed, in-range) value, or null. */
  check?: (value: OptionValue) => string | null;
}

/** An invalid option value: `flag` is e.g. `--theta`; the message is one line that names it. */
export class OptionError extends Error {
  /** `flag` is the flag at fault, e.g. `--theta`; `message` one line naming it. */
  constructor(readonly flag: string, message: string) {
    super(message);
    this.name = "OptionError";
  }
}

/** Formats a range the way `--help` shows it: "[0, 1]", "[1, inf)", "(0, inf)". */
export function formatRange(r: NumericRange): string {
  const lo = r.min === undefined ? "(-inf" : `${r.minExclusive ? "(" : "["}${r.min}`;
  const hi = r.max === undefined ? "inf)" : `${r.max}${r.maxExclusive ? ")" : "]"}`;
  return `${lo}, ${hi}`;
}

function inRange(x: number, r: NumericRange): boolean {
  if (r.min !== undefined && (r.minExclusive ? !(x > r.min) : !(x >= r.min))) return false;
  if (r.max !== undefined && (r.maxExclusive ? !(x < r.max) : !(x <= r.max))) return false;
  return true;
}

function show(raw: unknown): string {
  return typeof raw === "string" ? JSON.stringify(raw) : String(raw);
}

function toNumber(flag: string, raw: unknown, integer: boolean): number {
  const x = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(x)) throw new OptionError(flag, `${flag} must be a number, got ${show(raw)}`);
  if (integer && !Number.isInteger(x)) {
    throw new OptionError(flag, `${flag} must be an integer, got ${show(raw)}`);
  }
  return x;
}

/**
 * Converts a raw value (a string from the command line, or an already typed value) to the
 * option's type and checks range, choices, length and `check`. Throws {@link OptionError}.
 */
export function coerceOption(spec: OptionSpec, raw: unknown): OptionValue {
  const flag = `--${spec.name}`;
  let value: OptionValue;
  switch (spec.type) {
    case "number":
    case "integer":
      value = toNumber(flag, raw, spec.type === "integer");
      if (spec.range && !inRange(value, spec.range)) {
        throw new OptionError(flag, `${flag} must be in ${formatRange(spec.range)}, got ${value}`);
      }
      break;
    case "boolean":
      if (typeof raw === "boolean") value = raw;
      else if (raw === "true" || raw === "1" || raw === "") value = true;
      else if (raw === "false" || raw === "0") value = false;
      else throw new OptionError(flag, `${flag} must be true or false, got ${show(raw)}`);
      break;
    case "string":
      if (typeof raw !== "string") throw new OptionError(flag, `${flag} must be a string, got ${show(raw)}`);
      if (spec.choices && !spec.choices.includes(raw)) {
        throw new OptionError(flag, `${flag} must be one of ${spec.choices.join(", ")}, got ${show(raw)}`);
      }
      value = raw;
      break;
    case "numbers": {
      const parts = Array.isArray(raw)
        ? raw
        : typeof raw === "string"
        ? raw.split(/[\s,]+/).filter((s) => s !== "")
        : typeof raw === "number"
        ? [raw]
        : null;
      if (!parts) throw new OptionError(flag, `${flag} must be a list of numbers, got ${show(raw)}`);
      const xs = parts.map((p) => toNumber(flag, p, false));
      if (spec.length !== undefined && xs.length !== spec.length) {
        throw new OptionError(flag, `${flag} takes ${spec.length} numbers, got ${xs.length}`);
      }
      const bad = spec.range ? xs.find((x) => !inRange(x, spec.range!)) : undefined;
      if (bad !== undefined) {
        throw new OptionError(flag, `${flag} values must be in ${formatRange(spec.range!)}, got ${bad}`);
      }
      value = Object.freeze(xs);
      break;
    }
    default:
      throw new OptionError(flag, `${flag} has an unknown type ${show((spec as OptionSpec).type)}`);
  }
  const problem = spec.check?.(value);
  if (problem) throw new OptionError(flag, `${flag} ${problem}`);
  return value;
}
