/**
 * Deliberately naive references for the kernel tests: multi-index loops and textbook formulas that share nothing
 * with any backend beyond the typed arrays. kernels.test.ts holds every backend to them.
 */
import type { Activation, BinaryOp, DType, Shape, TypedArray, UnaryOp } from '../../src/backends/kernels.js';
export { BINARY_OPS, UNARY_OPS } from '../../src/backends/kernels.js';
import { prng as rng } from '../conformance/harness.js';

export function arrayOf(dtype: DType, values: ArrayLike<number>): TypedArray {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'float64') return Float64Array.from(values);
  return Int32Array.from(values);
}

/** Random values of a dtype: floats in [lo, hi), ints in [lo, hi) integers. */
export function randomValues(n: number, dtype: DType, seed: number, lo = -3, hi = 3): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = lo + (hi - lo) * r();
    out.push(dtype === 'int32' ? Math.floor(v) : dtype === 'float32' ? Math.fround(v) : v);
  }
  return out;
}

export function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + idx[d]!;
  return flat;
}

/** Value stored into an array of dtype (the rounding the backend applies on store). */
export function stored(v: number, dtype: DType): number {
  return arrayOf(dtype, [v])[0]!;
}

/** The textbook formula of every unary op (different code than the backend's, e.g. no stable rewrites). */
export function naiveUnary(op: UnaryOp, x: number, alpha?: number): number {
  const sigmoid = (v: number) => (v > 30 ? 1 : v < -30 ? Math.exp(v) : 1 / (1 + Math.exp(-v)));
  switch (op) {
    case 'neg':
      return -x;
    case 'exp':
      return Math.exp(x);
    case 'expm1':
      return Math.expm1(x);
    case 'log':
      return Math.log(x);
    case 'log1p':
      return Math.log1p(x);
    case 'sqrt':
      return Math.sqrt(x);
    case 'rsqrt':
      return 1 / Math.sqrt(x);
    case 'square':
      return x * x;
    case 'reciprocal':
      return 1 / x;
    case 'abs':
      return Math.abs(x);
    case 'sign':
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    case 'round':
      return Math.sign(x) * Math.floor(Math.abs(x) + 0.5);
    case 'sin':
      return Math.sin(x);
    case 'cos':
      return Math.cos(x);
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return sigmoid(x);
    case 'logSigmoid':
      return Math.log(sigmoid(x));
    case 'softplus':
      return Math.log(1 + Math.exp(x));
    case 'erf':
      return erfMaclaurin(x);
    case 'relu':
      return Math.max(x, 0);
    case 'gelu':
      return 0.5 * x * (1 + erfMaclaurin(x / Math.SQRT2));
    case 'geluTanh':
      return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    case 'elu':
      return x > 0 ? x : (alpha ?? 1) * (Math.exp(x) - 1);
    case 'leakyRelu':
      return x > 0 ? x : (alpha ?? 0.01) * x;
  }
}

export function erfMaclaurin(x: number): number {
  let term = x,
    sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export const POSITIVE_DOMAIN = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt']);

export function naiveBinary(op: BinaryOp, x: number, y: number, dtype: DType): number {
  const int = dtype === 'int32';
  switch (op) {
    case 'add':
      return x + y;
    case 'sub':
      return x - y;
    case 'mul':
      return int ? Math.imul(x, y) : x * y;
    case 'div':
      return int ? Math.trunc(x / y) : x / y;
    case 'pow':
      return x ** y;
    case 'minimum':
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y);
    case 'maximum':
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y);
    case 'mod': {
      if (int) return x - y * Math.trunc(x / y);
      return x - y * Math.floor(x / y);
    }
    case 'eq':
      return x === y ? 1 : 0;
    case 'ne':
      return x !== y ? 1 : 0;
    case 'lt':
      return x < y ? 1 : 0;
    case 'le':
      return x <= y ? 1 : 0;
    case 'gt':
      return x > y ? 1 : 0;
    case 'ge':
      return x >= y ? 1 : 0;
  }
}

/** Index into a broadcast input for an output multi-index. */
export function broadcastIndex(outIdx: readonly number[], inShape: Shape): number {
  return ravel(
    outIdx.map((i, d) => (inShape[d] === 1 ? 0 : i)),
    inShape,
  );
}

export const BROADCAST_CASES: [Shape, Shape, Shape][] = [
  [[17], [17], [17]],
  [[], [], []],
  [
    [3, 1, 7],
    [1, 5, 7],
    [3, 5, 7],
  ],
  [[1], [13], [13]],
  [
    [2, 3, 1, 1],
    [1, 1, 5, 1],
    [2, 3, 5, 1],
  ],
  [
    [1, 1],
    [1, 1],
    [1, 1],
  ],
  [
    [2, 0, 3],
    [1, 1, 3],
    [2, 0, 3],
  ],
  [
    [4, 1],
    [4, 3],
    [4, 3],
  ],
];

export function naiveReduce(op: string, x: number[], outer: number, n: number, inner: number, dtype: DType): number[] {
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const column = Array.from({ length: n }, (_, j) => x[(o * n + j) * inner + i]!);
      let v: number;
      switch (op) {
        case 'sum':
          v = column.reduce((s, c) => s + c, 0);
          break;
        case 'prod':
          v = column.reduce((s, c) => (dtype === 'int32' ? Math.imul(s, c) : s * c), 1);
          break;
        case 'max':
          v = column.some(Number.isNaN) ? NaN : Math.max(...column);
          break;
        case 'min':
          v = column.some(Number.isNaN) ? NaN : Math.min(...column);
          break;
        case 'argmax': {
          const nan = column.findIndex(Number.isNaN);
          v = nan >= 0 ? nan : column.indexOf(Math.max(...column));
          break;
        }
        default: {
          const nan = column.findIndex(Number.isNaN);
          v = nan >= 0 ? nan : column.indexOf(Math.min(...column));
        }
      }
      out.push(v);
    }
  }
  return out;
}

export function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

export function naiveMatmul(
  a: number[],
  b: number[],
  batch: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  aStride: number,
  bStride: number,
  bias: number[] | null,
  act: Activation,
  dtype: DType,
): number[] {
  const out: number[] = [];
  const actFn = (v: number): number => {
    switch (act) {
      case 'relu':
        return Math.max(v, 0);
      case 'sigmoid':
        return 1 / (1 + Math.exp(-v));
      case 'tanh':
        return Math.tanh(v);
      case 'gelu':
        return 0.5 * v * (1 + erfMaclaurin(v / Math.SQRT2));
      default:
        return v;
    }
  };
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = a[t * aStride + (transA ? p * m + i : i * k + p)]!;
          const bv = b[t * bStride + (transB ? j * k + p : p * n + j)]!;
          s = dtype === 'int32' ? (s + Math.imul(av, bv)) | 0 : s + av * bv;
        }
        if (bias) s += bias[j]!;
        out.push(stored(actFn(s), dtype));
      }
    }
  }
  return out;
}
