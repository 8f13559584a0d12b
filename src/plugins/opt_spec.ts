/**
 * The one parser of `--opt`: `<base>` (a plain base optimizer, e.g. `sgd`) or `<variant>-<base>`
 * (a SAM-family variant wrapped around a base, e.g. `vassoremu-sgd`), as in the seed. It checks
 * the syntax only; `resolveOptimizer` looks the names up in a registry.
 *
 * ```ts
 * import { parseOptSpec } from "./opt_spec.ts";
 * parseOptSpec("vasso-adamw"); // { opt: "vasso-adamw", variant: "vasso", base: "adamw" }
 * parseOptSpec("sgd"); // { opt: "sgd", variant: null, base: "sgd" }
 * ```
 *
 * @module
 */
import { OptionError } from "./options.ts";

/** `--opt` split into its parts. */
export interface OptSpec {
  /** The value as given. */
  readonly opt: string;
  /** The SAM-family variant (`sam`, `vasso`, ...), or null for a plain base optimizer. */
  readonly variant: string | null;
  /** The base optimizer (`sgd`, `adamw`, ...). */
  readonly base: string;
}

/**
 * Splits `--opt` into variant and base. Throws {@link OptionError} for `--opt` when it is not
 * `<base>` or `<variant>-<base>` with non-empty parts.
 */
export function parseOptSpec(opt: string): OptSpec {
  const parts = opt.split("-");
  if (parts.length > 2 || parts.some((p) => !p)) {
    throw new OptionError(
      "--opt",
      `--opt must be <base> or <variant>-<base> (e.g. sgd, vasso-sgd), got "${opt}"`,
    );
  }
  return parts.length === 1
    ? { opt, variant: null, base: parts[0] }
    : { opt, variant: parts[0], base: parts[1] };
}

/** The `--opt` value of a variant around a base: `${variant}-${base}`, or the base alone. */
export function formatOptSpec(variant: string | null, base: string): string {
  return variant ? `${variant}-${base}` : base;
}
