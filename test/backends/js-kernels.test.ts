/**
 * Tests only the js reference backend has: storage bookkeeping, erf, Philox, rounding once from double, the GEMM's
 * cache blocks and the buffer pool. Every kernel's behaviour on odd, empty and broadcast shapes is in
 * kernels.test.ts, which runs it on every backend against the naive references in naive.ts.
 */
import { describe, expect, it } from 'vitest';
import type { DType, Storage } from '../../src/backends/kernels.js';
import { KERNEL_NAMES } from '../../src/backends/kernels.js';
import { JsBackend, createJsBackend, erf, erfc } from '../../src/backends/js/index.js';
import { mulhi32, philox4x32, philox4x32Full } from '../../src/backends/philox.js';
import { prng as rng } from '../conformance/harness.js';
import { checked } from '../../src/backends/checked.js';
import { arrayOf, naiveMatmul, randomValues } from './naive.js';

/** The reference backend behind the validating layer, as the engine registers it. */
const be = checked(new JsBackend());
const ALL: DType[] = ['float32', 'float64', 'int32'];

function up(values: ArrayLike<number>, dtype: DType = 'float64'): Storage {
  return be.upload(arrayOf(dtype, values), dtype);
}

function read(s: Storage): number[] {
  return Array.from(be.readSync(s));
}

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

describe('unary', () => {
  it('stores float32 results rounded from the double computation', () => {
    const xs = randomValues(17, 'float32', 3);
    expect(read(be.unary('exp', up(xs, 'float32')))).toEqual(xs.map((x) => Math.fround(Math.exp(x))));
  });
});

describe('matmul', () => {
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
