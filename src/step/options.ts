/**
 * The resolved option values a step's hooks read (`ctx.options`): typed getters over a frozen
 * record. The plugin layer declares, parses and checks options (`src/plugins/options.ts`); the
 * engine only carries the result.
 *
 * @module
 */

/** A resolved option value. */
export type OptionValue = number | boolean | string | readonly number[];

/**
 * Resolved option values with typed getters. Plugins read their options through it; a missing
 * option or a wrong type is a programming error in the plugin and throws.
 */
export class OptionValues {
  readonly #values: Readonly<Record<string, OptionValue>>;

  /** Freezes a copy of `values`. */
  constructor(values: Record<string, OptionValue>) {
    this.#values = Object.freeze({ ...values });
  }

  #get(name: string, type: "number" | "boolean" | "string" | "numbers"): OptionValue {
    const v = this.#values[name];
    if (v === undefined) throw new Error(`option --${name} is not registered`);
    const actual = Array.isArray(v) ? "numbers" : typeof v;
    if (actual !== type) throw new Error(`option --${name} is not a ${type}`);
    return v;
  }

  /** A number or integer option. */
  number(name: string): number {
    return this.#get(name, "number") as number;
  }

  /** A boolean option. */
  boolean(name: string): boolean {
    return this.#get(name, "boolean") as boolean;
  }

  /** A string option. */
  string(name: string): string {
    return this.#get(name, "string") as string;
  }

  /** A list-of-numbers option. */
  numbers(name: string): readonly number[] {
    return this.#get(name, "numbers") as readonly number[];
  }

  /** Any option's value, whatever its type; throws for an option that is not registered. */
  get(name: string): OptionValue {
    const v = this.#values[name];
    if (v === undefined) throw new Error(`option --${name} is not registered`);
    return v;
  }

  /** Whether `name` has a value. */
  has(name: string): boolean {
    return name in this.#values;
  }

  /** All values, e.g. for the run's config file. */
  toJSON(): Record<string, OptionValue> {
    return { ...this.#values };
  }
}
