/** Shape arithmetic shared by every op: sizes, strides, broadcasting, axis normalisation. */
import type { Shape } from '../backends/kernels.js';

export { sizeOf, contiguousStrides as stridesOf } from '../backends/shape.js';

export function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function checkShape(op: string, shape: Shape): number[] {
  if (!Array.isArray(shape)) throw new Error(`${op}: shape must be an array of integers, got ${String(shape)}`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new Error(`${op}: shape ${fmt(shape)} must hold non-negative integers`);
  }
  return [...shape];
}

/** NumPy broadcasting of several shapes; the error names the op and every shape. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const nd = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(nd).fill(1);
  for (let i = 0; i < nd; i++) {
    for (const s of shapes) {
      const d = s[s.length - nd + i] ?? 1;
      if (d === 1) continue;
      if (out[i] === 1) out[i] = d;
      else if (out[i] !== d) {
        throw new Error(
          `${op}: shapes ${shapes.map(fmt).join(' and ')} are not broadcastable ` +
            `(axis ${i - nd} has sizes ${out[i]} and ${d}; expected equal sizes or 1)`,
        );
      }
    }
  }
  return out;
}

/** Left-pads a shape with 1s to rank nd. */
export function padShape(shape: Shape, nd: number): number[] {
  return [...new Array<number>(nd - shape.length).fill(1), ...shape];
}

export function normAxis(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= Math.max(ndim, 1)) {
    throw new Error(
      `${op}: axis ${axis} is out of range for a tensor of rank ${ndim} (expected ${-ndim}..${ndim - 1})`,
    );
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Sorted, unique, non-negative axes; `undefined` means all axes. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const out = list.map((a) => normAxis(op, a, ndim)).sort((a, b) => a - b);
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) throw new Error(`${op}: axis ${out[i]} is repeated in ${JSON.stringify(list)}`);
  }
  return out;
}
