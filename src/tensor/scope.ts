/** Memory scopes: tidy() disposes every tensor made inside except what it returns. */
import { engine } from './engine.js';
import { Tensor } from './tensor.js';

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value instanceof Tensor) { out.add(value); return; }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map) { for (const v of value.values()) collect(v, out, seen); return; }
  if (Array.isArray(value)) { for (const v of value) collect(v, out, seen); return; }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/**
 * Runs fn and disposes every tensor created inside it, except tensors reachable from its result (through arrays,
 * plain objects and Maps) and tensors passed to keep(). Gradients written to `.grad` are kept automatically.
 */
export function tidy<T>(fn: () => T): T {
  engine.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.endScope(new Set());
    throw e;
  }
  if (result instanceof Promise) {
    engine.endScope(new Set());
    throw new Error('tidy: the function must be synchronous (it returned a Promise); await outside tidy');
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, new Set());
  engine.endScope(survivors);
  return result;
}

/** Exempts t from every enclosing and future tidy. */
export function keep<T extends Tensor>(t: T): T {
  engine.keep(t);
  return t;
}

/** Disposes tensors found in value (a tensor, array, or object of tensors). */
export function dispose(value: unknown): void {
  const s = new Set<Tensor>();
  collect(value, s, new Set());
  for (const t of s) t.dispose();
}
