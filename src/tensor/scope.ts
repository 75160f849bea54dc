/** Memory scopes: tidy() disposes every tensor made inside except what it returns. */
import { engine } from './engine.js';
import { Tensor } from './tensor.js';

function collect(value: unknown, out: Set<Tensor>, seen: Set<unknown>): void {
  if (value instanceof Tensor) {
    out.add(value);
    return;
  }
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, seen);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, seen);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, out, seen);
}

/**
 * Runs fn and disposes every tensor created inside it, except tensors reachable from its result (through arrays,
 * plain objects and Maps) and tensors passed to keep(). Gradients written to `.grad` are kept automatically.
 */
export function tidy<T>(fn: () => T): T {
  const depth = engine.startScope();
  let result: T;
  try {
    result = fn();
  } catch (e) {
    engine.endScope(depth);
    throw e;
  }
  if (result instanceof Promise) {
    engine.endScope(depth);
    throw new Error('tidy: the function must be synchronous (it returned a Promise); await outside tidy');
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors, new Set());
  const mark = engine.newMark();
  for (const t of survivors) t.mark = mark;
  engine.endScope(depth, mark);
  return result;
}

/** Marks the tensors of an op's result (a tensor, an array of them, or a plain object of those) with `mark`. */
function markResult(value: unknown, mark: number, level: number): void {
  if (value instanceof Tensor) {
    value.mark = mark;
    return;
  }
  if (level > 2 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const v of value) markResult(v, mark, level + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) markResult(v, mark, level + 1);
}

/**
 * Wraps an op so that it runs in its own scope: every tensor it makes internally (scalar operands, intermediates of
 * a composite op, reshaped views) is disposed when it returns, except its result, so ops leak nothing outside tidy.
 * Costs two array pushes and a walk over the tensors the op made; no allocation. Intermediates the op's recorded
 * graph reads stay allocated (held by the graph) until backward consumes it or its outputs are freed.
 */
export function opScope<F extends (...args: never[]) => unknown>(fn: F): F {
  const scoped = function (this: unknown, ...args: Parameters<F>): ReturnType<F> {
    const depth = engine.startScope();
    let r: ReturnType<F>;
    try {
      r = fn.apply(this, args) as ReturnType<F>;
    } catch (e) {
      engine.endScope(depth);
      throw e;
    }
    const mark = engine.newMark();
    markResult(r, mark, 0);
    engine.endScope(depth, mark);
    return r;
  };
  Object.defineProperty(scoped, 'name', { value: fn.name });
  return scoped as F;
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
