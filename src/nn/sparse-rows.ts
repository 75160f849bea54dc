/**
 * Lazy (sparse) row updates for embedding tables. An Embedding records, per weight tensor, which rows its lookups
 * used since the last zeroGrad; optimizers read that set and pass it to the backend's update kernel as a
 * RowSelection, so that rows absent from the batch are neither updated nor decayed and their optimizer state
 * (momentum, Adam moments, Adagrad sums) stays as it was — the semantics of torch's sparse gradients with
 * SparseAdam / sparse Adagrad.
 *
 * The side table is keyed by the tensor (weakly: a disposed module leaves nothing behind). 'all' means the rows
 * could not be read on the host (a backend without synchronous readback); the optimizer then updates densely.
 */
import type { Tensor } from '../tensor/tensor.js';

const lazyParams = new WeakSet<Tensor>();
const touched = new WeakMap<Tensor, Set<number> | 'all'>();

/** Declares that `param` ([rows, ...]) takes lazy row updates. */
export function markLazyRows(param: Tensor): void {
  if (param.ndim < 1)
    throw new Error(`markLazyRows: a lazily updated parameter needs a row axis, got ${param.toString()}`);
  lazyParams.add(param);
}

export function isLazyRows(param: Tensor): boolean {
  return lazyParams.has(param);
}

/** Adds looked-up row ids (already validated against the table size by the lookup). */
export function recordTouchedRows(param: Tensor, ids: ArrayLike<number>): void {
  let set = touched.get(param);
  if (set === 'all') return;
  if (!set) {
    set = new Set();
    touched.set(param, set);
  }
  for (let i = 0; i < ids.length; i++) set.add(ids[i]);
}

/** Falls back to a dense update for this parameter until the next clear. */
export function recordAllRows(param: Tensor): void {
  touched.set(param, 'all');
}

/**
 * The rows to update: sorted unique ids, or null when the update must be dense (not a lazy parameter, rows
 * unknown, or nothing recorded — a gradient set by hand).
 */
export function touchedRows(param: Tensor): Int32Array | null {
  if (!lazyParams.has(param)) return null;
  const set = touched.get(param);
  if (set === undefined || set === 'all') return null;
  return Int32Array.from(set).sort();
}

/** Forgets the recorded rows (called by zeroGrad of modules and optimizers). */
export function clearTouchedRows(param: Tensor): void {
  touched.delete(param);
}
