/**
 * Lazy (sparse) row updates for embedding tables. An Embedding records, per weight tensor, which rows its lookups
 * used since the last zeroGrad; optimizers read that set and pass it to the backend's update kernel as a
 * RowSelection, so that rows absent from the batch are neither updated nor decayed and their optimizer state
 * (momentum, Adam moments, Adagrad sums) stays as it was — the semantics of torch's sparse gradients with
 * SparseAdam / sparse Adagrad.
 *
 * The side table is keyed by the tensor (weakly: a disposed module leaves nothing behind). Per table it keeps a
 * byte mark per row and the list of marked rows, reused across steps: recording a batch is one pass over its ids
 * and clearing touches only the rows marked (no per-step allocation of a table-sized set). 'all' means the rows
 * could not be read on the host (a backend without synchronous readback); the optimizer then updates densely.
 */
import type { Tensor } from '../tensor/tensor.js';

/** Value of a padding slot in a fixed-length row list (paddedTouchedRows): the update kernels skip it. */
export const SKIP_ROW = -1;

interface RowSet {
  /** 1 where the row was recorded since the last clear. */
  readonly mark: Uint8Array;
  /** The recorded rows, first-seen order, in list[0, count). */
  list: Int32Array;
  count: number;
  /** Something was recorded since the last clear (an empty batch still counts: nothing to update). */
  recorded: boolean;
  /** Rows unknown: update densely. */
  all: boolean;
}

const lazyParams = new WeakSet<Tensor>();
const touched = new WeakMap<Tensor, RowSet>();
/** Row lists already on the device for the next update (setRowInput): a captured update's inputs. */
const rowInputs = new WeakMap<Tensor, Tensor>();

/** Declares that `param` ([rows, ...]) takes lazy row updates. */
export function markLazyRows(param: Tensor): void {
  if (param.ndim < 1)
    throw new Error(`markLazyRows: a lazily updated parameter needs a row axis, got ${param.toString()}`);
  lazyParams.add(param);
}

export function isLazyRows(param: Tensor): boolean {
  return lazyParams.has(param);
}

function rowSet(param: Tensor): RowSet {
  let set = touched.get(param);
  if (!set) {
    const rows = param.shape[0] ?? 0;
    set = {
      mark: new Uint8Array(rows),
      list: new Int32Array(Math.min(rows, 1024)),
      count: 0,
      recorded: false,
      all: false,
    };
    touched.set(param, set);
  }
  return set;
}

/** Adds looked-up row ids (already validated against the table size by the lookup; checked again here, cheaply). */
export function recordTouchedRows(param: Tensor, ids: ArrayLike<number>): void {
  const set = rowSet(param);
  set.recorded = true;
  if (set.all) return;
  const { mark } = set;
  const rows = mark.length;
  for (let i = 0; i < ids.length; i++) {
    const r = ids[i]!;
    if (mark[r] === 1) continue;
    if (!(Number.isInteger(r) && r >= 0 && r < rows))
      throw new Error(`recordTouchedRows: row ${r} (at position ${i}) is outside [0, ${rows}) of ${param.toString()}`);
    mark[r] = 1;
    if (set.count === set.list.length) {
      const grown = new Int32Array(Math.min(rows, set.list.length * 2 || 16));
      grown.set(set.list);
      set.list = grown;
    }
    set.list[set.count++] = r;
  }
}

/** Falls back to a dense update for this parameter until the next clear. */
export function recordAllRows(param: Tensor): void {
  const set = rowSet(param);
  set.recorded = true;
  set.all = true;
}

function lazySet(param: Tensor): RowSet | null {
  if (!lazyParams.has(param)) return null;
  const set = touched.get(param);
  return set?.recorded && !set.all ? set : null;
}

/**
 * The rows to update: sorted unique ids, or null when the update must be dense (not a lazy parameter, rows
 * unknown, or nothing recorded — a gradient set by hand).
 */
export function touchedRows(param: Tensor): Int32Array | null {
  const set = lazySet(param);
  return set ? set.list.slice(0, set.count).sort() : null;
}

/**
 * The same rows in a list of a fixed `length` (sorted unique ids, then SKIP_ROW padding), so that a captured
 * update (mt.compile) can take them as an input of the same shape at every step; null as touchedRows. An error
 * when more rows were recorded than fit.
 */
export function paddedTouchedRows(param: Tensor, length: number): Int32Array | null {
  const set = lazySet(param);
  if (!set) return null;
  if (set.count > length)
    throw new Error(
      `paddedTouchedRows: ${set.count} rows of ${param.toString()} were recorded, more than the list's length ${length}`,
    );
  const out = new Int32Array(length).fill(SKIP_ROW);
  out.set(set.list.subarray(0, set.count));
  out.subarray(0, set.count).sort();
  return out;
}

/** How many distinct rows were recorded since the last clear; null as touchedRows (a dense update). */
export function touchedRowCount(param: Tensor): number | null {
  return lazySet(param)?.count ?? null;
}

/**
 * Gives the next update of `param` its rows as an int32 [length] tensor on its backend (paddedTouchedRows'
 * layout) instead of the recorded set: a step captured by mt.compile takes the list as an input, so a replay
 * updates this step's rows. The caller owns the tensor; null (or clearTouchedRows) forgets it.
 */
export function setRowInput(param: Tensor, rows: Tensor | null): void {
  if (rows) rowInputs.set(param, rows);
  else rowInputs.delete(param);
}

export function rowInput(param: Tensor): Tensor | null {
  return lazyParams.has(param) ? (rowInputs.get(param) ?? null) : null;
}

/** Forgets the recorded rows (called by zeroGrad of modules and optimizers). */
export function clearTouchedRows(param: Tensor): void {
  rowInputs.delete(param);
  const set = touched.get(param);
  if (!set) return;
  for (let i = 0; i < set.count; i++) set.mark[set.list[i]!] = 0;
  set.count = 0;
  set.recorded = false;
  set.all = false;
}
