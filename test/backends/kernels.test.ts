/**
 * One kernel test file for every backend: each case runs once per available backend (describe.each over js, native
 * and webgpu), each backend behind the validating layer exactly as the engine registers it, and is compared with the
 * deliberately naive references in naive.ts (or hand-written values) on odd shapes: 1, primes, non-multiples of tile
 * sizes, and empty where legal. A backend runs every dtype it lists in info().dtypes; the widest float (F) is float64
 * where the backend has it. Tile-, thread-, pool- and ISA-specific tests stay in the per-backend files
 * ({js,native,webgpu}-kernels.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, DType, MatmulParams, MixtureLayout, Shape, Storage } from '../../src/backends/kernels.js';
import { checked } from '../../src/backends/checked.js';
import { JsBackend } from '../../src/backends/js/index.js';
import { philox4x32Full } from '../../src/backends/philox.js';
import { expectClose } from '../conformance/compare.js';
import { requiredBackends } from '../conformance/required.js';
import {
  arrayOf,
  BINARY_OPS,
  BROADCAST_CASES,
  broadcastIndex,
  naiveBinary,
  naiveMatmul,
  naiveReduce,
  naiveUnary,
  permutations,
  POSITIVE_DOMAIN,
  randomValues,
  ravel,
  size,
  stored,
  UNARY_OPS,
  unravel,
} from './naive.js';

interface Candidate {
  name: string;
  backend: Backend | null;
  reason: string;
  destroy?: () => void;
}

async function candidates(): Promise<Candidate[]> {
  const out: Candidate[] = [{ name: 'js', backend: checked(new JsBackend()), reason: '' }];
  try {
    const { createNativeBackend } = await import('../../src/backends/native/index.js');
    out.push({ name: 'native', backend: checked(await createNativeBackend()), reason: '' });
  } catch (e) {
    out.push({ name: 'native', backend: null, reason: (e as Error).message });
  }
  try {
    const { createWebGpuBackend } = await import('../../src/backends/webgpu/index.js');
    const gpu = await createWebGpuBackend();
    out.push({ name: 'webgpu', backend: checked(gpu), reason: '', destroy: () => gpu.destroy() });
  } catch (e) {
    out.push({ name: 'webgpu', backend: null, reason: (e as Error).message });
  }
  for (const c of out) {
    if (c.backend) continue;
    if (requiredBackends.has(c.name))
      throw new Error(`MTGRAD_REQUIRE includes '${c.name}' but it is unavailable: ${c.reason}`);
    console.warn(`[mtgrad kernel tests] SKIPPING backend '${c.name}': ${c.reason}`);
  }
  return out;
}

const all = await candidates();
afterAll(() => {
  for (const c of all) c.destroy?.();
});

it.each(all.map((c) => [c.name, c] as const))('backend %s is available or reported as skipped', (_name, c) => {
  expect(c.backend !== null || c.reason.length > 0).toBe(true);
});

describe.each(all.filter((c) => c.backend).map((c) => [c.name, c.backend!] as const))('%s kernels', (name, be) => {
  const dtypes = be.info().dtypes;
  const FLOATS: DType[] = (['float32', 'float64'] as const).filter((d) => dtypes.includes(d));
  const ALL: DType[] = [...FLOATS, 'int32'];
  /** The widest float the backend stores: float64 on js and native, float32 on webgpu. */
  const F: DType = FLOATS.includes('float64') ? 'float64' : 'float32';
  const up = (values: ArrayLike<number>, dtype: DType = F): Storage => be.upload(arrayOf(dtype, values), dtype);
  const read = async (s: Storage): Promise<number[]> => Array.from(await be.read(s));
  const tolerance = (dtype: DType): number => (dtype === 'float32' ? 2e-6 : 1e-12);
  /** A float64 tolerance, or float32's where F is float32. */
  const tight = (t: number): number => (F === 'float64' ? t : 2e-6);
  /** Finite differences of the (double) naive forward against the backend's backward in F. */
  const fdTol = F === 'float64' ? 1e-7 : 2e-5;
  /** The js reference, for the few cases checked against it rather than a naive formula. */
  const ref = checked(new JsBackend());
  describe('arguments are rejected before dispatch, with the same words on every backend', () => {
    it('binary: shapes that do not broadcast, and sizes that do not match their shapes', () => {
      const a = up([1, 2, 3], 'float32'),
        b = up([1, 2], 'float32');
      expect(() => be.binary('add', a, b, [3], [2], [3])).toThrow('binary: b shape [2] does not broadcast to [3]');
      expect(() => be.binary('add', a, a, [4], [3], [4])).toThrow('binary: a (shape [4]) has 3 elements, expected 4');
      expect(() => be.binary('add', a, up([1], 'int32'), [3], [1], [3])).toThrow(
        'binary: inputs have different dtypes (float32 vs int32)',
      );
    });

    it('data movement: a non-permutation, a slice past its axis, concat widths that do not match', () => {
      const x = up([0, 1, 2, 3, 4, 5]);
      expect(() => be.permute(x, [2, 3], [0, 0])).toThrow('permute: [0,0] is not a permutation of 0..1');
      expect(() => be.slice(x, [6], [4], [2], [2])).toThrow('slice: axis 0 selects up to index 6, beyond its size 6');
      expect(() => be.concat([x, x], 2, [3, 2])).toThrow(
        'concat: input 1 has 6 elements, expected outer·width = 2·2 = 4',
      );
    });

    it('matmul: operands too small for the geometry (every backend gets checkMatmul)', () => {
      const p: MatmulParams = {
        batch: 1,
        m: 2,
        k: 3,
        n: 2,
        transA: false,
        transB: false,
        aBatchStride: 6,
        bBatchStride: 6,
      };
      expect(() => be.matmul(up([1, 2, 3, 4, 5]), up([1, 2, 3, 4, 5, 6]), p)).toThrow(
        'matmul: a has 5 elements, the batch geometry reads 6',
      );
      expect(() => be.matmul(up([1, 2, 3, 4, 5, 6]), up([1, 2, 3, 4, 5, 6]), { ...p, bias: up([1]) })).toThrow(
        'matmul: bias has 1 elements, expected n = 2',
      );
    });

    it('reduce, softmax, mixture and optimizer arguments', () => {
      expect(() => be.reduce('max', up([]), 1, 0, 1)).toThrow("reduce: 'max' over an empty axis (n = 0)");
      expect(() => be.reduce('sum', up([1, 2, 3]), 1, 2, 1)).toThrow(
        'reduce: x has 3 elements, expected outer·n·inner = 1·2·1 = 2',
      );
      expect(() => be.softmax(up([1], 'int32'), 1, 1, false)).toThrow(
        'softmax: x has dtype int32, expected float32 or float64',
      );
      const mix = { e: 2, b: 1, d: 2, t: 1, layout: 'EBD', activation: 'none' } as const;
      expect(() => be.gatedMixture(up([1, 2, 3, 4]), up([1]), mix)).toThrow(
        'gatedMixture: gateLogits has 1 elements, expected T·B·E = 1·1·2 = 2',
      );
      const p = up([1, 2]);
      const adam = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: true, step: 0 };
      expect(() => be.adamUpdate(p, up([1, 2]), up([0, 0]), up([0, 0]), adam)).toThrow(
        'adamUpdate: step 0 must be a 1-based integer',
      );
      expect(() => be.adamUpdate(p, up([1]), up([0, 0]), up([0, 0]), { ...adam, step: 1 })).toThrow(
        'adamUpdate: grad has 1 elements, expected the size of param = 2',
      );
    });
  });

  describe('odd and empty shapes', () => {
    it('binary broadcasts [2,1] against [1,3], a 0-d operand and an empty axis', async () => {
      const a = up([1, 2]),
        b = up([10, 20, 30]);
      expect(await read(be.binary('add', a, b, [2, 1], [1, 3], [2, 3]))).toEqual([11, 21, 31, 12, 22, 32]);
      expect(await read(be.binary('mul', b, up([2]), [3], [1], [3]))).toEqual([20, 40, 60]);
      expect(await read(be.binary('sub', up([]), b, [0, 3], [1, 3], [0, 3]))).toEqual([]);
    });

    it('permute, broadcastTo, slice (step 2 on a prime size), sliceWrite and concat (with an empty piece)', async () => {
      const x = up([0, 1, 2, 3, 4, 5]); // [2,3]
      expect(await read(be.permute(x, [2, 3], [1, 0]))).toEqual([0, 3, 1, 4, 2, 5]);
      expect(await read(be.broadcastTo(up([7, 8, 9]), [1, 3], [2, 3]))).toEqual([7, 8, 9, 7, 8, 9]);
      const seven = up([0, 1, 2, 3, 4, 5, 6]);
      expect(await read(be.slice(seven, [7], [1], [2], [3]))).toEqual([1, 3, 5]);
      expect(await read(be.sliceWrite(up([1, 3, 5]), [3], [7], [1], [2]))).toEqual([0, 1, 0, 3, 0, 5, 0]);
      expect(await read(be.concat([up([1, 2]), up([]), up([3, 4, 5, 6])], 2, [1, 0, 2]))).toEqual([1, 3, 4, 2, 5, 6]);
      expect(await read(be.slice(seven, [7], [7], [1], [0]))).toEqual([]);
    });

    it('reduce: sum over an empty axis is 0, prod 1; a rank-3 middle-axis reduction', async () => {
      expect(await read(be.reduce('sum', up([]), 2, 0, 1))).toEqual([0, 0]);
      expect(await read(be.reduce('prod', up([]), 1, 0, 3))).toEqual([1, 1, 1]);
      expect(await read(be.reduce('max', up([1, 5, 2, 4, 3, 0]), 1, 3, 2))).toEqual([3, 5]);
      expect(await read(be.reduce('argmax', up([1, 5, 2, 4, 3, 0]), 1, 3, 2))).toEqual([2, 0]);
    });
  });

  it('fill: every dtype, odd sizes and empty', async () => {
    for (const dtype of ALL)
      for (const [n, v] of [
        [257, 0],
        [33, -1.5],
        [7, 42],
        [0, 1],
      ] as const)
        expect(await read(be.fill(n, v, dtype)), `${dtype} ${n}`).toEqual(new Array(n).fill(stored(v, dtype)));
  });

  describe('unary', () => {
    for (const dtype of FLOATS) {
      it(`every op matches its formula (${dtype}, sizes 0, 1, 7, 17)`, async () => {
        for (const op of UNARY_OPS) {
          for (const n of [0, 1, 7, 17]) {
            const lo = POSITIVE_DOMAIN.has(op) ? 0.01 : op === 'log1p' ? -0.99 : -3;
            const xs = randomValues(n, dtype, 7 + n, lo, 3);
            const out = be.unary(op, up(xs, dtype));
            expect(out.dtype).toBe(dtype);
            // The Maclaurin erf reference is itself good to ~1e-14 on [-3, 3].
            const tol = op === 'erf' || op === 'gelu' ? Math.max(tolerance(dtype), 1e-13) : tolerance(dtype);
            expectClose(
              await read(out),
              xs.map((x) => naiveUnary(op, x)),
              tol,
            );
          }
        }
      });
    }

    it('alpha of elu and leakyRelu', async () => {
      const xs = [-2, -0.5, 0, 0.5, 2];
      expectClose(
        await read(be.unary('elu', up(xs), { alpha: 0.3 })),
        xs.map((x) => naiveUnary('elu', x, 0.3)),
        tight(1e-15),
      );
      expectClose(
        await read(be.unary('leakyRelu', up(xs), { alpha: 0.2 })),
        xs.map((x) => naiveUnary('leakyRelu', x, 0.2)),
        tight(1e-15),
      );
      expect((await read(be.unary('elu', up([-1]))))[0]).toBeCloseTo(Math.exp(-1) - 1, F === 'float64' ? 15 : 6);
      expect((await read(be.unary('leakyRelu', up([-1]))))[0]).toBeCloseTo(-0.01, F === 'float64' ? 15 : 6);
    });

    it('special values: sign(0), round half away from zero, stable sigmoid family', async () => {
      expect(await read(be.unary('sign', up([-0, 0, -3, 4, NaN])))).toEqual([-0, 0, -1, 1, NaN]);
      expect(await read(be.unary('round', up([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994, -0.2])))).toEqual([
        -3,
        -2,
        -1,
        1,
        2,
        3,
        // The largest double below 0.5 rounds to 0.5 in float32.
        F === 'float64' ? 0 : 1,
        -0,
      ]);
      expect(await read(be.unary('sigmoid', up([-1000, 1000, 0])))).toEqual([0, 1, 0.5]);
      expect(await read(be.unary('logSigmoid', up([-1000, 1000])))).toEqual([-1000, 0]);
      expect(await read(be.unary('softplus', up([-1000, 1000])))).toEqual([0, 1000]);
      expectClose(await read(be.unary('softplus', up([-50]))), [Math.exp(-50)], tight(1e-15), 0);
      expect(await read(be.unary('gelu', up([-40, 40, 0])))).toEqual([-0, 40, 0]);
      // Far in the left tail gelu is x·Φ(x), tiny but not 0: computed without cancellation.
      const g = (await read(be.unary('gelu', up([-10]))))[0]!;
      expect(Math.abs(g - -10 * 7.619853024160527e-24) / (10 * 7.619853024160527e-24)).toBeLessThan(tight(1e-13));
      expect(Number.isNaN((await read(be.unary('relu', up([NaN]))))[0]!)).toBe(true);
    });

    it('int32 accepts neg, abs, sign, square with wrap-around, and rejects the rest', async () => {
      const xs = [-5, 0, 7, -2147483648, 46341];
      expect(await read(be.unary('neg', up(xs, 'int32')))).toEqual([5, 0, -7, -2147483648, -46341]);
      expect(await read(be.unary('abs', up(xs, 'int32')))).toEqual([5, 0, 7, -2147483648, 46341]);
      expect(await read(be.unary('sign', up(xs, 'int32')))).toEqual([-1, 0, 1, -1, 1]);
      expect(await read(be.unary('square', up(xs, 'int32')))).toEqual([25, 0, 49, 0, Math.imul(46341, 46341)]);
      expect(be.unary('neg', up(xs, 'int32')).dtype).toBe('int32');
      expect(() => be.unary('exp', up([1], 'int32'))).toThrow(/'exp' does not accept int32/);
    });
  });

  describe('binary', () => {
    for (const dtype of ALL) {
      it(`every op with broadcasting matches the naive loop (${dtype})`, async () => {
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
            if (dtype === 'int32') expect(await read(out), `${op} ${aShape}/${bShape}`).toEqual(expected);
            else expectClose(await read(out), expected, tolerance(dtype));
          }
        }
      });
    }

    it('int32 division truncates, mod is the C remainder; float mod follows Python', async () => {
      const a = [-7, 7, -7, 7],
        b = [2, -2, -2, 2];
      expect(await read(be.binary('div', up(a, 'int32'), up(b, 'int32'), [4], [4], [4]))).toEqual([-3, -3, 3, 3]);
      expect(await read(be.binary('mod', up(a, 'int32'), up(b, 'int32'), [4], [4], [4]))).toEqual([-1, 1, -1, 1]);
      expect(await read(be.binary('mod', up([-7, 7, 5.5], F), up([3, -3, 2]), [3], [3], [3]))).toEqual([2, -2, 1.5]);
      // At the op (js, native) or at the next read (webgpu, flagged by the shader): either way before the value is used.
      const divided = async (op: 'div' | 'mod', b: number[]) =>
        read(be.binary(op, up([1, 2, 3], 'int32'), up(b, 'int32'), [3], [b.length], [3]));
      await expect(divided('div', [1, 0, 1])).rejects.toThrow('binary: int32 div by zero');
      await expect(divided('mod', [0])).rejects.toThrow('binary: int32 mod by zero');
      // The error is reported once: the next op with a valid divisor reads back normally.
      expect(await divided('div', [1, 2, 3])).toEqual([1, 1, 1]);
      expect(await read(be.binary('add', up([2147483647], 'int32'), up([1], 'int32'), [1], [1], [1]))).toEqual([
        -2147483648,
      ]);
    });

    it('minimum/maximum propagate NaN; comparisons with NaN', async () => {
      const a = up([NaN, 1, 2]),
        b = up([0, NaN, 3]);
      expect(await read(be.binary('minimum', a, b, [3], [3], [3]))).toEqual([NaN, NaN, 2]);
      expect(await read(be.binary('maximum', a, b, [3], [3], [3]))).toEqual([NaN, NaN, 3]);
      expect(await read(be.binary('eq', a, a, [3], [3], [3]))).toEqual([0, 1, 1]);
      expect(await read(be.binary('ne', a, a, [3], [3], [3]))).toEqual([1, 0, 0]);
    });

    it('rejects mismatched dtypes and shapes that do not broadcast', async () => {
      expect(() => be.binary('add', up([1], 'float32'), up([1], 'int32'), [1], [1], [1])).toThrow(
        /different dtypes \(float32 vs int32\)/,
      );
      expect(() => be.binary('add', up([1, 2]), up([1, 2, 3]), [2], [3], [3])).toThrow(/does not broadcast/);
      expect(() => be.binary('add', up([1, 2]), up([1, 2]), [3], [2], [2])).toThrow(/a \(shape \[3\]\) has 2 elements/);
    });
  });

  describe('where', () => {
    for (const dtype of ALL) {
      it(`broadcasts cond, a and b (${dtype})`, async () => {
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
        // The condition in every dtype the backend has (it need not match a and b).
        for (const [cShape, aShape, bShape, outShape] of cases)
          for (const condDtype of ALL) {
            const cVals = randomValues(size(cShape!), 'int32', 5, 0, 2);
            const aVals = randomValues(size(aShape!), dtype, 6);
            const bVals = randomValues(size(bShape!), dtype, 7);
            const out = be.where(
              up(cVals, condDtype),
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
            expect(await read(out)).toEqual(expected);
          }
      });
    }

    it('treats NaN in cond as true and -0 as false, for every float condition dtype', async () => {
      for (const c of FLOATS)
        expect(
          await read(be.where(up([NaN, 0, -0, 3], c), up([1, 1, 1, 1]), up([2, 2, 2, 2]), [4], [4], [4], [4])),
        ).toEqual([1, 2, 2, 1]);
    });
  });

  describe('cast', () => {
    it('every dtype pair on edge values: ToInt32 wrapping, NaN and ±Infinity to 0, float32 overflow', async () => {
      const v = [0, -0, 1.5, -1.5, 2.5, -2.7, 1e10, -1e10, 2147483647, 2147483648, -2147483649, 4294967301, NaN];
      const edge = [...v, Infinity, -Infinity, 3e38];
      for (const from of ALL)
        for (const to of ALL) {
          // The typed arrays do both conversions (ToInt32, fround) by the same rules the kernels follow.
          const src = Array.from(arrayOf(from, edge));
          expect(await read(be.cast(up(src, from), to)), `${from}->${to}`).toEqual(Array.from(arrayOf(to, src)));
        }
    });

    it('converts between every dtype pair', async () => {
      // float → int32 is JS's ToInt32: truncation, wrap-around modulo 2^32, NaN and ±Infinity to 0.
      const xs = [-2.7, -0.5, 0, 0.1, 2.7, 1e10, -3e9, NaN, Infinity, -Infinity];
      expect(await read(be.cast(up(xs), 'int32'))).toEqual([-2, 0, 0, 0, 2, 1410065408, 1294967296, 0, 0, 0]);
      expect(await read(be.cast(up(xs), 'float32'))).toEqual(xs.map(Math.fround));
      expect(await read(be.cast(up([-3, 5], 'int32'), F))).toEqual([-3, 5]);
      for (const from of ALL)
        for (const to of ALL) {
          const out = be.cast(up([1, -2, 3], from), to);
          expect(out.dtype).toBe(to);
          expect(await read(out)).toEqual([1, -2, 3]);
        }
      expect(await read(be.cast(up([], 'float32'), 'int32'))).toEqual([]);
    });
  });

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
      it(`sum, prod, max, min, argmax, argmin over [outer, n, inner] (${dtype})`, async () => {
        for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as const) {
          for (const [outer, n, inner] of geometries) {
            // Ties are likely with the small integer range: argmax must return the first one.
            const xs = randomValues(outer * n * inner, dtype, outer * 100 + n * 10 + inner, -4, 4);
            const out = be.reduce(op, up(xs, dtype), outer, n, inner);
            const argOp = op === 'argmax' || op === 'argmin';
            expect(out.dtype).toBe(argOp ? 'int32' : dtype);
            const expected = naiveReduce(op, xs, outer, n, inner, dtype).map((v) => stored(v, argOp ? 'int32' : dtype));
            expectClose(await read(out), expected, tolerance(dtype));
          }
        }
      });
    }

    it('n = 0: sum is 0, prod is 1, the others throw', async () => {
      expect(await read(be.reduce('sum', up([]), 2, 0, 3))).toEqual([0, 0, 0, 0, 0, 0]);
      expect(await read(be.reduce('prod', up([], 'int32'), 1, 0, 2))).toEqual([1, 1]);
      expect(() => be.reduce('max', up([]), 1, 0, 1)).toThrow(/'max' over an empty axis/);
      expect(() => be.reduce('argmin', up([]), 1, 0, 1)).toThrow(/empty axis/);
    });

    it('NaN propagates through max/min and wins argmax/argmin at its first position', async () => {
      const x = up([1, NaN, 5, NaN, 0]);
      expect(await read(be.reduce('max', x, 1, 5, 1))).toEqual([NaN]);
      expect(await read(be.reduce('min', x, 1, 5, 1))).toEqual([NaN]);
      expect(await read(be.reduce('argmax', x, 1, 5, 1))).toEqual([1]);
      expect(await read(be.reduce('argmin', x, 1, 5, 1))).toEqual([1]);
      expect(await read(be.reduce('argmax', up([3, 9, 9, 1]), 1, 4, 1))).toEqual([1]);
    });

    it('rejects a size that does not match the geometry', async () => {
      expect(() => be.reduce('sum', up([1, 2, 3]), 1, 2, 1)).toThrow(/x has 3 elements/);
    });
  });

  describe('softmax', () => {
    for (const dtype of FLOATS) {
      it(`softmax and log-softmax match the unshifted formula (${dtype})`, async () => {
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
          expectClose(await read(be.softmax(up(xs, dtype), rows, n, false)), soft, tolerance(dtype));
          expectClose(await read(be.softmax(up(xs, dtype), rows, n, true)), logSoft, tolerance(dtype));
        }
      });
    }

    it('is stable for large logits', async () => {
      expectClose(
        await read(be.softmax(up([1000, 1001, -1000]), 1, 3, false)),
        [1 / (1 + Math.E), Math.E / (1 + Math.E), 0],
        tight(1e-15),
      );
      expectClose(await read(be.softmax(up([1000, 1000]), 1, 2, true)), [-Math.LN2, -Math.LN2], tight(1e-15));
    });

    it('rejects int32', async () => {
      expect(() => be.softmax(up([1], 'int32'), 1, 1, false)).toThrow(/dtype int32/);
    });
  });

  describe('permute', () => {
    for (const dtype of ALL) {
      it(`every permutation of rank 1-4 shapes (${dtype})`, async () => {
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
            expect(await read(be.permute(up(xs, dtype), shape, perm))).toEqual(expected);
          }
        }
      });
    }

    it('rejects a non-permutation', async () => {
      expect(() => be.permute(up([1, 2]), [1, 2], [0, 0])).toThrow(/not a permutation/);
    });
  });

  describe('broadcastTo', () => {
    it('repeats along broadcast axes (every dtype, including empty)', async () => {
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
          expect(await read(be.broadcastTo(up(xs, dtype), inShape!, outShape!))).toEqual(expected);
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
      it(`slice matches begin + j*step indexing and sliceWrite is its adjoint (${dtype})`, async () => {
        for (const { shape, begin, step, outShape } of cases) {
          const xs = randomValues(size(shape), dtype, 11);
          const sourceIndex = (f: number) =>
            ravel(
              unravel(f, outShape).map((j, d) => begin[d]! + j * step[d]!),
              shape,
            );
          const expectedSlice = Array.from({ length: size(outShape) }, (_, f) => xs[sourceIndex(f)]!);
          expect(await read(be.slice(up(xs, dtype), shape, begin, step, outShape))).toEqual(expectedSlice);

          const src = randomValues(size(outShape), dtype, 12);
          const expectedWrite = new Array<number>(size(shape)).fill(0);
          src.forEach((v, f) => {
            expectedWrite[sourceIndex(f)] = v;
          });
          const written = be.sliceWrite(up(src, dtype), outShape, shape, begin, step);
          expect(written.dtype).toBe(dtype);
          expect(await read(written)).toEqual(expectedWrite);
        }
      });
    }

    it('rejects a slice beyond the axis', async () => {
      expect(() => be.slice(up([1, 2, 3]), [3], [1], [2], [2])).toThrow(/selects up to index 3, beyond its size 3/);
      expect(() => be.sliceWrite(up([1, 2]), [2], [3], [2], [1])).toThrow(/beyond its size 3/);
      expect(() => be.slice(up([1, 2, 3]), [3], [0], [0], [1])).toThrow(/step 0/);
    });
  });

  describe('concat', () => {
    it('joins [outer, width] blocks side by side (every dtype, zero widths)', async () => {
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
          expect(await read(out)).toEqual(expected);
        }
      }
    });

    it('rejects mixed dtypes and wrong sizes', async () => {
      expect(() => be.concat([up([1], 'float32'), up([1], 'int32')], 1, [1, 1])).toThrow(/different dtypes/);
      expect(() => be.concat([up([1, 2])], 1, [3])).toThrow(/input 0/);
    });
  });

  describe('gather and scatterAdd', () => {
    for (const dtype of ALL) {
      it(`gather picks rows and scatterAdd sums duplicates (${dtype})`, async () => {
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
          expect(await read(gathered)).toEqual(expectedGather);

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
          expectClose(await read(scattered), expectedScatter, tolerance(dtype));
        }
      });
    }

    it('throws on out-of-range indices instead of reading out of bounds', async () => {
      // At the op (js, native) or at the next read (webgpu): either way before any value is used.
      const gathered = async (indices: number[]) => read(be.gather(up([1, 2, 3]), up(indices, 'int32'), 1, 3, 1));
      await expect(gathered([1, 3])).rejects.toThrow(/gather: index 3 \(at position 1\) out of range \[0, 3\)/);
      await expect(gathered([-1])).rejects.toThrow(/index -1/);
      const scattered = async (indices: number[]) =>
        read(be.scatterAdd(up(indices.map(() => 1)), up(indices, 'int32'), 1, 3, 1));
      await expect(scattered([0, 5])).rejects.toThrow('scatterAdd: index 5 (at position 1) out of range [0, 3)');
      await expect(scattered([-2])).rejects.toThrow('scatterAdd: index -2 (at position 0) out of range [0, 3)');
      expect(await scattered([2, 0, 2])).toEqual([1, 0, 2]);
      expect(() => be.gather(up([1, 2, 3]), up([0], 'float32'), 1, 3, 1)).toThrow(
        /indices has dtype float32, expected int32/,
      );
    });
  });

  describe('matmul', () => {
    // webgpu's matmul is float32-only; the int32 test below checks that it says so.
    for (const dtype of name === 'webgpu' ? FLOATS : ALL) {
      it(`every transpose and batch-broadcast layout on odd sizes (${dtype})`, async () => {
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
                expectClose(await read(out), expected, dtype === 'float32' ? 1e-6 : 1e-13);
              }
          }
        }
      });
    }

    it('fuses bias and every activation', async () => {
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
          expectClose(await read(out), expected, dtype === 'float32' ? 1e-6 : 1e-12);
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
      expect(await read(out)).toEqual([0, 0, 2, 0, 0, 2]);
    });

    it('int32 wraps modulo 2^32 and supports bias + relu (webgpu: float32 only, said so)', async () => {
      if (name === 'webgpu') {
        const one = up([1], 'int32');
        const p = { batch: 1, m: 1, k: 1, n: 1, transA: false, transB: false, aBatchStride: 1, bBatchStride: 1 };
        expect(() => be.matmul(one, one, p)).toThrow('webgpu: matmul needs float32 inputs');
        return;
      }
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
      expect(await read(out)).toEqual([0]);
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

    it('rejects inputs too small for the geometry and mismatched dtypes', async () => {
      const p = { batch: 2, m: 2, k: 2, n: 2, transA: false, transB: false, aBatchStride: 4, bBatchStride: 0 };
      expect(() => be.matmul(up([1, 2, 3, 4]), up([1, 2, 3, 4]), p)).toThrow(
        /matmul: a has 4 elements, the batch geometry reads 8/,
      );
      expect(() => be.matmul(up([1], 'int32'), up([1]), { ...p, batch: 1, m: 1, k: 1, n: 1 })).toThrow(
        /different dtypes/,
      );
      expect(() => be.matmul(up([1]), up([1]), { ...p, batch: 1, m: 1, k: 1, n: 1, bias: up([1, 2]) })).toThrow(
        /bias has 2 elements/,
      );
    });
  });

  describe('random', () => {
    const seeds = { seedLo: 0x12345678, seedHi: 0x9abcdef0 };

    it('follows the documented stream element by element, across the 2^32 counter boundary', async () => {
      const w = new Uint32Array(4);
      const offset = 2 ** 32 - 3;
      const u = await read(be.random(6, F, { dist: 'uniform', ...seeds, offset, a: -2, b: 3 }));
      const z = await read(be.random(6, F, { dist: 'normal', ...seeds, offset, a: 1, b: 2 }));
      const k = await read(be.random(6, 'int32', { dist: 'randint', ...seeds, offset, a: -5, b: 100 }));
      for (let i = 0; i < 6; i++) {
        const ctr = offset + i;
        philox4x32Full(ctr % 2 ** 32, Math.floor(ctr / 2 ** 32), 0, 0, seeds.seedLo, seeds.seedHi, w);
        // Exact in float64; float32 kernels may round a + (b − a)·u twice.
        expectClose([u[i]!], [stored(-2 + 5 * ((w[0]! >>> 8) / 2 ** 24), F)], tight(0), tight(0));
        const u1 = ((w[0]! >>> 8) + 1) / 2 ** 24,
          u2 = (w[1]! >>> 8) / 2 ** 24;
        expectClose([z[i]!], [1 + 2 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)], tight(1e-14));
        expect(k[i]).toBe(-5 + Number((BigInt(w[0]!) * 105n) >> 32n));
      }
    });

    it('is a function of the counter: an offset window equals the slice of a longer draw', async () => {
      const long = await read(be.random(20, 'float32', { dist: 'normal', ...seeds, offset: 100, a: 0, b: 1 }));
      const window = await read(be.random(5, 'float32', { dist: 'normal', ...seeds, offset: 110, a: 0, b: 1 }));
      expect(window).toEqual(long.slice(10, 15));
      expect(await read(be.random(0, 'float32', { dist: 'uniform', ...seeds, offset: 0, a: 0, b: 1 }))).toEqual([]);
    });

    it('has the right moments and ranges over 1e5 samples', async () => {
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
      const u = await be.read(be.random(N, 'float32', { dist: 'uniform', ...seeds, offset: 0, a: 2, b: 5 }));
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

      const z = await be.read(be.random(N, F, { dist: 'normal', ...seeds, offset: 7, a: -1, b: 3 }));
      const zm = moments(z);
      expect(Math.abs(zm.mean - -1)).toBeLessThan(0.03);
      expect(Math.abs(zm.variance - 9)).toBeLessThan(0.15);

      const k = await be.read(be.random(N, 'int32', { dist: 'randint', ...seeds, offset: 0, a: -3, b: 5 }));
      const counts = new Map<number, number>();
      for (const v of k) counts.set(v, (counts.get(v) ?? 0) + 1);
      expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3, 4]);
      for (const c of counts.values()) expect(Math.abs(c / N - 1 / 8)).toBeLessThan(0.01);
    });

    it('rejects invalid parameters', async () => {
      expect(() => be.random(3, 'int32', { dist: 'normal', ...seeds, offset: 0, a: 0, b: 1 })).toThrow(
        /'normal' needs a float dtype/,
      );
      expect(() => be.random(3, 'int32', { dist: 'randint', ...seeds, offset: 0, a: 4, b: 4 })).toThrow(
        /randint range \[4, 4\)/,
      );
      expect(() => be.random(3, 'float32', { dist: 'uniform', ...seeds, offset: -1, a: 0, b: 1 })).toThrow(/offset -1/);
    });
  });

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
      it(`forward matches softmax-weighted sums for T gates, both layouts, with and without relu (${dtype})`, async () => {
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
              expectClose(await read(weights), ref.weights, tolerance(dtype));
              expectClose(await read(out), ref.out, tolerance(dtype));
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
      it(`backward matches central finite differences of ⟨gOut, out⟩ (float64, T=${t}, ${layout}, ${activation})`, async () => {
        const p = { e: 3, b: 4, d: 5, t, layout, activation };
        const experts = randomValues(p.e * p.b * p.d, F, 50),
          logits = randomValues(t * p.b * p.e, F, 51);
        const gOut = randomValues(t * p.b * p.d, F, 52);
        const loss = (ex: number[], lg: number[]) =>
          naiveForward(ex, lg, p).out.reduce((s, v, i) => s + v * gOut[i]!, 0);
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
          await read(gLogits),
          logits.map((_, i) => numeric(logits, i, (l) => loss(experts, l))),
          fdTol,
        );
        expectClose(
          await read(gExperts),
          experts.map((_, i) => numeric(experts, i, (x) => loss(x, logits))),
          fdTol,
        );
      });
    }

    it('backward in float32 agrees with the float64 js reference', async () => {
      const p = { e: 2, b: 3, d: 7, t: 2, layout: 'BED' as const, activation: 'relu' as const };
      const experts = randomValues(14 * 3, 'float32', 60),
        logits = randomValues(12, 'float32', 61),
        gOut = randomValues(42, 'float32', 62);
      const run = async (b: Backend, dtype: DType) => {
        const put = (v: number[]) => b.upload(arrayOf(dtype, v), dtype);
        const { weights } = b.gatedMixture(put(experts), put(logits), p);
        const g = b.gatedMixtureBackward(put(gOut), put(experts), weights, p);
        return [Array.from(await b.read(g.gExperts)), Array.from(await b.read(g.gLogits))];
      };
      const [e32, l32] = await run(be, 'float32'),
        [e64, l64] = await run(ref, 'float64');
      expectClose(e32!, e64!, 1e-6);
      expectClose(l32!, l64!, 1e-5);
    });

    it('rejects sizes that do not match the parameters, naming the kernel', async () => {
      const p = { e: 2, b: 3, d: 4, t: 2, layout: 'EBD' as const, activation: 'none' as const };
      expect(() => be.gatedMixture(up(randomValues(24, F, 1)), up(randomValues(6, F, 2)), p)).toThrow(
        /gatedMixture: gateLogits has 6 elements, expected T·B·E/,
      );
      expect(() => be.gatedMixture(up(randomValues(23, F, 1)), up(randomValues(12, F, 2)), p)).toThrow(
        /gatedMixture: experts has 23 elements/,
      );
      expect(() => be.gatedMixture(up(randomValues(24, F, 1)), up(randomValues(12, F, 2)), { ...p, t: 0 })).toThrow(
        /t = 0 gate sets/,
      );
      expect(() =>
        be.gatedMixture(up(randomValues(24, F, 1)), up(randomValues(12, F, 2)), {
          ...p,
          activation: 'tanh' as 'relu',
        }),
      ).toThrow(/activation 'tanh' must be 'none' or 'relu'/);
    });
  });

  describe('bceWithLogits', () => {
    for (const dtype of FLOATS) {
      it(`loss and gradient match the probability form (${dtype})`, async () => {
        const x = randomValues(17, dtype, 70, -6, 6),
          y = randomValues(17, dtype, 71, 0, 1);
        const sig = x.map((v) => 1 / (1 + Math.exp(-v)));
        const loss = x.map((_, i) => -(y[i]! * Math.log(sig[i]!) + (1 - y[i]!) * Math.log(1 - sig[i]!)));
        expectClose(await read(be.bceWithLogits(up(x, dtype), up(y, dtype))), loss, dtype === 'float32' ? 1e-5 : 1e-10);
        expectClose(
          await read(be.bceWithLogitsGrad(up(x, dtype), up(y, dtype))),
          sig.map((s, i) => s - y[i]!),
          tolerance(dtype),
        );
        expect(await read(be.bceWithLogits(up([], dtype), up([], dtype)))).toEqual([]);
      });
    }

    it('is finite for extreme logits and its gradient is the derivative of the loss', async () => {
      expect(await read(be.bceWithLogits(up([1000, -1000, 1000]), up([1, 0, 0])))).toEqual([0, 0, 1000]);
      expect(await read(be.bceWithLogitsGrad(up([1000, -1000]), up([1, 1])))).toEqual([0, -1]);
      const x = [-2, 0.3, 4],
        y = [0.2, 1, 0],
        h = F === 'float64' ? 1e-6 : 1e-2;
      const g = await read(be.bceWithLogitsGrad(up(x), up(y)));
      for (const [i, v] of x.entries()) {
        const f = async (t: number) => (await read(be.bceWithLogits(up([t]), up([y[i]!]))))[0]!;
        expect(g[i]).toBeCloseTo(((await f(v + h)) - (await f(v - h))) / (2 * h), F === 'float64' ? 8 : 3);
      }
    });
  });

  async function runSteps(
    steps: number,
    dtype: DType,
    init: number[],
    grad: number[],
    update: (p: Storage, g: Storage, step: number) => void,
  ): Promise<number[][]> {
    const p = up(init, dtype),
      g = up(grad, dtype);
    const trajectory: number[][] = [];
    for (let s = 1; s <= steps; s++) {
      update(p, g, s);
      trajectory.push(await read(p));
    }
    return trajectory;
  }

  describe('sgdUpdate', () => {
    it('plain momentum and Nesterov follow the hand-computed trajectory', async () => {
      // p = 1, g = 0.5, lr = 0.1, momentum = 0.9: buf = 0.5, 0.95, 1.355.
      for (const dtype of FLOATS) {
        const buf = be.fill(1, 0, dtype);
        const plain = await runSteps(3, dtype, [1], [0.5], (p, g, s) =>
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
        const nesterov = await runSteps(3, dtype, [1], [0.5], (p, g, s) =>
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

    it('weight decay and dampening (torch: the first step copies the gradient, undamped)', async () => {
      // p = 2, g = 1, lr = 0.5, wd = 0.1, momentum = 0.5, dampening = 0.5:
      // step 1: d = 1.2, buf = 1.2, p = 1.4; step 2: d = 1.14, buf = 0.6 + 0.57 = 1.17, p = 0.815;
      // step 3: d = 1.0815, buf = 0.585 + 0.54075 = 1.12575, p = 0.252125.
      const buf = be.fill(1, 0, F);
      const t = await runSteps(3, F, [2], [1], (p, g, s) =>
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
        tight(1e-14),
      );
      expectClose(await read(buf), [1.12575], tight(1e-14));
    });

    it('without momentum needs no buffer', async () => {
      const t = await runSteps(2, 'float32', [1, -1], [0.5, 2], (p, g) =>
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
    it('Adam with a constant gradient steps by lr (bias correction makes m̂ = g, v̂ = g²)', async () => {
      for (const dtype of FLOATS) {
        const m = be.fill(1, 0, dtype),
          v = be.fill(1, 0, dtype);
        const t = await runSteps(3, dtype, [1], [0.5], (p, g, step) =>
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
          // webgpu computes in float32 throughout (js and native round once per store): a few ulp more per step.
          dtype === 'float32' ? 5e-6 : 1e-6,
        );
        expectClose(await read(m), [0.5 * (1 - 0.9 ** 3)], tolerance(dtype));
        expectClose(await read(v), [0.25 * (1 - 0.999 ** 3)], tolerance(dtype));
      }
    });

    it('AdamW decays the parameter before the step', async () => {
      // p ← p·(1 − lr·wd) − lr·m̂/(√v̂ + eps) with m̂/√v̂ = 1: 0.89, 0.7811, 0.673289.
      const m = be.fill(1, 0, F),
        v = be.fill(1, 0, F);
      const t = await runSteps(3, F, [1], [0.5], (p, g, step) =>
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
        tight(1e-14),
      );
    });

    it('Adam with L2 weight decay follows the textbook recurrences', async () => {
      const lr = 0.01,
        b1 = 0.8,
        b2 = 0.9,
        eps = 1e-3,
        wd = 0.5;
      const init = [1.5, -0.25, 3],
        grad = [0.1, -2, 0.7];
      const m = be.fill(3, 0, F),
        v = be.fill(3, 0, F);
      const t = await runSteps(3, F, init, grad, (p, g, step) =>
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
        expectClose(t[s - 1]!, p, tight(1e-13));
      }
    });
  });

  describe('adagradUpdate', () => {
    it('follows the hand-computed trajectory, with and without lr decay', async () => {
      // p = 1, g = 0.5, lr = 0.1: sum = 0.25, 0.5, 0.75; p −= clr·0.5/√sum.
      const s1 = be.fill(1, 0, F);
      const t = await runSteps(3, F, [1], [0.5], (p, g, step) =>
        be.adagradUpdate(p, g, s1, { lr: 0.1, eps: 0, weightDecay: 0, lrDecay: 0, step }),
      );
      const p2 = 0.9 - 0.05 / Math.sqrt(0.5),
        p3 = p2 - 0.05 / Math.sqrt(0.75);
      expectClose(
        t.map((x) => x[0]!),
        [0.9, p2, p3],
        tight(1e-15),
      );
      expectClose(await read(s1), [0.75], tight(1e-15));

      // lr decay 0.5: clr = 0.1, 0.1/1.5, 0.1/2; weight decay 0.2 adds 0.2·p to the gradient.
      const s2 = be.fill(1, 0, 'float32');
      const td = await runSteps(3, 'float32', [1], [0.5], (p, g, step) =>
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
    // A fixed-length list (a captured step's input) pads with -1, skipped: the same rows, the same numbers.
    it.each([
      ['a row list', [3, 0]],
      ['a padded row list (-1 entries skipped)', [-1, 3, -1, 0, -1, -1, -1]],
      ['only padding', [-1, -1]],
    ])('update only the selected rows, exactly as a full update would: %s', async (_what, selected) => {
      const rows = 5,
        rowSize = 3,
        n = rows * rowSize;
      const init = randomValues(n, F, 80),
        grad = randomValues(n, F, 81);
      const sel = { rows: up(selected, 'int32'), rowSize };
      const inSelection = (i: number) => selected.includes(Math.floor(i / rowSize));

      const cases: [string, (p: Storage, g: Storage, lazy: boolean) => Storage[]][] = [
        [
          'sgd',
          (p, g, lazy) => {
            const buf = be.fill(n, 0, F);
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
            const m = be.fill(n, 0, F),
              v = be.fill(n, 0, F);
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
            const s = be.fill(n, 0, F);
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
        const fullState = await Promise.all(run(full, up(grad), false).map(read));
        const lazyState = await Promise.all(run(lazy, up(grad), true).map(read));
        const fp = await read(full),
          lp = await read(lazy);
        for (let i = 0; i < n; i++) {
          expect(lp[i], `${name} param ${i}`).toBe(inSelection(i) ? fp[i] : init[i]);
          fullState.forEach((st, k) => expect(lazyState[k]![i], `${name} state ${i}`).toBe(inSelection(i) ? st[i] : 0));
        }
      }
    });

    it('rejects rows out of range and a rowSize that does not divide the size', async () => {
      const p = { lr: 0.1, eps: 0, weightDecay: 0, lrDecay: 0, step: 1 };
      // At the op (js, native) or at the next read (webgpu, flagged by the shader); the rows in range are updated.
      const param = up([1, 2, 3, 4]);
      const updated = async (rows: number[]) => {
        be.adagradUpdate(param, up([1, 1, 1, 1]), up([0, 0, 0, 0]), p, { rows: up(rows, 'int32'), rowSize: 2 });
        return read(param);
      };
      await expect(updated([0, 2])).rejects.toThrow('adagradUpdate: row 2 (at position 1) out of range [0, 2)');
      await expect(updated([-2])).rejects.toThrow('adagradUpdate: row -2 (at position 0) out of range [0, 2)');
      await expect(updated([-1, 0, -7])).rejects.toThrow('adagradUpdate: row -7 (at position 2) out of range [0, 2)');
      const sgd = { lr: 1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true };
      const q = up([1, 2, 3, 4]);
      await expect(
        (async () => {
          be.sgdUpdate(q, up([1, 1, 1, 1]), null, sgd, { rows: up([1, 7], 'int32'), rowSize: 2 });
          return read(q);
        })(),
      ).rejects.toThrow('sgdUpdate: row 7 (at position 1) out of range [0, 2)');
      expect(() =>
        be.adagradUpdate(up([1, 2, 3]), up([1, 1, 1]), up([0, 0, 0]), p, { rows: up([0], 'int32'), rowSize: 2 }),
      ).toThrow(/rowSize 2 does not divide/);
    });

    it('optimizers reject mismatched buffers', async () => {
      expect(() =>
        be.adamUpdate(up([1], 'float32'), up([1], 'float32'), up([0], 'int32'), up([0], 'float32'), {
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
});
