/**
 * Reductions over the middle axis of x viewed as [outer, n, inner] into out [outer, inner]. Loops run
 * j (reduced) outside i (inner) so that x is read sequentially; float sums accumulate in doubles.
 */
import type { DType, ReduceOp, TypedArray } from '../kernels.js';

export function reduceKernel(
  op: ReduceOp,
  x: TypedArray,
  dtype: DType,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
): void {
  if (outer * inner === 0) return;
  switch (op) {
    case 'sum':
      return accumulate(x, outer, n, inner, out, 0, dtype === 'int32' ? (s, v) => (s + v) | 0 : (s, v) => s + v);
    case 'prod':
      return accumulate(x, outer, n, inner, out, 1, dtype === 'int32' ? Math.imul : (s, v) => s * v);
    // Math.max/min return NaN as soon as one operand is NaN, which is the propagation we want.
    case 'max':
      return accumulate(x, outer, n, inner, out, null, Math.max);
    case 'min':
      return accumulate(x, outer, n, inner, out, null, Math.min);
    case 'argmax':
      return argExtreme(x, outer, n, inner, out, (v, best) => v > best);
    case 'argmin':
      return argExtreme(x, outer, n, inner, out, (v, best) => v < best);
    default:
      throw new Error(`reduce: unknown op '${String(op)}'`);
  }
}

/**
 * out[o, i] = combine over j of x[o, j, i], starting from `identity`, or from the first element when identity is
 * null (max/min, whose empty case is rejected before dispatch).
 */
function accumulate(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  identity: number | null,
  combine: (acc: number, v: number) => number,
): void {
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    if (identity === null) for (let i = 0; i < inner; i++) acc[i] = x[base + i]!;
    else acc.fill(identity);
    for (let j = identity === null ? 1 : 0; j < n; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) acc[i] = combine(acc[i]!, x[row + i]!);
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = acc[i]!;
  }
}

/** First index of the extreme; the first NaN counts as the extreme and then wins (nothing beats it). */
function argExtreme(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  out: TypedArray,
  beats: (v: number, best: number) => boolean,
): void {
  const best = new Float64Array(inner);
  const bestIndex = new Int32Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    for (let i = 0; i < inner; i++) best[i] = x[base + i]!;
    bestIndex.fill(0);
    for (let j = 1; j < n; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i]!;
        const b = best[i]!;
        if (b !== b) continue;
        if (v !== v || beats(v, b)) {
          best[i] = v;
          bestIndex[i] = j;
        }
      }
    }
    for (let i = 0; i < inner; i++) out[o * inner + i] = bestIndex[i]!;
  }
}
