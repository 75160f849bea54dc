/**
 * Batched matmul with an optional fused bias + activation epilogue. Sums accumulate in doubles (float32 inputs
 * are widened on load). The loop order is i-p-j over row-major data, so the innermost loop streams one row of
 * b and one row of the accumulator; it is blocked over (p, j) so the b panel it streams stays in cache.
 * A transposed b is first copied into row-major [k, n] once per distinct batch matrix, which keeps that
 * innermost loop contiguous in every layout.
 */
import type { TypedArray } from '../kernels.js';

export interface MatmulGeometry {
  batch: number; m: number; k: number; n: number;
  transA: boolean; transB: boolean;
  aBatchStride: number; bBatchStride: number;
}

/** Panel sizes: a [BLOCK_K, BLOCK_N] float64 panel of b is 256 KiB. */
const BLOCK_K = 64;
const BLOCK_N = 512;

function checkGeometry(a: TypedArray, b: TypedArray, g: MatmulGeometry, bias: TypedArray | null): void {
  const { batch, m, k, n, aBatchStride, bBatchStride } = g;
  for (const [name, v] of [['batch', batch], ['m', m], ['k', k], ['n', n], ['aBatchStride', aBatchStride], ['bBatchStride', bBatchStride]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`matmul: ${name} = ${v} must be a non-negative integer`);
  }
  if (batch < 1) throw new Error(`matmul: batch = ${batch} must be >= 1`);
  const aNeeded = m * k === 0 ? 0 : (batch - 1) * aBatchStride + m * k;
  const bNeeded = k * n === 0 ? 0 : (batch - 1) * bBatchStride + k * n;
  if (a.length < aNeeded) throw new Error(`matmul: a has ${a.length} elements, the batch geometry reads ${aNeeded}`);
  if (b.length < bNeeded) throw new Error(`matmul: b has ${b.length} elements, the batch geometry reads ${bNeeded}`);
  if (bias && bias.length !== n) throw new Error(`matmul: bias has ${bias.length} elements, expected n = ${n}`);
}

/** src [n, k] (row-major) → dst [k, n]. */
function transposeInto(src: TypedArray, offset: number, n: number, k: number, dst: Float64Array | Int32Array): void {
  for (let j = 0; j < n; j++) {
    const row = offset + j * k;
    for (let p = 0; p < k; p++) dst[p * n + j] = src[row + p]!;
  }
}

/**
 * out [batch, m, n] = act(op(a) @ op(b) + bias). `integer` selects exact int32 arithmetic modulo 2³² (C
 * semantics) instead of the double accumulation used for floats.
 */
export function matmulKernel(
  a: TypedArray, b: TypedArray, g: MatmulGeometry, bias: TypedArray | null,
  activation: ((x: number) => number) | null, out: TypedArray, integer: boolean,
): void {
  checkGeometry(a, b, g, bias);
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = g;
  const mn = m * n;
  if (mn === 0) return;
  // Accumulate in place when out is already double (or exact int32); else in a double scratch per batch entry.
  const inPlace = integer || out instanceof Float64Array;
  const acc: Float64Array | Int32Array = inPlace ? (out as Float64Array | Int32Array) : new Float64Array(mn);
  const bT = transB && k > 0 ? (integer ? new Int32Array(k * n) : new Float64Array(k * n)) : null;
  let transposedFrom = -1;
  for (let t = 0; t < batch; t++) {
    const aOff = t * aBatchStride;
    let bMat: TypedArray = b;
    let bOff = t * bBatchStride;
    if (bT) {
      if (transposedFrom !== bOff) {
        transposeInto(b, bOff, n, k, bT);
        transposedFrom = bOff;
      }
      bMat = bT;
      bOff = 0;
    }
    const cOff = inPlace ? t * mn : 0;
    acc.fill(0, cOff, cOff + mn);
    // a's element (i, p) lives at aOff + i·aRow + p·aCol in either layout.
    const aRow = transA ? 1 : k, aCol = transA ? m : 1;
    for (let j0 = 0; j0 < n; j0 += BLOCK_N) {
      const j1 = Math.min(n, j0 + BLOCK_N);
      for (let p0 = 0; p0 < k; p0 += BLOCK_K) {
        const p1 = Math.min(k, p0 + BLOCK_K);
        for (let i = 0; i < m; i++) {
          const cRow = cOff + i * n;
          const aBase = aOff + i * aRow;
          if (integer) {
            for (let p = p0; p < p1; p++) {
              const aip = a[aBase + p * aCol]!;
              const bRow = bOff + p * n;
              for (let j = j0; j < j1; j++) acc[cRow + j] = (acc[cRow + j]! + Math.imul(aip, bMat[bRow + j]!)) | 0;
            }
          } else {
            for (let p = p0; p < p1; p++) {
              const aip = a[aBase + p * aCol]!;
              const bRow = bOff + p * n;
              for (let j = j0; j < j1; j++) acc[cRow + j] += aip * bMat[bRow + j]!;
            }
          }
        }
      }
    }
    epilogue(acc, cOff, m, n, bias, activation, out, t * mn, integer);
  }
}

/** Adds bias, applies the activation and stores the batch entry into out (a no-op copy when in place). */
function epilogue(
  acc: Float64Array | Int32Array, cOff: number, m: number, n: number, bias: TypedArray | null,
  activation: ((x: number) => number) | null, out: TypedArray, outOff: number, integer: boolean,
): void {
  if (!bias && !activation && acc === out) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * n, outRow = outOff + i * n;
    for (let j = 0; j < n; j++) {
      let v = acc[row + j]!;
      if (bias) v = integer ? (v + bias[j]!) | 0 : v + bias[j]!;
      if (activation) v = activation(v);
      out[outRow + j] = v;
    }
  }
}
