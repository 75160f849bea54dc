/**
 * The one place optimizers touch backends: fetch the parameter's backend, build the lazy row selection for
 * embedding tables, run the in-place update kernel, release the row buffer and bump the parameter's version (so
 * that a backward through a graph saved before the update fails loudly instead of using the new values).
 */
import type { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { fmt } from '../tensor/shape.js';
import type { Backend, RowSelection } from '../backends/kernels.js';
import { parameterName, rowInput, touchedRows } from '../nn/index.js';

export function backendOfParam(p: Tensor): Backend {
  return engine.backendOf(p.storage);
}

export function describeParam(p: Tensor): string {
  const name = parameterName(p);
  return `${name ? `'${name}'` : `#${p.id}`} ${fmt(p.shape)} ${p.dtype}`;
}

/**
 * Runs `update` with the row selection the parameter's lookups recorded (none: dense) — or with the row list given
 * on the device for this update (setRowInput: a captured step's input, -1 entries skipped) — then bumps the version.
 */
export function updateInPlace(op: string, p: Tensor, update: (rows?: RowSelection) => void): void {
  const given = rowInput(p);
  if (given) {
    if (given.dtype !== 'int32' || given.ndim !== 1 || given.backendName !== p.backendName)
      throw new Error(
        `${op}: the row list of ${describeParam(p)} is ${fmt(given.shape)} ${given.dtype} on '${given.backendName}', expected int32 [n] on '${p.backendName}'`,
      );
    try {
      update({ rows: given.storage, rowSize: p.size / p.shape[0] });
    } catch (e) {
      throw new Error(`${op}: lazy row update of ${describeParam(p)} failed: ${(e as Error).message}`);
    }
    p.version++;
    return;
  }
  const rows = touchedRows(p);
  if (!rows) {
    update();
  } else if (rows.length > 0) {
    const be = backendOfParam(p);
    const sel: RowSelection = { rows: be.upload(rows, 'int32'), rowSize: p.size / p.shape[0] };
    try {
      update(sel);
    } catch (e) {
      throw new Error(`${op}: lazy row update of ${describeParam(p)} failed: ${(e as Error).message}`);
    } finally {
      be.dispose(sel.rows);
    }
  }
  p.version++;
}
