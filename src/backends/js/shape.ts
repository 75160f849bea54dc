/**
 * Shape and stride arithmetic shared by the broadcasting and data-movement kernels, plus one strided walker
 * that every "N inputs read at per-axis strides, output written densely" loop is built on.
 */
import type { Shape } from '../kernels.js';

export { sizeOf, contiguousStrides } from '../shape.js';
import { sizeOf, contiguousStrides } from '../shape.js';

/**
 * Strides for reading a dense array of inShape as if it had outShape: 0 along broadcast axes. Validates the
 * engine's contract (same rank, each axis equal or 1) so that no kernel can read out of bounds.
 */
export function broadcastStrides(inShape: Shape, outShape: Shape, kernel: string, what: string): number[] {
  if (inShape.length !== outShape.length) {
    throw new Error(`${kernel}: ${what} shape [${inShape.join(',')}] has rank ${inShape.length}, output rank is ${outShape.length}`);
  }
  const dense = contiguousStrides(inShape);
  return inShape.map((d, i) => {
    const o = outShape[i]!;
    if (d === o) return d === 1 ? 0 : dense[i]!;
    if (d === 1) return 0;
    throw new Error(`${kernel}: ${what} shape [${inShape.join(',')}] does not broadcast to [${outShape.join(',')}]`);
  });
}

export function checkShape(shape: Shape, kernel: string, what: string): void {
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`${kernel}: ${what} has invalid dimension ${d} in [${shape.join(',')}]`);
  }
}

export function checkSize(actual: number, expected: number, kernel: string, what: string): void {
  if (actual !== expected) throw new Error(`${kernel}: ${what} has ${actual} elements, expected ${expected}`);
}

/**
 * Visits the elements of `shape` in row-major order one innermost row at a time. For each row, `row` gets the
 * dense offset of its first element and, per stride set, the offset of that element in the strided input
 * (starting from `bases[i]`). Callers step along the row with strides[i][last]. Per-row (not per-element)
 * callbacks keep the hot loop inside the caller.
 */
export function walkRows(
  shape: Shape, strides: readonly (readonly number[])[], bases: readonly number[],
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
