/**
 * Memory scopes: `tidy(fn)` disposes every tensor created inside `fn` except what it returns.
 *
 * GPU buffers are not garbage collected, so a training step must release its
 * temporaries deterministically. Scopes nest; tensors returned from an inner scope move
 * to the outer one. `keep(t)` exempts a tensor from every scope (model weights, optimizer
 * state, gradients); such tensors are disposed explicitly.
 *
 * @module
 */

/** What a scope tracks: anything with a `dispose()` and a `kept` flag. */
export interface Disposable {
  /** Frees its GPU memory (idempotent). */
  dispose(): void;
  /** True once disposed. */
  readonly isDisposed: boolean;
  /** True when kept: the enclosing `tidy` does not dispose it. */
  kept: boolean;
}

const stack: Set<Disposable>[] = [];

/** Registers a new tensor with the innermost scope, if any. */
export function track<T extends Disposable>(t: T): T {
  if (stack.length && !t.kept) stack[stack.length - 1].add(t);
  return t;
}

/** Exempts `t` from scope disposal; returns it. */
export function keep<T extends Disposable>(t: T): T {
  t.kept = true;
  for (const s of stack) s.delete(t);
  return t;
}

/** Depth of the scope stack (0 outside any `tidy`). */
export function scopeDepth(): number {
  return stack.length;
}

function collect(x: unknown, out: Set<Disposable>, depth = 0): void {
  if (!x || typeof x !== "object" || depth > 4) return;
  if ("dispose" in x && "isDisposed" in x) {
    out.add(x as Disposable);
    return;
  }
  if (Array.isArray(x)) { for (const v of x) collect(v, out, depth + 1); }
  else if (Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` in a new scope. Tensors created inside and not returned (directly, or in an
 * array or plain object) are disposed when it returns or throws. `fn` must be synchronous:
 * tensors created after an `await` would land in whatever scope is current then.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  stack.pop();
  if (result instanceof Promise) {
    throw new Error("tidy() takes a synchronous function; await outside the scope");
  }
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else if (!t.kept) t.dispose();
  }
  return result;
}
