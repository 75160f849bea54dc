/**
 * Kernel tests of the js reference backend. Every kernel is compared with a deliberately naive implementation
 * written here (multi-index loops, textbook formulas), on odd and empty shapes, broadcast cases and every legal
 * dtype. The naive code shares nothing with the backend beyond the typed arrays.
 */
import { describe, expect, it } from 'vitest';
import type {
  DType,
  Shape,
  Storage,
  TypedArray,
  UnaryOp,
  BinaryOp,
  Activation,
  MixtureLayout,
} from '../../src/backends/kernels.js';
import { KERNEL_NAMES } from '../../src/backends/kernels.js';
import { JsBackend, createJsBackend, erf, erfc } from '../../src/backends/js/index.js';
import { mulhi32, philox4x32, philox4x32Full } from '../../src/backends/philox.js';
import { prng as rng } from '../conformance/harness.js';
import { checked } from '../../src/backends/checked.js';
import { expectClose } from '../conformance/compare.js';

/** The reference backend behind the validating layer, as the engine registers it. */
const be = checked(new JsBackend());
const FLOATS: DType[] = ['float32', 'float64'];
const ALL: DType[] = ['float32', 'float64', 'int32'];

// ---------- helpers ----------

function arrayOf(dtype: DType, values: ArrayLike<number>): TypedArray {
  if (dtype === 'float32') return Float32Array.from(values);
  if (dtype === 'float64') return Float64Array.from(values);
  return Int32Array.from(values);
}

/** Random values of a dtype: floats in [lo, hi), ints in [lo, hi) integers. */
function randomValues(n: number, dtype: DType, seed: number, lo = -3, hi = 3): number[] {
  const r = rng(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = lo + (hi - lo) * r();
    out.push(dtype === 'int32' ? Math.floor(v) : dtype === 'float32' ? Math.fround(v) : v);
  }
  return out;
}

function up(values: ArrayLike<number>, dtype: DType = 'float64'): Storage {
  return be.upload(arrayOf(dtype, values), dtype);
}

function read(s: Storage): number[] {
  return Array.from(be.readSync(s));
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

function unravel(flat: number, shape: Shape): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d]!;
    flat = Math.floor(flat / shape[d]!);
  }
  return idx;
}

function ravel(idx: readonly number[], shape: Shape): number {
  let flat = 0;
  for (let d = 0; d < shape.length; d++) flat = flat * shape[d]! + idx[d]!;
  return flat;
}

/** Value stored into an array of dtype (the rounding the backend applies on store). */
function stored(v: number, dtype: DType): number {
  return arrayOf(dtype, [v])[0]!;
}

const tolerance = (dtype: DType): number => (dtype === 'float32' ? 2e-6 : 1e-12);

// ---------- storage ----------

describe('storage', () => {
  it('implements every kernel of the interface', async () => {
    for (const k of KERNEL_NAMES) expect(typeof (be as unknown as Record<string, unknown>)[k], k).toBe('function');
    const created = await createJsBackend();
    expect(created.name).toBe('js');
    expect(created.info().syncReadback).toBe(true);
    expect(created.info().dtypes).toEqual(['float32', 'float64', 'int32']);
  });

  it('upload copies, read and readSync return copies', async () => {
    for (const dtype of ALL) {
      const src = arrayOf(dtype, [1, 2, 3]);
      const s = be.upload(src, dtype);
      src[0] = 99;
      expect(s.dtype).toBe(dtype);
      expect(s.size).toBe(3);
      expect(s.backend).toBe('js');
      const r1 = be.readSync(s);
      r1[1] = 42;
      expect(Array.from(be.readSync(s))).toEqual([1, 2, 3]);
      const r2 = await be.read(s);
      expect(r2).toBeInstanceOf(arrayOf(dtype, []).constructor);
      expect(Array.from(r2)).toEqual([1, 2, 3]);
      be.dispose(s);
    }
  });

  it('rejects a typed array that does not match the dtype', () => {
    expect(() => be.upload(new Float32Array(2), 'float64')).toThrow(/upload of a float32 array as float64/);
  });

  it('fill, including empty storage', () => {
    expect(read(be.fill(4, 2.5, 'float64'))).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(read(be.fill(3, -7, 'int32'))).toEqual([-7, -7, -7]);
    expect(read(be.fill(0, 1, 'float32'))).toEqual([]);
  });

  it('tracks live buffers and bytes, and throws on double dispose and use after dispose', async () => {
    const b = new JsBackend();
    expect(b.memory()).toMatchObject({ buffers: 0, bytes: 0 });
    const x = b.fill(10, 0, 'float64');
    const y = b.fill(3, 0, 'float32');
    const z = b.unary('neg', x);
    expect(b.memory()).toMatchObject({ buffers: 3, bytes: 80 + 12 + 80 });
    b.dispose(x);
    expect(b.memory()).toMatchObject({ buffers: 2, bytes: 92 });
    expect(() => b.dispose(x)).toThrow('js: storage already disposed');
    expect(() => b.readSync(x)).toThrow(/disposed/);
    await expect(b.read(x)).rejects.toThrow(/disposed/);
    expect(() => b.unary('exp', x)).toThrow(/disposed/);
    b.dispose(y);
    b.dispose(z);
    expect(b.memory()).toMatchObject({ buffers: 0, bytes: 0 });
  });

  it('rejects storage from another backend', () => {
    const other = new JsBackend('native');
    const s = other.fill(2, 1, 'float64');
    expect(s.backend).toBe('native');
    expect(() => be.unary('exp', s)).toThrow(/js: unary got storage from backend 'native'/);
    expect(() => be.dispose(s)).toThrow(/native/);
    expect(() => be.readSync(s)).toThrow(/native/);
  });
});

// ---------- erf ----------

describe('erf', () => {
  // Reference values from CPython's math.erf / math.erfc (correctly rounded libm).
  const erfTable: [number, number][] = [
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [1.5, 0.9661051464753108],
    [2, 0.9953222650189527],
    [2.5, 0.999593047982555],
    [3, 0.9999779095030014],
    [4, 0.9999999845827421],
  ];
  const erfcTable: [number, number][] = [
    [3, 2.2090496998585438e-5],
    [4, 1.541725790028002e-8],
    [5, 1.5374597944280351e-12],
    [6, 2.1519736712498916e-17],
    [10, 2.088487583762545e-45],
    [20, 5.3958656116079005e-176],
  ];

  it('matches reference values to ~1e-15 relative, and is odd', () => {
    for (const [x, v] of erfTable) {
      expect(Math.abs(erf(x) - v) / v, `erf(${x})`).toBeLessThan(1.5e-15);
      expect(erf(-x)).toBe(-erf(x));
    }
    for (const [x, v] of erfcTable) expect(Math.abs(erfc(x) - v) / v, `erfc(${x})`).toBeLessThan(2e-15);
    expect(erf(0)).toBe(0);
    expect(erf(40)).toBe(1);
    expect(erf(-Infinity)).toBe(-1);
    expect(erfc(-40)).toBe(2);
    expect(erfc(1e300)).toBe(0);
    expect(Number.isNaN(erf(NaN))).toBe(true);
  });

  it('agrees with the alternating Maclaurin series on a fine grid', () => {
    // Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)) loses little to cancellation for |x| <= 1.5.
    for (let x = -1.5; x <= 1.5; x += 0.01) {
      let term = x,
        sum = x;
      for (let n = 1; n < 80; n++) {
        term *= (-x * x) / n;
        sum += term / (2 * n + 1);
      }
      const ref = (2 / Math.sqrt(Math.PI)) * sum;
      expect(Math.abs(erf(x) - ref)).toBeLessThan(2e-15 * Math.max(Math.abs(ref), 1e-3));
    }
  });

  it('erfc agrees with 1 - erf where that does not cancel', () => {
    for (let x = -2; x <= 1; x += 0.125) expect(erfc(x)).toBeCloseTo(1 - erf(x), 14);
  });
});

// ---------- unary ----------

/** The textbook formula of every unary op (different code than the backend's, e.g. no stable rewrites). */
function naiveUnary(op: UnaryOp, x: number, alpha?: number): number {
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
      return x > 0 ? x : 0;
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

function erfMaclaurin(x: number): number {
  let term = x,
    sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

const UNARY_OPS: UnaryOp[] = [
  'neg',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'abs',
  'sign',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'erf',
  'relu',
  'gelu',
  'geluTanh',
  'elu',
  'leakyRelu',
];
const POSITIVE_DOMAIN = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt']);

describe('unary', () => {
  for (const dtype of FLOATS) {
    it(`every op matches its formula (${dtype}, sizes 0, 1, 7, 17)`, () => {
      for (const op of UNARY_OPS) {
        for (const n of [0, 1, 7, 17]) {
          const lo = POSITIVE_DOMAIN.has(op) ? 0.01 : op === 'log1p' ? -0.99 : -3;
          const xs = randomValues(n, dtype, 7 + n, lo, 3);
          const out = be.unary(op, up(xs, dtype));
          expect(out.dtype).toBe(dtype);
          // The Maclaurin erf reference is itself good to ~1e-14 on [-3, 3].
          const tol = op === 'erf' || op === 'gelu' ? Math.max(tolerance(dtype), 1e-13) : tolerance(dtype);
          expectClose(
            read(out),
            xs.map((x) => naiveUnary(op, x)),
            tol,
          );
        }
      }
    });
  }

  it('stores float32 results rounded from the double computation', () => {
    const xs = randomValues(17, 'float32', 3);
    expect(read(be.unary('exp', up(xs, 'float32')))).toEqual(xs.map((x) => Math.fround(Math.exp(x))));
  });

  it('alpha of elu and leakyRelu', () => {
    const xs = [-2, -0.5, 0, 0.5, 2];
    expectClose(
      read(be.unary('elu', up(xs), { alpha: 0.3 })),
      xs.map((x) => naiveUnary('elu', x, 0.3)),
      1e-15,
    );
    expectClose(
      read(be.unary('leakyRelu', up(xs), { alpha: 0.2 })),
      xs.map((x) => naiveUnary('leakyRelu', x, 0.2)),
      1e-15,
    );
    expect(read(be.unary('elu', up([-1])))[0]).toBeCloseTo(Math.exp(-1) - 1, 15);
    expect(read(be.unary('leakyRelu', up([-1])))[0]).toBeCloseTo(-0.01, 15);
  });

  it('special values: sign(0), round half away from zero, stable sigmoid family', () => {
    expect(read(be.unary('sign', up([-0, 0, -3, 4, NaN])))).toEqual([-0, 0, -1, 1, NaN]);
    expect(read(be.unary('round', up([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, -0.2])))).toEqual([
      -3, -2, -1, 1, 2, 3, 0, -0,
    ]);
    expect(read(be.unary('sigmoid', up([-1000, 1000, 0])))).toEqual([0, 1, 0.5]);
    expect(read(be.unary('logSigmoid', up([-1000, 1000])))).toEqual([-1000, 0]);
    expect(read(be.unary('softplus', up([-1000, 1000])))).toEqual([0, 1000]);
    expect(read(be.unary('softplus', up([-50])))[0]).toBeCloseTo(Math.exp(-50), 30);
    expect(read(be.unary('gelu', up([-40, 40, 0])))).toEqual([-0, 40, 0]);
    // Far in the left tail gelu is x·Φ(x), tiny but not 0: computed without cancellation.
    const g = read(be.unary('gelu', up([-10])))[0]!;
    expect(Math.abs(g - -10 * 7.619853024160527e-24) / (10 * 7.619853024160527e-24)).toBeLessThan(1e-13);
    expect(Number.isNaN(read(be.unary('relu', up([NaN])))[0]!)).toBe(true);
  });

  it('int32 accepts neg, abs, sign, square with wrap-around, and rejects the rest', () => {
    const xs = [-5, 0, 7, -2147483648, 46341];
    expect(read(be.unary('neg', up(xs, 'int32')))).toEqual([5, 0, -7, -2147483648, -46341]);
    expect(read(be.unary('abs', up(xs, 'int32')))).toEqual([5, 0, 7, -2147483648, 46341]);
    expect(read(be.unary('sign', up(xs, 'int32')))).toEqual([-1, 0, 1, -1, 1]);
    expect(read(be.unary('square', up(xs, 'int32')))).toEqual([25, 0, 49, 0, Math.imul(46341, 46341)]);
    expect(be.unary('neg', up(xs, 'int32')).dtype).toBe('int32');
    expect(() => be.unary('exp', up([1], 'int32'))).toThrow(/'exp' does not accept int32/);
  });
});

// ---------- binary, where, cast ----------

function naiveBinary(op: BinaryOp, x: number, y: number, dtype: DType): number {
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
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : x < y ? x : y;
    case 'maximum':
      return Number.isNaN(x) || Number.isNaN(y) ? NaN : x > y ? x : y;
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
function broadcastIndex(outIdx: readonly number[], inShape: Shape): number {
  return ravel(
    outIdx.map((i, d) => (inShape[d] === 1 ? 0 : i)),
    inShape,
  );
}

const BINARY_OPS: BinaryOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'minimum',
  'maximum',
  'mod',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
];
const BROADCAST_CASES: [Shape, Shape, Shape][] = [
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

describe('binary', () => {
  for (const dtype of ALL) {
    it(`every op with broadcasting matches the naive loop (${dtype})`, () => {
      for (const op of BINARY_OPS) {
        for (const [aShape, bShape, outShape] of BROADCAST_CASES) {
          const aVals =
            op === 'pow' ? randomValues(size(aShape), dtype, 1, 0.5, 3) : randomValues(size(aShape), dtype, 1, -9, 9);
          let bVals =
            op === 'pow' ? randomValues(size(bShape), dtype, 2, -2, 3) : randomValues(size(bShape), dtype, 2, -9, 9);
          if (dtype === 'int32' && (op === 'div' || op === 'mod')) bVals = bVals.map((v) => (v === 0 ? 3 : v));
          if (dtype === 'int32' && op === 'pow') bVals = bVals.map((v) => Math.abs(v));
          const out = be.binary(op, up(aVals, dtype), up(bVals, dtype), aShape, bShape, outShape);
          expect(out.dtype).toBe(dtype);
          const expected = new Array<number>(size(outShape));
          for (let f = 0; f < expected.length; f++) {
            const idx = unravel(f, outShape);
            expected[f] = stored(
              naiveBinary(op, aVals[broadcastIndex(idx, aShape)]!, bVals[broadcastIndex(idx, bShape)]!, dtype),
              dtype,
            );
          }
          if (dtype === 'int32') expect(read(out), `${op} ${aShape}/${bShape}`).toEqual(expected);
          else expectClose(read(out), expected, tolerance(dtype));
        }
      }
    });
  }

  it('int32 division truncates, mod is the C remainder; float mod follows Python', () => {
    const a = [-7, 7, -7, 7],
      b = [2, -2, -2, 2];
    expect(read(be.binary('div', up(a, 'int32'), up(b, 'int32'), [4], [4], [4]))).toEqual([-3, -3, 3, 3]);
    expect(read(be.binary('mod', up(a, 'int32'), up(b, 'int32'), [4], [4], [4]))).toEqual([-1, 1, -1, 1]);
    expect(read(be.binary('mod', up([-7, 7, 5.5], 'float64'), up([3, -3, 2]), [3], [3], [3]))).toEqual([2, -2, 1.5]);
    expect(() => be.binary('div', up([1], 'int32'), up([0], 'int32'), [1], [1], [1])).toThrow(/int32 div by zero/);
    expect(read(be.binary('add', up([2147483647], 'int32'), up([1], 'int32'), [1], [1], [1]))).toEqual([-2147483648]);
  });

  it('minimum/maximum propagate NaN; comparisons with NaN', () => {
    const a = up([NaN, 1, 2]),
      b = up([0, NaN, 3]);
    expect(read(be.binary('minimum', a, b, [3], [3], [3]))).toEqual([NaN, NaN, 2]);
    expect(read(be.binary('maximum', a, b, [3], [3], [3]))).toEqual([NaN, NaN, 3]);
    expect(read(be.binary('eq', a, a, [3], [3], [3]))).toEqual([0, 1, 1]);
    expect(read(be.binary('ne', a, a, [3], [3], [3]))).toEqual([1, 0, 0]);
  });

  it('rejects mismatched dtypes and shapes that do not broadcast', () => {
    expect(() => be.binary('add', up([1], 'float32'), up([1], 'float64'), [1], [1], [1])).toThrow(
      /different dtypes \(float32 vs float64\)/,
    );
    expect(() => be.binary('add', up([1, 2]), up([1, 2, 3]), [2], [3], [3])).toThrow(/does not broadcast/);
    expect(() => be.binary('add', up([1, 2]), up([1, 2]), [3], [2], [2])).toThrow(/a \(shape \[3\]\) has 2 elements/);
  });
});

describe('where', () => {
  for (const dtype of ALL) {
    it(`broadcasts cond, a and b (${dtype})`, () => {
      const cases: Shape[][] = [
        [
          [3, 1, 5],
          [1, 4, 5],
          [3, 4, 1],
          [3, 4, 5],
        ],
        [[7], [7], [1], [7]],
        [[], [], [], []],
        [
          [0, 2],
          [1, 2],
          [0, 2],
          [0, 2],
        ],
      ];
      for (const [cShape, aShape, bShape, outShape] of cases) {
        const cVals = randomValues(size(cShape!), 'int32', 5, 0, 2);
        const aVals = randomValues(size(aShape!), dtype, 6);
        const bVals = randomValues(size(bShape!), dtype, 7);
        const out = be.where(
          up(cVals, 'float32'),
          up(aVals, dtype),
          up(bVals, dtype),
          cShape!,
          aShape!,
          bShape!,
          outShape!,
        );
        expect(out.dtype).toBe(dtype);
        const expected = Array.from({ length: size(outShape!) }, (_, f) => {
          const idx = unravel(f, outShape!);
          return cVals[broadcastIndex(idx, cShape!)]
            ? aVals[broadcastIndex(idx, aShape!)]!
            : bVals[broadcastIndex(idx, bShape!)]!;
        });
        expect(read(out)).toEqual(expected);
      }
    });
  }

  it('treats NaN in cond as true', () => {
    expect(read(be.where(up([NaN, 0]), up([1, 1]), up([2, 2]), [2], [2], [2], [2]))).toEqual([1, 2]);
  });
});

describe('cast', () => {
  it('converts between every dtype pair', () => {
    const xs = [-2.7, -0.5, 0, 0.1, 2.7, 1e10, NaN];
    expect(read(be.cast(up(xs), 'int32'))).toEqual([-2, 0, 0, 0, 2, 1410065408, 0]);
    expect(read(be.cast(up(xs), 'float32'))).toEqual(xs.map(Math.fround));
    expect(read(be.cast(up([-3, 5], 'int32'), 'float64'))).toEqual([-3, 5]);
    for (const from of ALL)
      for (const to of ALL) {
        const out = be.cast(up([1, -2, 3], from), to);
        expect(out.dtype).toBe(to);
        expect(read(out)).toEqual([1, -2, 3]);
      }
    expect(read(be.cast(up([], 'float32'), 'int32'))).toEqual([]);
  });
});

// ---------- reductions ----------

function naiveReduce(op: string, x: number[], outer: number, n: number, inner: number, dtype: DType): number[] {
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

describe('reduce', () => {
  const geometries: [number, number, number][] = [
    [1, 1, 1],
    [3, 7, 5],
    [1, 17, 1],
    [2, 3, 1],
    [1, 5, 13],
    [0, 4, 3],
    [2, 4, 0],
  ];
  for (const dtype of ALL) {
    it(`sum, prod, max, min, argmax, argmin over [outer, n, inner] (${dtype})`, () => {
      for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const) {
        for (const [outer, n, inner] of geometries) {
          // Ties are likely with the small integer range: argmax must return the first one.
          const xs = randomValues(outer * n * inner, dtype, outer * 100 + n * 10 + inner, -4, 4);
          const out = be.reduce(op, up(xs, dtype), outer, n, inner);
          const argOp = op === 'argmax' || op === 'argmin';
          expect(out.dtype).toBe(argOp ? 'int32' : dtype);
          const expected = naiveReduce(op, xs, outer, n, inner, dtype).map((v) => stored(v, argOp ? 'int32' : dtype));
          expectClose(read(out), expected, tolerance(dtype));
        }
      }
    });
  }

  it('n = 0: sum is 0, prod is 1, the others throw', () => {
    expect(read(be.reduce('sum', up([]), 2, 0, 3))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(read(be.reduce('prod', up([], 'int32'), 1, 0, 2))).toEqual([1, 1]);
    expect(() => be.reduce('max', up([]), 1, 0, 1)).toThrow(/'max' over an empty axis/);
    expect(() => be.reduce('argmin', up([]), 1, 0, 1)).toThrow(/empty axis/);
  });

  it('NaN propagates through max/min and wins argmax/argmin at its first position', () => {
    const x = up([1, NaN, 5, NaN, 0]);
    expect(read(be.reduce('max', x, 1, 5, 1))).toEqual([NaN]);
    expect(read(be.reduce('min', x, 1, 5, 1))).toEqual([NaN]);
    expect(read(be.reduce('argmax', x, 1, 5, 1))).toEqual([1]);
    expect(read(be.reduce('argmin', x, 1, 5, 1))).toEqual([1]);
    expect(read(be.reduce('argmax', up([3, 9, 9, 1]), 1, 4, 1))).toEqual([1]);
  });

  it('rejects a size that does not match the geometry', () => {
    expect(() => be.reduce('sum', up([1, 2, 3]), 1, 2, 1)).toThrow(/x has 3 elements/);
  });
});

describe('softmax', () => {
  for (const dtype of FLOATS) {
    it(`softmax and log-softmax match the unshifted formula (${dtype})`, () => {
      for (const [rows, n] of [
        [1, 1],
        [3, 7],
        [17, 5],
        [2, 1],
        [0, 4],
        [3, 0],
      ] as const) {
        const xs = randomValues(rows * n, dtype, rows + n, -5, 5);
        const soft: number[] = [],
          logSoft: number[] = [];
        for (let r = 0; r < rows; r++) {
          const row = xs.slice(r * n, (r + 1) * n);
          const z = row.reduce((s, v) => s + Math.exp(v), 0);
          for (const v of row) {
            soft.push(Math.exp(v) / z);
            logSoft.push(v - Math.log(z));
          }
        }
        expectClose(read(be.softmax(up(xs, dtype), rows, n, false)), soft, tolerance(dtype));
        expectClose(read(be.softmax(up(xs, dtype), rows, n, true)), logSoft, tolerance(dtype));
      }
    });
  }

  it('is stable for large logits', () => {
    expectClose(
      read(be.softmax(up([1000, 1001, -1000]), 1, 3, false)),
      [1 / (1 + Math.E), Math.E / (1 + Math.E), 0],
      1e-15,
    );
    expectClose(read(be.softmax(up([1000, 1000]), 1, 2, true)), [-Math.LN2, -Math.LN2], 1e-15);
  });

  it('rejects int32', () => {
    expect(() => be.softmax(up([1], 'int32'), 1, 1, false)).toThrow(/dtype int32/);
  });
});

// ---------- data movement ----------

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) =>
    Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]),
  );
}

describe('permute', () => {
  for (const dtype of ALL) {
    it(`every permutation of rank 1-4 shapes (${dtype})`, () => {
      for (const shape of [[7], [2, 3, 5], [1, 17, 1, 3], [3, 0, 2], []] as Shape[]) {
        const xs = randomValues(size(shape), dtype, shape.length);
        for (const perm of permutations(shape.length)) {
          const outShape = perm.map((p) => shape[p]!);
          const expected = Array.from({ length: size(shape) }, (_, f) => {
            const outIdx = unravel(f, outShape);
            const inIdx = new Array<number>(shape.length);
            perm.forEach((p, j) => {
              inIdx[p] = outIdx[j]!;
            });
            return xs[ravel(inIdx, shape)]!;
          });
          expect(read(be.permute(up(xs, dtype), shape, perm))).toEqual(expected);
        }
      }
    });
  }

  it('rejects a non-permutation', () => {
    expect(() => be.permute(up([1, 2]), [1, 2], [0, 0])).toThrow(/not a permutation/);
  });
});

describe('broadcastTo', () => {
  it('repeats along broadcast axes (every dtype, including empty)', () => {
    for (const dtype of ALL) {
      for (const [inShape, outShape] of [
        [
          [3, 1],
          [3, 4],
        ],
        [
          [1, 5, 1],
          [2, 5, 3],
        ],
        [[1], [7]],
        [[], []],
        [
          [1, 2],
          [0, 2],
        ],
      ] as Shape[][]) {
        const xs = randomValues(size(inShape!), dtype, 9);
        const expected = Array.from(
          { length: size(outShape!) },
          (_, f) => xs[broadcastIndex(unravel(f, outShape!), inShape!)]!,
        );
        expect(read(be.broadcastTo(up(xs, dtype), inShape!, outShape!))).toEqual(expected);
      }
    }
  });
});

describe('slice and sliceWrite', () => {
  const cases: { shape: Shape; begin: number[]; step: number[]; outShape: Shape }[] = [
    { shape: [7], begin: [2], step: [1], outShape: [4] },
    { shape: [7], begin: [1], step: [3], outShape: [2] },
    { shape: [5, 6, 3], begin: [1, 0, 2], step: [2, 5, 1], outShape: [2, 2, 1] },
    { shape: [3, 17], begin: [0, 16], step: [1, 1], outShape: [3, 1] },
    { shape: [4, 4], begin: [2, 4], step: [1, 1], outShape: [2, 0] },
    { shape: [], begin: [], step: [], outShape: [] },
  ];

  for (const dtype of ALL) {
    it(`slice matches begin + j*step indexing and sliceWrite is its adjoint (${dtype})`, () => {
      for (const { shape, begin, step, outShape } of cases) {
        const xs = randomValues(size(shape), dtype, 11);
        const sourceIndex = (f: number) =>
          ravel(
            unravel(f, outShape).map((j, d) => begin[d]! + j * step[d]!),
            shape,
          );
        const expectedSlice = Array.from({ length: size(outShape) }, (_, f) => xs[sourceIndex(f)]!);
        expect(read(be.slice(up(xs, dtype), shape, begin, step, outShape))).toEqual(expectedSlice);

        const src = randomValues(size(outShape), dtype, 12);
        const expectedWrite = new Array<number>(size(shape)).fill(0);
        src.forEach((v, f) => {
          expectedWrite[sourceIndex(f)] = v;
        });
        const written = be.sliceWrite(up(src, dtype), outShape, shape, begin, step);
        expect(written.dtype).toBe(dtype);
        expect(read(written)).toEqual(expectedWrite);
      }
    });
  }

  it('rejects a slice beyond the axis', () => {
    expect(() => be.slice(up([1, 2, 3]), [3], [1], [2], [2])).toThrow(/selects up to index 3, beyond its size 3/);
    expect(() => be.sliceWrite(up([1, 2]), [2], [3], [2], [1])).toThrow(/beyond its size 3/);
    expect(() => be.slice(up([1, 2, 3]), [3], [0], [0], [1])).toThrow(/step 0/);
  });
});

describe('concat', () => {
  it('joins [outer, width] blocks side by side (every dtype, zero widths)', () => {
    for (const dtype of ALL) {
      for (const [outer, widths] of [
        [3, [2, 5, 1]],
        [1, [7]],
        [4, [0, 3, 0]],
        [0, [2, 2]],
      ] as [number, number[]][]) {
        const parts = widths.map((w, t) => randomValues(outer * w, dtype, t + 20));
        const total = widths.reduce((s, w) => s + w, 0);
        const expected: number[] = [];
        for (let o = 0; o < outer; o++)
          parts.forEach((p, t) => expected.push(...p.slice(o * widths[t]!, (o + 1) * widths[t]!)));
        const out = be.concat(
          parts.map((p) => up(p, dtype)),
          outer,
          widths,
        );
        expect(out.size).toBe(outer * total);
        expect(read(out)).toEqual(expected);
      }
    }
  });

  it('rejects mixed dtypes and wrong sizes', () => {
    expect(() => be.concat([up([1], 'float32'), up([1], 'int32')], 1, [1, 1])).toThrow(/different dtypes/);
    expect(() => be.concat([up([1, 2])], 1, [3])).toThrow(/input 0/);
  });
});

describe('gather and scatterAdd', () => {
  for (const dtype of ALL) {
    it(`gather picks rows and scatterAdd sums duplicates (${dtype})`, () => {
      for (const [outer, n, inner, indices] of [
        [1, 5, 3, [4, 0, 0, 2]],
        [3, 7, 1, [6, 6, 1]],
        [2, 4, 17, [3]],
        [2, 3, 2, []],
        [1, 1, 1, [0, 0, 0]],
        [0, 3, 2, [1]],
      ] as [number, number, number, number[]][]) {
        const m = indices.length;
        const xs = randomValues(outer * n * inner, dtype, 30);
        const gathered = be.gather(up(xs, dtype), up(indices, 'int32'), outer, n, inner);
        const expectedGather: number[] = [];
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < m; j++)
            for (let i = 0; i < inner; i++) {
              expectedGather.push(xs[(o * n + indices[j]!) * inner + i]!);
            }
        expect(read(gathered)).toEqual(expectedGather);

        const src = randomValues(outer * m * inner, dtype, 31);
        const expectedScatter = new Array<number>(outer * n * inner).fill(0);
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < m; j++)
            for (let i = 0; i < inner; i++) {
              const at = (o * n + indices[j]!) * inner + i;
              expectedScatter[at] = stored(expectedScatter[at]! + src[(o * m + j) * inner + i]!, dtype);
            }
        const scattered = be.scatterAdd(up(src, dtype), up(indices, 'int32'), outer, n, inner);
        expect(scattered.dtype).toBe(dtype);
        expectClose(read(scattered), expectedScatter, tolerance(dtype));
      }
    });
  }

  it('throws on out-of-range indices instead of reading out of bounds', () => {
    expect(() => be.gather(up([1, 2, 3]), up([1, 3], 'int32'), 1, 3, 1)).toThrow(
      /gather: index 3 \(at position 1\) out of range \[0, 3\)/,
    );
    expect(() => be.gather(up([1, 2, 3]), up([-1], 'int32'), 1, 3, 1)).toThrow(/index -1/);
    expect(() => be.scatterAdd(up([1]), up([5], 'int32'), 1, 3, 1)).toThrow(/scatterAdd: index 5/);
    expect(() => be.gather(up([1, 2, 3]), up([0], 'float32'), 1, 3, 1)).toThrow(
      /indices has dtype float32, expected int32/,
    );
  });
});

// ---------- matmul ----------

function naiveMatmul(
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

describe('matmul', () => {
  for (const dtype of ALL) {
    it(`every transpose and batch-broadcast layout on odd sizes (${dtype})`, () => {
      let seed = 100;
      for (const [m, k, n] of [
        [1, 1, 1],
        [3, 7, 5],
        [17, 3, 1],
        [1, 17, 13],
        [7, 0, 3],
        [0, 4, 2],
        [2, 5, 0],
      ]) {
        for (const [batch, aBroadcast, bBroadcast] of [
          [1, false, false],
          [3, false, false],
          [3, true, false],
          [2, false, true],
        ] as const) {
          for (const transA of [false, true])
            for (const transB of [false, true]) {
              const aStride = aBroadcast ? 0 : m! * k!,
                bStride = bBroadcast ? 0 : k! * n!;
              const a = randomValues((aBroadcast ? 1 : batch) * m! * k!, dtype, seed++);
              const b = randomValues((bBroadcast ? 1 : batch) * k! * n!, dtype, seed++);
              const out = be.matmul(up(a, dtype), up(b, dtype), {
                batch,
                m: m!,
                k: k!,
                n: n!,
                transA,
                transB,
                aBatchStride: aStride,
                bBatchStride: bStride,
              });
              expect(out.dtype).toBe(dtype);
              const expected = naiveMatmul(
                a,
                b,
                batch,
                m!,
                k!,
                n!,
                transA,
                transB,
                aStride,
                bStride,
                null,
                'none',
                dtype,
              );
              expectClose(read(out), expected, dtype === 'float32' ? 1e-6 : 1e-13);
            }
        }
      }
    });
  }

  it('fuses bias and every activation', () => {
    for (const dtype of FLOATS) {
      for (const activation of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as const) {
        const [m, k, n] = [5, 3, 7];
        // Values in [-1, 1) keep |a@b + bias| <= 4, inside the range where the Maclaurin erf reference is accurate.
        const a = randomValues(2 * m * k, dtype, 1, -1, 1),
          b = randomValues(k * n, dtype, 2, -1, 1),
          bias = randomValues(n, dtype, 3, -1, 1);
        const out = be.matmul(up(a, dtype), up(b, dtype), {
          batch: 2,
          m,
          k,
          n,
          transA: false,
          transB: true,
          aBatchStride: m * k,
          bBatchStride: 0,
          bias: up(bias, dtype),
          activation,
        });
        const expected = naiveMatmul(a, b, 2, m, k, n, false, true, m * k, 0, bias, activation, dtype);
        expectClose(read(out), expected, dtype === 'float32' ? 1e-6 : 1e-12);
      }
    }
    // k = 0: the product is all zeros, so the output is act(bias) per row.
    const out = be.matmul(up([]), up([]), {
      batch: 1,
      m: 2,
      k: 0,
      n: 3,
      transA: false,
      transB: false,
      aBatchStride: 0,
      bBatchStride: 0,
      bias: up([-1, 0, 2]),
      activation: 'relu',
    });
    expect(read(out)).toEqual([0, 0, 2, 0, 0, 2]);
  });

  it('int32 wraps modulo 2^32 and supports bias + relu', () => {
    const out = be.matmul(up([65536, 1], 'int32'), up([65536, 5], 'int32'), {
      batch: 1,
      m: 1,
      k: 2,
      n: 1,
      transA: false,
      transB: false,
      aBatchStride: 2,
      bBatchStride: 2,
      bias: up([-10], 'int32'),
      activation: 'relu',
    });
    expect(read(out)).toEqual([0]);
    expect(() =>
      be.matmul(up([1], 'int32'), up([1], 'int32'), {
        batch: 1,
        m: 1,
        k: 1,
        n: 1,
        transA: false,
        transB: false,
        aBatchStride: 1,
        bBatchStride: 1,
        activation: 'tanh',
      }),
    ).toThrow(/activation 'tanh' needs a float dtype/);
  });

  it('is exact across the cache blocks of a larger product', () => {
    // Small integers in float64 make every partial sum exact, so blocking must not change a single bit.
    const [m, k, n] = [9, 150, 600];
    const a = randomValues(m * k, 'int32', 5, -4, 4),
      b = randomValues(k * n, 'int32', 6, -4, 4);
    for (const transB of [false, true]) {
      const out = be.matmul(up(a), up(b), {
        batch: 1,
        m,
        k,
        n,
        transA: false,
        transB,
        aBatchStride: 0,
        bBatchStride: 0,
      });
      expect(read(out)).toEqual(naiveMatmul(a, b, 1, m, k, n, false, transB, 0, 0, null, 'none', 'float64'));
    }
  });

  it('rejects inputs too small for the geometry and mismatched dtypes', () => {
    const p = { batch: 2, m: 2, k: 2, n: 2, transA: false, transB: false, aBatchStride: 4, bBatchStride: 0 };
    expect(() => be.matmul(up([1, 2, 3, 4]), up([1, 2, 3, 4]), p)).toThrow(
      /matmul: a has 4 elements, the batch geometry reads 8/,
    );
    expect(() => be.matmul(up([1], 'float32'), up([1]), { ...p, batch: 1, m: 1, k: 1, n: 1 })).toThrow(
      /different dtypes/,
    );
    expect(() => be.matmul(up([1]), up([1]), { ...p, batch: 1, m: 1, k: 1, n: 1, bias: up([1, 2]) })).toThrow(
      /bias has 2 elements/,
    );
  });
});

// ---------- random ----------

describe('philox', () => {
  it('matches the Random123 known-answer vectors for philox4x32-10', () => {
    const out = new Uint32Array(4);
    philox4x32Full(0, 0, 0, 0, 0, 0, out);
    expect(Array.from(out)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    philox4x32Full(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(Array.from(out)).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    philox4x32Full(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(Array.from(out)).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
    const short = new Uint32Array(4);
    philox4x32(0x243f6a88, 0x85a308d3, 0xa4093822, 0x299f31d0, short);
    philox4x32Full(0x243f6a88, 0x85a308d3, 0, 0, 0xa4093822, 0x299f31d0, out);
    expect(short).toEqual(out);
  });

  it('mulhi32 is exact', () => {
    const r = rng(1);
    for (let t = 0; t < 200; t++) {
      const a = Math.floor(r() * 2 ** 32),
        b = Math.floor(r() * 2 ** 32);
      expect(mulhi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
    expect(mulhi32(0xffffffff, 0xffffffff)).toBe(0xfffffffe);
  });
});

describe('random', () => {
  const seeds = { seedLo: 0x12345678, seedHi: 0x9abcdef0 };

  it('follows the documented stream element by element, across the 2^32 counter boundary', () => {
    const w = new Uint32Array(4);
    const offset = 2 ** 32 - 3;
    const u = read(be.random(6, 'float64', { dist: 'uniform', ...seeds, offset, a: -2, b: 3 }));
    const z = read(be.random(6, 'float64', { dist: 'normal', ...seeds, offset, a: 1, b: 2 }));
    const k = read(be.random(6, 'int32', { dist: 'randint', ...seeds, offset, a: -5, b: 100 }));
    for (let i = 0; i < 6; i++) {
      const ctr = offset + i;
      philox4x32Full(ctr % 2 ** 32, Math.floor(ctr / 2 ** 32), 0, 0, seeds.seedLo, seeds.seedHi, w);
      expect(u[i]).toBe(-2 + 5 * ((w[0]! >>> 8) / 2 ** 24));
      const u1 = ((w[0]! >>> 8) + 1) / 2 ** 24,
        u2 = (w[1]! >>> 8) / 2 ** 24;
      expect(z[i]).toBeCloseTo(1 + 2 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2), 14);
      expect(k[i]).toBe(-5 + Number((BigInt(w[0]!) * 105n) >> 32n));
    }
  });

  it('is a function of the counter: an offset window equals the slice of a longer draw', () => {
    const long = read(be.random(20, 'float32', { dist: 'normal', ...seeds, offset: 100, a: 0, b: 1 }));
    const window = read(be.random(5, 'float32', { dist: 'normal', ...seeds, offset: 110, a: 0, b: 1 }));
    expect(window).toEqual(long.slice(10, 15));
    expect(read(be.random(0, 'float32', { dist: 'uniform', ...seeds, offset: 0, a: 0, b: 1 }))).toEqual([]);
  });

  it('has the right moments and ranges over 1e5 samples', () => {
    const N = 100000;
    const moments = (xs: ArrayLike<number>) => {
      let s = 0,
        s2 = 0;
      for (let i = 0; i < xs.length; i++) {
        s += xs[i]!;
        s2 += xs[i]! * xs[i]!;
      }
      const mean = s / xs.length;
      return { mean, variance: s2 / xs.length - mean * mean };
    };
    const u = be.readSync(be.random(N, 'float32', { dist: 'uniform', ...seeds, offset: 0, a: 2, b: 5 }));
    const um = moments(u);
    expect(Math.abs(um.mean - 3.5)).toBeLessThan(0.01);
    expect(Math.abs(um.variance - 9 / 12)).toBeLessThan(0.01);
    let lo = Infinity,
      hi = -Infinity;
    for (const v of u) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    expect(lo).toBeGreaterThanOrEqual(2);
    expect(hi).toBeLessThan(5);

    const z = be.readSync(be.random(N, 'float64', { dist: 'normal', ...seeds, offset: 7, a: -1, b: 3 }));
    const zm = moments(z);
    expect(Math.abs(zm.mean - -1)).toBeLessThan(0.03);
    expect(Math.abs(zm.variance - 9)).toBeLessThan(0.15);

    const k = be.readSync(be.random(N, 'int32', { dist: 'randint', ...seeds, offset: 0, a: -3, b: 5 }));
    const counts = new Map<number, number>();
    for (const v of k) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
    for (const c of counts.values()) expect(Math.abs(c / N - 1 / 8)).toBeLessThan(0.01);
  });

  it('rejects invalid parameters', () => {
    expect(() => be.random(3, 'int32', { dist: 'normal', ...seeds, offset: 0, a: 0, b: 1 })).toThrow(
      /'normal' needs a float dtype/,
    );
    expect(() => be.random(3, 'int32', { dist: 'randint', ...seeds, offset: 0, a: 4, b: 4 })).toThrow(
      /randint range \[4, 4\)/,
    );
    expect(() => be.random(3, 'float32', { dist: 'uniform', ...seeds, offset: -1, a: 0, b: 1 })).toThrow(/offset -1/);
  });
});

// ---------- fused ----------

describe('gatedMixture', () => {
  type Sizes = { e: number; b: number; d: number; t: number; layout: MixtureLayout; activation: 'none' | 'relu' };
  const act = (p: Sizes, v: number) => (p.activation === 'relu' ? Math.max(v, 0) : v);
  const at = (p: Sizes, e: number, b: number) => (p.layout === 'EBD' ? e * p.b + b : b * p.e + e) * p.d;
  // Written from the formula, independently of the kernel: one softmax per (task, row), sums over experts.
  function naiveForward(experts: number[], logits: number[], p: Sizes) {
    const weights: number[] = [],
      out: number[] = [];
    for (let t = 0; t < p.t; t++) {
      for (let b = 0; b < p.b; b++) {
        const row = logits.slice((t * p.b + b) * p.e, (t * p.b + b + 1) * p.e);
        const z = row.reduce((s, v) => s + Math.exp(v), 0);
        const w = row.map((v) => Math.exp(v) / z);
        weights.push(...w);
        for (let d = 0; d < p.d; d++) out.push(w.reduce((s, we, e) => s + we * act(p, experts[at(p, e, b) + d]!), 0));
      }
    }
    return { weights, out };
  }

  for (const dtype of FLOATS) {
    it(`forward matches softmax-weighted sums for T gates, both layouts, with and without relu (${dtype})`, () => {
      for (const [e, b, d] of [
        [1, 1, 1],
        [3, 5, 7],
        [4, 2, 17],
        [2, 0, 3],
        [3, 2, 0],
      ] as const) {
        for (const t of [1, 2, 3]) {
          for (const [layout, activation] of [
            ['EBD', 'none'],
            ['BED', 'none'],
            ['EBD', 'relu'],
            ['BED', 'relu'],
          ] as const) {
            const p = { e, b, d, t, layout, activation };
            const experts = randomValues(e * b * d, dtype, 40),
              logits = randomValues(t * b * e, dtype, 41);
            const { out, weights } = be.gatedMixture(up(experts, dtype), up(logits, dtype), p);
            const ref = naiveForward(experts, logits, p);
            expectClose(read(weights), ref.weights, tolerance(dtype));
            expectClose(read(out), ref.out, tolerance(dtype));
          }
        }
      }
    });
  }

  for (const [t, layout, activation] of [
    [1, 'EBD', 'none'],
    [2, 'EBD', 'none'],
    [3, 'BED', 'none'],
    [2, 'BED', 'relu'],
    [1, 'EBD', 'relu'],
  ] as const) {
    it(`backward matches central finite differences of ⟨gOut, out⟩ (float64, T=${t}, ${layout}, ${activation})`, () => {
      const p = { e: 3, b: 4, d: 5, t, layout, activation };
      const experts = randomValues(p.e * p.b * p.d, 'float64', 50),
        logits = randomValues(t * p.b * p.e, 'float64', 51);
      const gOut = randomValues(t * p.b * p.d, 'float64', 52);
      const loss = (ex: number[], lg: number[]) => naiveForward(ex, lg, p).out.reduce((s, v, i) => s + v * gOut[i]!, 0);
      const { weights } = be.gatedMixture(up(experts), up(logits), p);
      const { gExperts, gLogits } = be.gatedMixtureBackward(up(gOut), up(experts), weights, p);
      const h = 1e-6;
      const numeric = (vals: number[], i: number, f: (v: number[]) => number) => {
        const plus = vals.slice(),
          minus = vals.slice();
        plus[i]! += h;
        minus[i]! -= h;
        return (f(plus) - f(minus)) / (2 * h);
      };
      expectClose(
        read(gLogits),
        logits.map((_, i) => numeric(logits, i, (l) => loss(experts, l))),
        1e-7,
      );
      expectClose(
        read(gExperts),
        experts.map((_, i) => numeric(experts, i, (x) => loss(x, logits))),
        1e-7,
      );
    });
  }

  it('backward in float32 agrees with float64', () => {
    const p = { e: 2, b: 3, d: 7, t: 2, layout: 'BED' as const, activation: 'relu' as const };
    const experts = randomValues(14 * 3, 'float32', 60),
      logits = randomValues(12, 'float32', 61),
      gOut = randomValues(42, 'float32', 62);
    const run = (dtype: DType) => {
      const { weights } = be.gatedMixture(up(experts, dtype), up(logits, dtype), p);
      const g = be.gatedMixtureBackward(up(gOut, dtype), up(experts, dtype), weights, p);
      return [read(g.gExperts), read(g.gLogits)];
    };
    const [e32, l32] = run('float32'),
      [e64, l64] = run('float64');
    expectClose(e32!, e64!, 1e-6);
    expectClose(l32!, l64!, 1e-5);
  });

  it('rejects sizes that do not match the parameters, naming the kernel', () => {
    const p = { e: 2, b: 3, d: 4, t: 2, layout: 'EBD' as const, activation: 'none' as const };
    expect(() => be.gatedMixture(up(randomValues(24, 'float64', 1)), up(randomValues(6, 'float64', 2)), p)).toThrow(
      /gatedMixture: gateLogits has 6 elements, expected T·B·E/,
    );
    expect(() => be.gatedMixture(up(randomValues(23, 'float64', 1)), up(randomValues(12, 'float64', 2)), p)).toThrow(
      /gatedMixture: experts has 23 elements/,
    );
    expect(() =>
      be.gatedMixture(up(randomValues(24, 'float64', 1)), up(randomValues(12, 'float64', 2)), { ...p, t: 0 }),
    ).toThrow(/t = 0 gate sets/);
    expect(() =>
      be.gatedMixture(up(randomValues(24, 'float64', 1)), up(randomValues(12, 'float64', 2)), {
        ...p,
        activation: 'tanh' as 'relu',
      }),
    ).toThrow(/activation 'tanh' must be 'none' or 'relu'/);
  });
});

describe('bceWithLogits', () => {
  for (const dtype of FLOATS) {
    it(`loss and gradient match the probability form (${dtype})`, () => {
      const x = randomValues(17, dtype, 70, -6, 6),
        y = randomValues(17, dtype, 71, 0, 1);
      const sig = x.map((v) => 1 / (1 + Math.exp(-v)));
      const loss = x.map((_, i) => -(y[i]! * Math.log(sig[i]!) + (1 - y[i]!) * Math.log(1 - sig[i]!)));
      expectClose(read(be.bceWithLogits(up(x, dtype), up(y, dtype))), loss, dtype === 'float32' ? 1e-5 : 1e-10);
      expectClose(
        read(be.bceWithLogitsGrad(up(x, dtype), up(y, dtype))),
        sig.map((s, i) => s - y[i]!),
        tolerance(dtype),
      );
      expect(read(be.bceWithLogits(up([], dtype), up([], dtype)))).toEqual([]);
    });
  }

  it('is finite for extreme logits and its gradient is the derivative of the loss', () => {
    expect(read(be.bceWithLogits(up([1000, -1000, 1000]), up([1, 0, 0])))).toEqual([0, 0, 1000]);
    expect(read(be.bceWithLogitsGrad(up([1000, -1000]), up([1, 1])))).toEqual([0, -1]);
    const x = [-2, 0.3, 4],
      y = [0.2, 1, 0],
      h = 1e-6;
    const g = read(be.bceWithLogitsGrad(up(x), up(y)));
    x.forEach((v, i) => {
      const f = (t: number) => read(be.bceWithLogits(up([t]), up([y[i]!])))[0]!;
      expect(g[i]).toBeCloseTo((f(v + h) - f(v - h)) / (2 * h), 8);
    });
  });
});

// ---------- optimizers ----------

function runSteps(
  steps: number,
  dtype: DType,
  init: number[],
  grad: number[],
  update: (p: Storage, g: Storage, step: number) => void,
): number[][] {
  const p = up(init, dtype),
    g = up(grad, dtype);
  const trajectory: number[][] = [];
  for (let s = 1; s <= steps; s++) {
    update(p, g, s);
    trajectory.push(read(p));
  }
  return trajectory;
}

describe('sgdUpdate', () => {
  it('plain momentum and Nesterov follow the hand-computed trajectory', () => {
    // p = 1, g = 0.5, lr = 0.1, momentum = 0.9: buf = 0.5, 0.95, 1.355.
    for (const dtype of FLOATS) {
      const buf = be.fill(1, 0, dtype);
      const plain = runSteps(3, dtype, [1], [0.5], (p, g, s) =>
        be.sgdUpdate(p, g, buf, {
          lr: 0.1,
          momentum: 0.9,
          dampening: 0,
          nesterov: false,
          weightDecay: 0,
          firstStep: s === 1,
        }),
      );
      expectClose(
        plain.map((t) => t[0]!),
        [0.95, 0.855, 0.7195],
        tolerance(dtype),
      );
      const nbuf = be.fill(1, 0, dtype);
      const nesterov = runSteps(3, dtype, [1], [0.5], (p, g, s) =>
        be.sgdUpdate(p, g, nbuf, {
          lr: 0.1,
          momentum: 0.9,
          dampening: 0,
          nesterov: true,
          weightDecay: 0,
          firstStep: s === 1,
        }),
      );
      expectClose(
        nesterov.map((t) => t[0]!),
        [0.905, 0.7695, 0.59755],
        tolerance(dtype),
      );
    }
  });

  it('weight decay and dampening (torch: the first step copies the gradient, undamped)', () => {
    // p = 2, g = 1, lr = 0.5, wd = 0.1, momentum = 0.5, dampening = 0.5:
    // step 1: d = 1.2, buf = 1.2, p = 1.4; step 2: d = 1.14, buf = 0.6 + 0.57 = 1.17, p = 0.815;
    // step 3: d = 1.0815, buf = 0.585 + 0.54075 = 1.12575, p = 0.252125.
    const buf = be.fill(1, 0, 'float64');
    const t = runSteps(3, 'float64', [2], [1], (p, g, s) =>
      be.sgdUpdate(p, g, buf, {
        lr: 0.5,
        momentum: 0.5,
        dampening: 0.5,
        nesterov: false,
        weightDecay: 0.1,
        firstStep: s === 1,
      }),
    );
    expectClose(
      t.map((x) => x[0]!),
      [1.4, 0.815, 0.252125],
      1e-14,
    );
    expectClose(read(buf), [1.12575], 1e-14);
  });

  it('without momentum needs no buffer', () => {
    const t = runSteps(2, 'float32', [1, -1], [0.5, 2], (p, g) =>
      be.sgdUpdate(p, g, null, {
        lr: 0.1,
        momentum: 0,
        dampening: 0,
        nesterov: false,
        weightDecay: 0,
        firstStep: false,
      }),
    );
    expectClose(t[1]!, [0.9, -1.4], 1e-6);
    expect(() =>
      be.sgdUpdate(up([1]), up([1]), null, {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0,
        nesterov: false,
        weightDecay: 0,
        firstStep: true,
      }),
    ).toThrow(/needs a momentum buffer/);
  });
});

describe('adamUpdate', () => {
  it('Adam with a constant gradient steps by lr (bias correction makes m̂ = g, v̂ = g²)', () => {
    for (const dtype of FLOATS) {
      const m = be.fill(1, 0, dtype),
        v = be.fill(1, 0, dtype);
      const t = runSteps(3, dtype, [1], [0.5], (p, g, step) =>
        be.adamUpdate(p, g, m, v, {
          lr: 0.1,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
          weightDecay: 0,
          decoupled: false,
          step,
        }),
      );
      expectClose(
        t.map((x) => x[0]!),
        [0.9, 0.8, 0.7],
        1e-6,
      );
      expectClose(read(m), [0.5 * (1 - 0.9 ** 3)], tolerance(dtype));
      expectClose(read(v), [0.25 * (1 - 0.999 ** 3)], tolerance(dtype));
    }
  });

  it('AdamW decays the parameter before the step', () => {
    // p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + eps) with m̂/√v̂ = 1: 0.89, 0.7811, 0.673289.
    const m = be.fill(1, 0, 'float64'),
      v = be.fill(1, 0, 'float64');
    const t = runSteps(3, 'float64', [1], [0.5], (p, g, step) =>
      be.adamUpdate(p, g, m, v, {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.999,
        eps: 0,
        weightDecay: 0.1,
        decoupled: true,
        step,
      }),
    );
    expectClose(
      t.map((x) => x[0]!),
      [0.89, 0.7811, 0.673289],
      1e-14,
    );
  });

  it('Adam with L2 weight decay follows the textbook recurrences', () => {
    const lr = 0.01,
      b1 = 0.8,
      b2 = 0.9,
      eps = 1e-3,
      wd = 0.5;
    const init = [1.5, -0.25, 3],
      grad = [0.1, -2, 0.7];
    const m = be.fill(3, 0, 'float64'),
      v = be.fill(3, 0, 'float64');
    const t = runSteps(3, 'float64', init, grad, (p, g, step) =>
      be.adamUpdate(p, g, m, v, {
        lr,
        beta1: b1,
        beta2: b2,
        eps,
        weightDecay: wd,
        decoupled: false,
        step,
      }),
    );
    const p = init.slice(),
      mm = [0, 0, 0],
      vv = [0, 0, 0];
    for (let s = 1; s <= 3; s++) {
      for (let i = 0; i < 3; i++) {
        const g = grad[i]! + wd * p[i]!;
        mm[i] = b1 * mm[i]! + (1 - b1) * g;
        vv[i] = b2 * vv[i]! + (1 - b2) * g * g;
        const mHat = mm[i]! / (1 - b1 ** s),
          vHat = vv[i]! / (1 - b2 ** s);
        p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      expectClose(t[s - 1]!, p, 1e-13);
    }
  });
});

describe('adagradUpdate', () => {
  it('follows the hand-computed trajectory, with and without lr decay', () => {
    // p = 1, g = 0.5, lr = 0.1: sum = 0.25, 0.5, 0.75; p −= clr·0.5/√sum.
    const s1 = be.fill(1, 0, 'float64');
    const t = runSteps(3, 'float64', [1], [0.5], (p, g, step) =>
      be.adagradUpdate(p, g, s1, { lr: 0.1, eps: 0, weightDecay: 0, lrDecay: 0, step }),
    );
    const p2 = 0.9 - 0.05 / Math.sqrt(0.5),
      p3 = p2 - 0.05 / Math.sqrt(0.75);
    expectClose(
      t.map((x) => x[0]!),
      [0.9, p2, p3],
      1e-15,
    );
    expectClose(read(s1), [0.75], 1e-15);

    // lr decay 0.5: clr = 0.1, 0.1/1.5, 0.1/2; weight decay 0.2 adds 0.2·p to the gradient.
    const s2 = be.fill(1, 0, 'float32');
    const td = runSteps(3, 'float32', [1], [0.5], (p, g, step) =>
      be.adagradUpdate(p, g, s2, { lr: 0.1, eps: 1e-10, weightDecay: 0.2, lrDecay: 0.5, step }),
    );
    let p = 1,
      sum = 0;
    const expected: number[] = [];
    for (let step = 1; step <= 3; step++) {
      const g = 0.5 + 0.2 * p;
      sum += g * g;
      p -= ((0.1 / (1 + (step - 1) * 0.5)) * g) / (Math.sqrt(sum) + 1e-10);
      expected.push(p);
    }
    expectClose(
      td.map((x) => x[0]!),
      expected,
      1e-6,
    );
  });
});

describe('lazy row updates (RowSelection)', () => {
  it('update only the selected rows, exactly as a full update would', () => {
    const rows = 5,
      rowSize = 3,
      n = rows * rowSize;
    const init = randomValues(n, 'float64', 80),
      grad = randomValues(n, 'float64', 81);
    const selected = [3, 0];
    const sel = { rows: up(selected, 'int32'), rowSize };
    const inSelection = (i: number) => selected.includes(Math.floor(i / rowSize));

    const cases: [string, (p: Storage, g: Storage, lazy: boolean) => Storage[]][] = [
      [
        'sgd',
        (p, g, lazy) => {
          const buf = be.fill(n, 0, 'float64');
          be.sgdUpdate(
            p,
            g,
            buf,
            { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01, firstStep: true },
            lazy ? sel : undefined,
          );
          return [buf];
        },
      ],
      [
        'adam',
        (p, g, lazy) => {
          const m = be.fill(n, 0, 'float64'),
            v = be.fill(n, 0, 'float64');
          be.adamUpdate(
            p,
            g,
            m,
            v,
            { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1, decoupled: true, step: 1 },
            lazy ? sel : undefined,
          );
          return [m, v];
        },
      ],
      [
        'adagrad',
        (p, g, lazy) => {
          const s = be.fill(n, 0, 'float64');
          be.adagradUpdate(
            p,
            g,
            s,
            { lr: 0.1, eps: 1e-10, weightDecay: 0, lrDecay: 0, step: 1 },
            lazy ? sel : undefined,
          );
          return [s];
        },
      ],
    ];
    for (const [name, run] of cases) {
      const full = up(init),
        lazy = up(init);
      const fullState = run(full, up(grad), false).map(read);
      const lazyState = run(lazy, up(grad), true).map(read);
      const fp = read(full),
        lp = read(lazy);
      for (let i = 0; i < n; i++) {
        expect(lp[i], `${name} param ${i}`).toBe(inSelection(i) ? fp[i] : init[i]);
        fullState.forEach((st, k) => expect(lazyState[k]![i], `${name} state ${i}`).toBe(inSelection(i) ? st[i] : 0));
      }
    }
  });

  it('rejects rows out of range and a rowSize that does not divide the size', () => {
    const p = { lr: 0.1, eps: 0, weightDecay: 0, lrDecay: 0, step: 1 };
    expect(() =>
      be.adagradUpdate(up([1, 2, 3, 4]), up([1, 1, 1, 1]), up([0, 0, 0, 0]), p, { rows: up([2], 'int32'), rowSize: 2 }),
    ).toThrow(/row 2 \(at position 0\) out of range \[0, 2\)/);
    expect(() =>
      be.adagradUpdate(up([1, 2, 3]), up([1, 1, 1]), up([0, 0, 0]), p, { rows: up([0], 'int32'), rowSize: 2 }),
    ).toThrow(/rowSize 2 does not divide/);
  });

  it('optimizers reject mismatched buffers', () => {
    expect(() =>
      be.adamUpdate(up([1], 'float32'), up([1], 'float32'), up([0]), up([0], 'float32'), {
        lr: 0.1,
        beta1: 0.9,
        beta2: 0.99,
        eps: 1e-8,
        weightDecay: 0,
        decoupled: false,
        step: 1,
      }),
    ).toThrow(/different dtypes/);
    expect(() =>
      be.sgdUpdate(up([1, 2]), up([1]), null, {
        lr: 0.1,
        momentum: 0,
        dampening: 0,
        nesterov: false,
        weightDecay: 0,
        firstStep: true,
      }),
    ).toThrow(/sgdUpdate: grad has 1 elements, expected the size of param = 2/);
  });
});

describe('buffer pool', () => {
  it('recycles disposed buffers zero-filled, large and small, and keeps a bounded number of each small length', () => {
    const b = new JsBackend();
    const big = b.fill(1 << 16, 7, 'float32'); // 256 KiB: pooled
    const bigData = b.dataOf(big);
    b.dispose(big);
    expect(b.memory()).toMatchObject({ buffers: 0, bytes: 0, pooledBytes: 1 << 18 });
    const again = b.alloc('float32', 1 << 16);
    expect(b.dataOf(again)).toBe(bigData); // the same memory, reused
    expect(b.dataOf(again).every((v) => v === 0)).toBe(true);
    expect(b.memory()).toMatchObject({ buffers: 1, pooledBytes: 0 });
    const small = b.fill(100, 1, 'float32');
    const smallData = b.dataOf(small);
    b.dispose(small);
    expect(b.memory().pooledBytes).toBe(400);
    const smallAgain = b.alloc('float32', 100);
    expect(b.dataOf(smallAgain)).toBe(smallData);
    expect(b.dataOf(smallAgain).every((v) => v === 0)).toBe(true);
    b.dispose(smallAgain);
    // Past 64 of one small length, disposed arrays go to the GC: a loop cannot grow the pool without bound.
    const many = Array.from({ length: 100 }, () => b.alloc('int32', 3));
    for (const s of many) b.dispose(s);
    expect(b.memory().pooledBytes).toBe(400 + 64 * 12);
  });
});
