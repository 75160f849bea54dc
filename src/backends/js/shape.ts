/**
 * The one strided walker that every "N inputs read at per-axis strides, output written densely" loop of the js
 * kernels is built on. The strides themselves come from ../strided-view.ts (shared by every backend).
 */
import type { Shape } from '../kernels.js';
import { sizeOf } from '../shape.js';

export { broadcastStrides, contiguousStrides, sizeOf } from '../strided-view.js';

/**
 * Visits the elements of `shape` in row-major order one innermost row at a time. For each row, `row` gets the
 * dense offset of its first element and, per stride set, the offset of that element in the strided input
 * (starting from `bases[i]`). Callers step along the row with strides[i][last]. Per-row (not per-element)
 * callbacks keep the hot loop inside the caller.
 */
export function walkRows(
  shape: Shape,
  strides: readonly (readonly number[])[],
  bases: readonly number[],
  row: (denseOffset: number, length: number, offsets: number[]) => void,
): void {
  const rank = shape.length;
  const total = sizeOf(shape);
  if (total === 0) return;
  const offsets = bases.slice();
  if (rank === 0) {
    row(0, 1, offsets);
    return;
  }
  const rowLength = shape[rank - 1]!;
  const rows = total / rowLength;
  const index = new Array<number>(rank).fill(0);
  for (let r = 0; r < rows; r++) {
    row(r * rowLength, rowLength, offsets);
    // Odometer over the outer axes, innermost first.
    for (let d = rank - 2; d >= 0; d--) {
      index[d]!++;
      if (index[d]! < shape[d]!) {
        for (let s = 0; s < strides.length; s++) offsets[s] += strides[s]![d]!;
        break;
      }
      index[d] = 0;
      for (let s = 0; s < strides.length; s++) offsets[s] -= strides[s]![d]! * (shape[d]! - 1);
    }
  }
}
