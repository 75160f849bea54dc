/**
 * Batched matmul with an optional fused bias + activation epilogue. Sums accumulate in doubles (float32 inputs
 * are widened on load). The loop order is i-p-j over row-major data, so the innermost loop streams one row of
 * b and rows of the accumulator; it is blocked over (p, j) so the b panel it streams stays in cache.
 * b is first packed into a row-major [k, n] Float64Array (once per distinct batch matrix) unless it already is
 * one, which keeps that innermost loop contiguous and monomorphic in every layout and dtype.
 */
import type { TypedArray } from '../kernels.js';

export interface MatmulGeometry {
  batch: number;
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  aBatchStride: number;
  bBatchStride: number;
}

/** Panel sizes: a [BLOCK_K, BLOCK_N] float64 panel of b is 256 KiB. */
const BLOCK_K = 64;
const BLOCK_N = 512;

/** Copies b's batch entry at `offset` into dst as row-major [k, n] (transposing a stored [n, k]). */
function packB(
  src: TypedArray,
  offset: number,
  k: number,
  n: number,
  transB: boolean,
  dst: Float64Array | Int32Array,
): void {
  if (!transB) {
    for (let i = 0; i < k * n; i++) dst[i] = src[offset + i]!;
    return;
  }
  for (let j = 0; j < n; j++) {
    const row = offset + j * k;
    for (let p = 0; p < k; p++) dst[p * n + j] = src[row + p]!;
  }
}

/**
 * c[cOff + i·n + j] += Σ_p A(i, p)·b[bOff + p·n + j] in doubles, A(i, p) = a[aOff + i·aRow + p·aCol].
 * Four rows of c are updated per pass over a row of b, so each b element loaded serves four products; the
 * typed arrays of the innermost loop are always Float64Array, keeping it monomorphic.
 */
function gemmFloat(
  a: TypedArray,
  aOff: number,
  aRow: number,
  aCol: number,
  b: Float64Array,
  bOff: number,
  c: Float64Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let j0 = 0; j0 < n; j0 += BLOCK_N) {
    const j1 = Math.min(n, j0 + BLOCK_N);
    for (let p0 = 0; p0 < k; p0 += BLOCK_K) {
      const p1 = Math.min(k, p0 + BLOCK_K);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const c0 = cOff + i * n,
          c1 = c0 + n,
          c2 = c1 + n,
          c3 = c2 + n;
        const a0 = aOff + i * aRow;
        for (let p = p0; p < p1; p++) {
          const ap = a0 + p * aCol;
          const x0 = a[ap]!,
            x1 = a[ap + aRow]!,
            x2 = a[ap + 2 * aRow]!,
            x3 = a[ap + 3 * aRow]!;
          const bRow = bOff + p * n;
          for (let j = j0; j < j1; j++) {
            const bv = b[bRow + j]!;
            c[c0 + j] += x0 * bv;
            c[c1 + j] += x1 * bv;
            c[c2 + j] += x2 * bv;
            c[c3 + j] += x3 * bv;
          }
        }
      }
      for (; i < m; i++) {
        const cRow = cOff + i * n;
        const aBase = aOff + i * aRow;
        for (let p = p0; p < p1; p++) {
          const x = a[aBase + p * aCol]!;
          const bRow = bOff + p * n;
          for (let j = j0; j < j1; j++) c[cRow + j] += x * b[bRow + j]!;
        }
      }
    }
  }
}

/** gemmFloat's int32 counterpart: exact products and sums modulo 2³². */
function gemmInt(
  a: TypedArray,
  aOff: number,
  aRow: number,
  aCol: number,
  b: Int32Array,
  bOff: number,
  c: Int32Array,
  cOff: number,
  m: number,
  k: number,
  n: number,
): void {
  for (let i = 0; i < m; i++) {
    const cRow = cOff + i * n;
    const aBase = aOff + i * aRow;
    for (let p = 0; p < k; p++) {
      const x = a[aBase + p * aCol]!;
      const bRow = bOff + p * n;
      for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j]! + Math.imul(x, b[bRow + j]!)) | 0;
    }
  }
}

/**
 * out [batch, m, n] = act(op(a) @ op(b) + bias). `integer` selects exact int32 arithmetic modulo 2³² (C
 * semantics) instead of the double accumulation used for floats.
 */
export function matmulKernel(
  a: TypedArray,
  b: TypedArray,
  g: MatmulGeometry,
  bias: TypedArray | null,
  activation: ((x: number) => number) | null,
  out: TypedArray,
  integer: boolean,
): void {
  const { batch, m, k, n, transA, transB, aBatchStride, bBatchStride } = g;
  const mn = m * n;
  if (mn === 0) return;
  // Accumulate in place when out already has the working type; else in a double scratch per batch entry.
  const inPlace = integer || out instanceof Float64Array;
  const acc: Float64Array | Int32Array = inPlace ? (out as Float64Array | Int32Array) : new Float64Array(mn);
  // b is used in place when it already is row-major in the working type, else packed once per distinct entry.
  const bDirect = !transB && (integer || b instanceof Float64Array);
  const packed = bDirect || k === 0 ? null : integer ? new Int32Array(k * n) : new Float64Array(k * n);
  let packedFrom = -1;
  // a's element (i, p) lives at aOff + i·aRow + p·aCol in either layout.
  const aRow = transA ? 1 : k,
    aCol = transA ? m : 1;
  for (let t = 0; t < batch; t++) {
    const aOff = t * aBatchStride;
    let bMat = b as Float64Array | Int32Array;
    let bOff = t * bBatchStride;
    if (packed) {
      if (packedFrom !== bOff) {
        packB(b, bOff, k, n, transB, packed);
        packedFrom = bOff;
      }
      bMat = packed;
      bOff = 0;
    }
    const cOff = inPlace ? t * mn : 0;
    acc.fill(0, cOff, cOff + mn);
    if (integer) gemmInt(a, aOff, aRow, aCol, bMat as Int32Array, bOff, acc as Int32Array, cOff, m, k, n);
    else gemmFloat(a, aOff, aRow, aCol, bMat as Float64Array, bOff, acc as Float64Array, cOff, m, k, n);
    epilogue(acc, cOff, m, n, bias, activation, out, t * mn, integer);
  }
}

/** Adds bias, applies the activation and stores the batch entry into out (a no-op copy when in place). */
function epilogue(
  acc: Float64Array | Int32Array,
  cOff: number,
  m: number,
  n: number,
  bias: TypedArray | null,
  activation: ((x: number) => number) | null,
  out: TypedArray,
  outOff: number,
  integer: boolean,
): void {
  if (!bias && !activation && acc === out) return;
  for (let i = 0; i < m; i++) {
    const row = cOff + i * n,
      outRow = outOff + i * n;
    for (let j = 0; j < n; j++) {
      let v = acc[row + j]!;
      if (bias) v = integer ? (v + bias[j]!) | 0 : v + bias[j]!;
      if (activation) v = activation(v);
      out[outRow + j] = v;
    }
  }
}
