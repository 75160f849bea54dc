/**
 * The native backend's kernels against the js reference backend: every kernel the addon implements, on odd
 * shapes (1, 3, 7, 17, 33, 65, 257 and sizes that are not multiples of the GEMM tiles), empty tensors, all four
 * transposes, batched / broadcast batches, fused epilogues, and both 1 and all threads. Philox output must be
 * bit-identical to the TypeScript reference. Without the addon the whole file is skipped with a visible reason,
 * unless MTGRAD_REQUIRE names `native`, in which case it fails.
 */
import { describe, expect, it } from 'vitest';
import type {
  Activation,
  Backend,
  BinaryOp,
  DType,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
} from '../../src/backends/kernels.js';
import { UNARY_OPS } from '../../src/backends/kernels.js';
import { JsBackend } from '../../src/backends/js/index.js';
import {
  addonPath,
  loadAddon,
  missingFromAddon,
  NativeBackend,
  NEEDED_OPS,
  type NativeAddon,
} from '../../src/backends/native/index.js';
import { opCodes } from '../../src/backends/native/addon.js';
import { philox4x32 } from '../../src/backends/philox.js';
import { prng as rng } from '../conformance/harness.js';
import { checked } from '../../src/backends/checked.js';
import { expectClose } from '../conformance/compare.js';
import { requiredBackends } from '../conformance/required.js';

const required = requiredBackends.has('native');

let addon: NativeAddon | null = null;
let reason = '';
try {
  addon = loadAddon();
} catch (e) {
  reason = (e as Error).message;
  console.warn(`[mtgrad native tests] SKIPPING: ${reason}`);
}

it('native addon is available (required when MTGRAD_REQUIRE includes native)', () => {
  if (required) expect(addon, `MTGRAD_REQUIRE includes 'native' but: ${reason}`).not.toBeNull();
});

const js = checked(new JsBackend());

function values(n: number, seed: number, lo = -2, hi = 2): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

function arrayOf(dtype: DType, v: ArrayLike<number>): TypedArray {
  return dtype === 'float32' ? Float32Array.from(v) : dtype === 'float64' ? Float64Array.from(v) : Int32Array.from(v);
}

describe.skipIf(!addon)(`native backend kernels (${addon ? addonPath() : reason})`, () => {
  const nat = checked(new NativeBackend(addon!));
  // The callback still runs (to collect skipped tests) when the addon is missing: nothing here may touch it.
  const threadCounts = addon ? [1, Math.max(2, addon.info().threads)] : [1];

  function both(dtype: DType, v: ArrayLike<number>): [Storage, Storage] {
    return [nat.upload(arrayOf(dtype, v), dtype), js.upload(arrayOf(dtype, v), dtype)];
  }
  const read = (s: Storage): TypedArray => (s.backend === 'native' ? nat.readSync(s) : js.readSync(s));

  it('reports the ISA it dispatched to', () => {
    const info = nat.info();
    expect(info.name).toBe('native');
    expect(['generic', 'avx2', 'avx512']).toContain(info.isa);
    expect(info.description).toMatch(/kernels=/);
    // CI runs this file once per variant with MTGRAD_ISA set: the override must really have taken effect.
    const forced = process.env.MTGRAD_ISA;
    if (forced) expect(info.isa).toBe(forced);
  });

  // ---------------- matmul ----------------
  describe('matmul', () => {
    const SHAPES: [number, number, number][] = [
      [1, 1, 1],
      [3, 7, 5],
      [7, 17, 33],
      [17, 33, 65],
      [33, 65, 7],
      [65, 257, 17],
      [257, 65, 33],
      [1, 257, 65],
      [65, 1, 257],
      [2, 300, 70],
      [100, 300, 200],
      [97, 513, 131],
      [300, 520, 300],
      [13, 20, 4100],
      // More than one block of every GEMM loop (MC = 392, KC = 512, NC = 512 rows / depth / columns).
      [400, 530, 520],
    ];
    const TRANS: [boolean, boolean][] = [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ];
    const tol = (k: number): [number, number] => [1e-5, 2e-6 * k + 1e-6];

    function check(
      dtype: DType,
      batch: number,
      m: number,
      k: number,
      n: number,
      transA: boolean,
      transB: boolean,
      opts: { aStride?: number; bStride?: number; bias?: boolean; activation?: Activation } = {},
    ): void {
      const aStride = opts.aStride ?? m * k,
        bStride = opts.bStride ?? k * n;
      const aLen = aStride === 0 ? m * k : batch * m * k,
        bLen = bStride === 0 ? k * n : batch * k * n;
      const seed = batch * 1e6 + m * 1e4 + k * 100 + n;
      const [an, aj] = both(dtype, values(aLen, seed, -1, 1));
      const [bn, bj] = both(dtype, values(bLen, seed + 1, -1, 1));
      const [biasN, biasJ] = opts.bias ? both(dtype, values(n, seed + 2)) : [undefined, undefined];
      const p = {
        batch,
        m,
        k,
        n,
        transA,
        transB,
        aBatchStride: aStride,
        bBatchStride: bStride,
        activation: opts.activation,
      };
      const want = read(js.matmul(aj, bj, { ...p, bias: biasJ }));
      const got = read(nat.matmul(an, bn, { ...p, bias: biasN }));
      const [rtol, atol] = dtype === 'float64' ? [1e-12, 1e-12 * k] : tol(k);
      expectClose(
        got,
        want,
        rtol,
        atol,
        `${dtype} ${batch}x${m}x${k}x${n} tA=${transA} tB=${transB} ${JSON.stringify(opts)}`,
      );
    }

    for (const threads of threadCounts) {
      it(`float32, odd shapes x 4 transposes (${threads} thread(s))`, () => {
        nat.inner.setNumThreads(threads);
        for (const [m, k, n] of SHAPES) for (const [ta, tb] of TRANS) check('float32', 1, m, k, n, ta, tb);
      });
    }

    it('float32 empty products: m, n or k = 0 (k = 0 gives zeros, then the epilogue)', () => {
      for (const [m, k, n] of [
        [0, 5, 3],
        [4, 5, 0],
        [4, 0, 3],
        [0, 0, 0],
      ] as const) {
        for (const [ta, tb] of TRANS) check('float32', 1, m, k, n, ta, tb);
        check('float32', 2, m, k, n, false, false, { bias: true, activation: 'sigmoid' });
      }
    });

    it('batched, with broadcast (stride 0) a or b, small and packed paths', () => {
      for (const threads of threadCounts) {
        nat.inner.setNumThreads(threads);
        for (const [m, k, n] of [
          [4, 5, 6],
          [3, 7, 1],
          [65, 129, 70],
          [130, 40, 50],
        ] as const) {
          for (const [ta, tb] of TRANS) {
            check('float32', 3, m, k, n, ta, tb);
            check('float32', 3, m, k, n, ta, tb, { aStride: 0 });
            check('float32', 3, m, k, n, ta, tb, { bStride: 0 });
          }
        }
        check('float32', 64, 8, 8, 8, false, true);
        // Mid-sized products, many of them: one thread per product, each with its own packed buffers.
        for (const [ta, tb] of TRANS)
          check('float32', 12, 65, 129, 70, ta, tb, { bStride: 0, bias: true, activation: 'relu' });
      }
    });

    it('fused epilogue: bias and every activation, on tile edges', () => {
      for (const activation of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as Activation[]) {
        for (const [m, k, n] of [
          [3, 7, 5],
          [33, 65, 7],
          [100, 300, 200],
          [257, 257, 65],
        ] as const) {
          check('float32', 1, m, k, n, false, false, { bias: true, activation });
          check('float32', 2, m, k, n, true, true, { bias: false, activation });
        }
      }
    });

    it('results do not depend on the thread count', () => {
      const [a] = both('float32', values(300 * 400, 7));
      const [b] = both('float32', values(400 * 500, 8));
      const p = { batch: 1, m: 300, k: 400, n: 500, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      nat.inner.setNumThreads(1);
      const one = read(nat.matmul(a, b, p));
      nat.inner.setNumThreads(threadCounts[1]!);
      const all = read(nat.matmul(a, b, p));
      expect(Buffer.from(all.buffer).equals(Buffer.from(one.buffer))).toBe(true);
      // Several K and NC blocks (the last K block shorter), fused epilogue, transposes, and more threads than cores (the work-claiming
      // multi-threaded path): bit-identical to one thread.
      const [a2] = both('float32', values(400 * 1100, 9)),
        [b2] = both('float32', values(1100 * 1050, 10));
      const [bias] = both('float32', values(1050, 11));
      for (const [transA, transB] of [
        [false, false],
        [true, true],
      ] as const) {
        const p2 = {
          batch: 1,
          m: 400,
          k: 1100,
          n: 1050,
          transA,
          transB,
          aBatchStride: 0,
          bBatchStride: 0,
          bias,
          activation: 'relu' as const,
        };
        nat.inner.setNumThreads(1);
        const ref = read(nat.matmul(a2, b2, p2));
        // Repeated: a race between tasks (e.g. on the shared packed buffers) shows up only now and then.
        for (const t of [2, 3, 5, 2, 3, 5, 2, 3]) {
          nat.inner.setNumThreads(t);
          const got = read(nat.matmul(a2, b2, p2));
          expect(Buffer.from(got.buffer).equals(Buffer.from(ref.buffer)), `${t} threads tA=${transA}`).toBe(true);
        }
      }
      nat.inner.setNumThreads(threadCounts[1]!);
    });

    // Skinny products (one side <= 64, e.g. MMoE gates, towers and their weight gradients) take the unpacked
    // register-blocked kernels: short sides around their 7-row / 64-column / 3x8 blocks, long and odd depths.
    for (const threads of threadCounts) {
      it(`float32 skinny shapes x 4 transposes, with bias + activation (${threads} thread(s))`, () => {
        nat.inner.setNumThreads(threads);
        const acts: Activation[] = ['none', 'relu', 'sigmoid', 'tanh', 'gelu'];
        let q = 0;
        for (const s of [1, 3, 7, 8, 17, 63, 64, 65]) {
          for (const k of [1, 513, 1024]) {
            for (const [ta, tb] of TRANS) {
              const activation = acts[q++ % acts.length]!;
              check('float32', 1, s, k, 300, ta, tb, { bias: q % 2 === 0, activation });
              check('float32', 1, 300, k, s, ta, tb, { bias: q % 2 === 1, activation });
            }
          }
        }
        // The MMoE "wide" shapes themselves (gate, towers and their gradients).
        for (const [m, k, n, ta, tb] of [
          [8, 1024, 512, true, false],
          [1024, 512, 8, false, true],
          [64, 1024, 256, true, false],
          [1024, 256, 64, false, true],
          [1024, 64, 256, false, false],
          [1, 1024, 64, true, false],
          [1024, 64, 1, false, true],
          [1024, 1, 64, false, false],
          // paper-small's towers (k below one vector: rowb over the transposed B, not dot) and odd short k.
          [1024, 4, 8, false, true],
          [1024, 8, 1, false, true],
          [1021, 5, 13, false, true],
          [13, 15, 300, false, true],
        ] as const) {
          check('float32', 1, m, k, n, ta, tb);
          check('float32', 1, m, k, n, ta, tb, { bias: true, activation: 'relu' });
        }
        nat.inner.setNumThreads(threadCounts[1]!);
      });
    }

    it('skinny products: bit-identical whatever the thread count', () => {
      for (const [m, k, n, ta, tb] of [
        [8, 1024, 512, true, false],
        [1024, 512, 8, false, true],
        [64, 1024, 256, true, false],
        [1024, 256, 64, false, true],
        [65, 513, 300, false, false],
        [300, 513, 17, true, true],
      ] as const) {
        const [a] = both('float32', values(m * k, m + k)),
          [b] = both('float32', values(k * n, k + n));
        const p = { batch: 1, m, k, n, transA: ta, transB: tb, aBatchStride: 0, bBatchStride: 0 };
        nat.inner.setNumThreads(1);
        const ref = read(nat.matmul(a, b, p));
        for (const t of [2, 3, 5, 2]) {
          nat.inner.setNumThreads(t);
          const got = read(nat.matmul(a, b, p));
          expect(Buffer.from(got.buffer).equals(Buffer.from(ref.buffer)), `${m}x${k}x${n} ${t} threads`).toBe(true);
        }
      }
      nat.inner.setNumThreads(threadCounts[1]!);
    });

    it('float64 (blocked loop) matches the reference', () => {
      for (const [m, k, n] of [
        [1, 1, 1],
        [7, 17, 33],
        [65, 130, 33],
      ] as const) {
        for (const [ta, tb] of TRANS) check('float64', 2, m, k, n, ta, tb, { bias: true, activation: 'tanh' });
      }
    });

    it('int32 falls back to the js kernel', () => {
      const [an, aj] = both('int32', [1, 2, 3, 4, 5, 6]);
      const p = { batch: 1, m: 2, k: 3, n: 2, transA: false, transB: true, aBatchStride: 6, bBatchStride: 6 };
      expect(Array.from(read(nat.matmul(an, an, p)))).toEqual(Array.from(read(js.matmul(aj, aj, p))));
    });
  });

  // ---------------- elementwise ----------------
  const SPECIAL = [
    0,
    -0,
    1,
    -1,
    0.5,
    -0.5,
    1.5,
    -2.5,
    1e-8,
    -1e-8,
    1e-30,
    30,
    -30,
    88,
    -88,
    100,
    -100,
    1e30,
    -1e30,
    Infinity,
    -Infinity,
    NaN,
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: an input value, not an approximation of π
    3.14159,
    1e-40,
  ];

  describe('unary', () => {
    const OPS: readonly UnaryOp[] = UNARY_OPS;
    for (const op of OPS) {
      it(op, () => {
        const domain = op === 'log' || op === 'sqrt' || op === 'rsqrt' || op === 'log1p' ? [0, 10] : [-6, 6];
        for (const n of [0, 1, 7, 33, 257, 70000]) {
          const v = n < 100 ? values(n, n + 3, domain[0], domain[1]) : values(n, n, domain[0], domain[1]);
          if (n === 33) v.splice(0, SPECIAL.length, ...SPECIAL);
          const [xn, xj] = both('float32', v);
          const args = op === 'elu' ? { alpha: 0.7 } : op === 'leakyRelu' ? { alpha: 0.2 } : undefined;
          const want = read(js.unary(op, xj, args)),
            got = read(nat.unary(op, xn, args));
          // Trigonometric functions of huge arguments are ill-conditioned: compared with an absolute tolerance.
          // geluTanh's tail is x·sigmoid(2u) with |2u| up to ~40: float32 rounding of u is amplified ~40x there.
          const rtol = op === 'geluTanh' ? 2e-5 : 4e-6;
          expectClose(got, want, rtol, op === 'sin' || op === 'cos' ? 1e-6 : 1e-30, `${op} n=${n}`);
        }
      });
    }
    it('int32 and float64 inputs fall back to js', () => {
      const [xn, xj] = both('int32', [-3, 0, 5]);
      expect(Array.from(read(nat.unary('abs', xn)))).toEqual(Array.from(read(js.unary('abs', xj))));
      const [yn, yj] = both('float64', [0.1, 2]);
      expect(Array.from(read(nat.unary('exp', yn)))).toEqual(Array.from(read(js.unary('exp', yj))));
    });
  });

  describe('binary', () => {
    const OPS: BinaryOp[] = [
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
    const CASES: [number[], number[], number[]][] = [
      [[7], [7], [7]],
      [[1], [33], [33]],
      [[33], [1], [33]],
      [
        [3, 1, 5],
        [1, 4, 5],
        [3, 4, 5],
      ],
      [
        [2, 3, 1],
        [1, 1, 4],
        [2, 3, 4],
      ],
      [
        [17, 65],
        [17, 65],
        [17, 65],
      ],
      [
        [1, 65],
        [17, 1],
        [17, 65],
      ],
      [
        [2, 1, 3, 1],
        [1, 4, 1, 5],
        [2, 4, 3, 5],
      ],
      [
        [0, 3],
        [1, 3],
        [0, 3],
      ],
      [[], [], []],
      [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      [
        [300, 257],
        [1, 257],
        [300, 257],
      ],
    ];
    for (const op of OPS) {
      it(op, () => {
        for (const [as, bs, os] of CASES) {
          const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
          const lo = op === 'pow' ? 0.1 : -3;
          const av = values(size(as), size(as) + 11, lo, 3).map((x) =>
            op === 'eq' || op === 'ne' ? Math.round(x) : x,
          );
          const bv = values(size(bs), size(bs) + 12, op === 'pow' ? -2 : -3, 3).map((x) =>
            op === 'eq' || op === 'ne' ? Math.round(x) : x,
          );
          if (size(as) >= 7 && size(bs) >= 7) {
            av.splice(0, 4, NaN, 0, -0, Infinity);
            bv.splice(0, 4, 1, -0, 0, 2);
          }
          const [an, aj] = both('float32', av),
            [bn, bj] = both('float32', bv);
          const want = read(js.binary(op, aj, bj, as, bs, os)),
            got = read(nat.binary(op, an, bn, as, bs, os));
          expectClose(got, want, 2e-6, 1e-30, `${op} ${JSON.stringify([as, bs])}`);
          if (op === 'minimum' || op === 'maximum') {
            for (let i = 0; i < want.length; i++)
              expect(Object.is(got[i], want[i]), `${op} signed zero at ${i}`).toBe(true);
          }
        }
      });
    }
    it('small exact ops computed in JS (no addon crossing) are bit-identical to the addon kernel', () => {
      // NativeBackend runs tiny add/sub/mul/div/comparisons as JS loops; the addon must give the same bits.
      const codes = opCodes<BinaryOp>(addon!.opNames.binary);
      const special = [NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-40, 3.4e38, -3.4e38, 1 / 3, 16777217, 0.1];
      const n = 97;
      const av = [...special, ...values(n - special.length, 5, -1e3, 1e3)];
      const bv = [...special.slice().reverse(), ...values(n - special.length, 6, -2, 2)];
      bv[20] = av[20]; // equal operands for the comparisons
      for (const op of ['add', 'sub', 'mul', 'div', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as BinaryOp[]) {
        for (const [bShape, bVals] of [
          [[n], bv],
          [[1], [bv[3]!]],
          [[1], [-0]],
        ] as [number[], number[]][]) {
          const a = Float32Array.from(av),
            b = Float32Array.from(bVals);
          const viaAddon = new Float32Array(n);
          addon!.binary(codes[op], a, b, viaAddon, [n], bShape, [n]);
          const [an, bn] = [nat.upload(a, 'float32'), nat.upload(b, 'float32')];
          const viaJs = read(nat.binary(op, an, bn, [n], bShape, [n]));
          const bits = (x: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(x).buffer));
          expect(bits(viaJs), `${op} b=${JSON.stringify(bShape)}`).toEqual(bits(viaAddon));
        }
      }
    });
    it('rejects shapes that do not broadcast, before reaching C++', () => {
      const [a] = both('float32', [1, 2, 3]);
      expect(() => nat.binary('add', a, a, [3], [3], [4])).toThrow(/broadcast/);
    });
  });

  // ---------------- reductions ----------------
  describe('reduce and softmax', () => {
    const OPS: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];
    const GEOMS: [number, number, number][] = [
      [1, 1, 1],
      [1, 7, 1],
      [3, 257, 1],
      [1, 1000, 1],
      [4, 17, 33],
      [1, 65, 3000],
      [5, 3, 7],
      [0, 4, 3],
      [2, 3, 0],
      [65, 33, 1],
    ];
    for (const op of OPS) {
      it(op, () => {
        for (const [outer, n, inner] of GEOMS) {
          const v = values(outer * n * inner, outer + n + inner, op === 'prod' ? 0.5 : -3, op === 'prod' ? 1.5 : 3);
          const [xn, xj] = both('float32', v);
          const want = read(js.reduce(op, xj, outer, n, inner)),
            got = read(nat.reduce(op, xn, outer, n, inner));
          expectClose(got, want, 1e-6, 1e-6, `${op} [${outer},${n},${inner}]`);
        }
        if (op === 'sum' || op === 'prod') {
          const [xn, xj] = both('float32', []);
          expect(Array.from(read(nat.reduce(op, xn, 3, 0, 2)))).toEqual(Array.from(read(js.reduce(op, xj, 3, 0, 2))));
        }
      });
    }
    it('NaN is the extreme of max/min/argmax/argmin (first NaN wins)', () => {
      const v = [1, 5, NaN, 7, NaN, -2, 3, 4, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 0, 1];
      for (const op of OPS) {
        for (const [outer, n, inner] of [
          [1, 20, 1],
          [2, 5, 2],
          [1, 2, 10],
        ] as const) {
          const [xn, xj] = both('float32', v);
          expectClose(
            read(nat.reduce(op, xn, outer, n, inner)),
            read(js.reduce(op, xj, outer, n, inner)),
            1e-6,
            1e-6,
            `${op} NaN`,
          );
        }
      }
    });
    it('softmax and logSoftmax rows', () => {
      for (const log of [false, true]) {
        for (const [rows, n] of [
          [1, 1],
          [3, 7],
          [17, 300],
          [0, 5],
          [4, 0],
          [2, 1000],
        ] as const) {
          const v = values(rows * n, rows * 31 + n, -20, 20);
          const [xn, xj] = both('float32', v);
          expectClose(
            read(nat.softmax(xn, rows, n, log)),
            read(js.softmax(xj, rows, n, log)),
            5e-6,
            1e-7,
            `softmax log=${log} [${rows},${n}]`,
          );
        }
      }
    });
  });

  // ---------------- gather / scatterAdd ----------------
  it('gather for every dtype, with repeated indices; out-of-range indices throw', () => {
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      for (const [outer, n, inner, idx] of [
        [1, 5, 3, [4, 0, 4, 2]],
        [3, 7, 1, [6, 6, 0]],
        [2, 17, 33, [16, 3]],
        [1, 4, 2, []],
        [0, 4, 2, [1]],
      ] as const) {
        const v = values(outer * n * inner, n, -100, 100).map(Math.round);
        const [xn, xj] = both(dtype, v),
          [in_, ij] = both('int32', idx);
        expect(Array.from(read(nat.gather(xn, in_, outer, n, inner)))).toEqual(
          Array.from(read(js.gather(xj, ij, outer, n, inner))),
        );
      }
    }
    const [x] = both('float32', [1, 2, 3]),
      [bad] = both('int32', [0, 3]),
      [neg] = both('int32', [-1]);
    expect(() => nat.gather(x, bad, 1, 3, 1)).toThrow(/out of range/);
    expect(() => nat.gather(x, neg, 1, 3, 1)).toThrow(/out of range/);
  });

  // ---------------- copies (permute, broadcastTo, slice, sliceWrite, concat) and where ----------------
  describe('data movement and where', () => {
    const DTYPES: DType[] = ['float32', 'float64', 'int32'];
    const size = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
    const ints = (n: number, seed: number) => values(n, seed, -1000, 1000).map(Math.round);
    /** Runs `f` on both backends after leaving a junk buffer of `outSize` in the native pool (outputs must overwrite it). */
    function same(
      what: string,
      outSize: number,
      f: (be: Backend, x: (v: number[], dtype: DType) => Storage) => Storage,
      dtype: DType,
    ): void {
      nat.dispose(nat.fill(outSize, 12345, dtype));
      const got = read(f(nat, (v, dt) => nat.upload(arrayOf(dt, v), dt)));
      const want = read(f(js, (v, dt) => js.upload(arrayOf(dt, v), dt)));
      expect(Array.from(got), what).toEqual(Array.from(want));
    }
    for (const threads of threadCounts) {
      it(`permute, every dtype, odd shapes and transposes (${threads} thread(s))`, () => {
        nat.inner.setNumThreads(threads);
        const CASES: [number[], number[]][] = [
          [[7], [0]],
          [
            [3, 5],
            [1, 0],
          ],
          [
            [17, 33],
            [1, 0],
          ],
          [
            [2, 3, 4],
            [2, 0, 1],
          ],
          [
            [9, 8, 33],
            [1, 0, 2],
          ],
          [
            [5, 1, 7, 3],
            [3, 2, 1, 0],
          ],
          [
            [0, 3],
            [1, 0],
          ],
          [[], []],
          [
            [65, 257],
            [1, 0],
          ],
          [
            [33, 65, 17],
            [1, 0, 2],
          ],
          [
            [33, 65, 17],
            [2, 1, 0],
          ],
          [
            [8, 129, 64],
            [1, 0, 2],
          ],
          [
            [3, 9, 11, 2],
            [0, 2, 1, 3],
          ],
        ];
        for (const dtype of DTYPES) {
          for (const [shape, perm] of CASES) {
            const v = ints(size(shape), size(shape) + 3);
            same(
              `permute ${dtype} [${shape}] (${perm})`,
              size(shape),
              (be, up) => be.permute(up(v, dtype), shape, perm),
              dtype,
            );
          }
        }
        nat.inner.setNumThreads(addon!.info().threads);
      });
      it(`broadcastTo, slice, sliceWrite, concat, every dtype (${threads} thread(s))`, () => {
        nat.inner.setNumThreads(threads);
        for (const dtype of DTYPES) {
          const BCAST: [number[], number[]][] = [
            [[1], [7]],
            [
              [3, 1],
              [3, 5],
            ],
            [
              [1, 4, 1],
              [3, 4, 5],
            ],
            [
              [1, 1],
              [17, 65],
            ],
            [[], []],
            [
              [2, 1, 3],
              [2, 0, 3],
            ],
            [
              [1, 300],
              [257, 300],
            ],
            [
              [7, 1, 33],
              [7, 129, 33],
            ],
          ];
          for (const [i, o] of BCAST) {
            const v = ints(size(i), size(i) + 5);
            same(`broadcastTo ${dtype} [${i}]->[${o}]`, size(o), (be, up) => be.broadcastTo(up(v, dtype), i, o), dtype);
          }
          const SLICES: [number[], number[], number[], number[]][] = [
            [
              [17, 33],
              [1, 2],
              [2, 3],
              [8, 10],
            ],
            [[7], [6], [1], [1]],
            [
              [4, 5, 6],
              [0, 1, 2],
              [1, 1, 1],
              [4, 3, 4],
            ],
            [
              [3, 4],
              [0, 0],
              [1, 1],
              [0, 2],
            ],
            [
              [257, 300],
              [3, 0],
              [1, 1],
              [250, 300],
            ],
            [
              [129, 65, 9],
              [1, 3, 0],
              [2, 1, 4],
              [64, 60, 3],
            ],
            [
              [1024, 130],
              [0, 65],
              [1, 1],
              [1024, 65],
            ],
          ];
          for (const [shape, begin, step, out] of SLICES) {
            const v = ints(size(shape), size(shape) + 7);
            same(
              `slice ${dtype} [${shape}] ${begin}/${step}`,
              size(out),
              (be, up) => be.slice(up(v, dtype), shape, begin, step, out),
              dtype,
            );
            const sv = ints(size(out), size(out) + 9);
            same(
              `sliceWrite ${dtype} [${shape}] ${begin}/${step}`,
              size(shape),
              (be, up) => be.sliceWrite(up(sv, dtype), out, shape, begin, step),
              dtype,
            );
          }
          const CONCATS: [number, number[]][] = [
            [3, [2, 0, 5]],
            [0, [3, 4]],
            [17, [33, 1, 65]],
            [1, [7]],
            [1000, [64, 1, 65]],
          ];
          for (const [outer, widths] of CONCATS) {
            const total = widths.reduce((x, y) => x + y, 0);
            same(
              `concat ${dtype} ${outer}x[${widths}]`,
              outer * total,
              (be, up) =>
                be.concat(
                  widths.map((w, t) => up(ints(outer * w, w + t), dtype)),
                  outer,
                  widths,
                ),
              dtype,
            );
          }
        }
        nat.inner.setNumThreads(addon!.info().threads);
      });
      it(`where: float32/int32/float64 conditions (NaN true, -0 false), broadcasting (${threads} thread(s))`, () => {
        nat.inner.setNumThreads(threads);
        const CASES: [number[], number[], number[], number[]][] = [
          [[7], [7], [7], [7]],
          [[1], [33], [1], [33]],
          [[33], [1], [33], [33]],
          [
            [3, 1, 5],
            [1, 4, 5],
            [3, 4, 1],
            [3, 4, 5],
          ],
          [
            [17, 65],
            [17, 65],
            [17, 65],
            [17, 65],
          ],
          [
            [1, 65],
            [17, 1],
            [1, 1],
            [17, 65],
          ],
          [
            [0, 3],
            [1, 3],
            [0, 3],
            [0, 3],
          ],
          [[], [], [], []],
          [
            [300, 257],
            [1, 257],
            [300, 257],
            [300, 257],
          ],
          [
            [2, 1, 3, 1],
            [1, 4, 1, 5],
            [2, 4, 3, 5],
            [2, 4, 3, 5],
          ],
        ];
        for (const cdt of DTYPES) {
          for (const dtype of DTYPES) {
            for (const [cs, as, bs, os] of CASES) {
              const cv: number[] = values(size(cs), size(cs) + 1, -1, 1).map((x) =>
                x > 0.3 ? 1 : x < -0.3 ? 0 : x > 0 ? -0 : 2,
              );
              if (cdt !== 'int32' && cv.length >= 3) cv.splice(0, 3, NaN, -0, 0);
              const av = ints(size(as), size(as) + 2),
                bv = ints(size(bs), size(bs) + 4);
              same(
                `where cond ${cdt} ${dtype} ${JSON.stringify([cs, as, bs])}`,
                size(os),
                (be, up) => be.where(up(cv, cdt), up(av, dtype), up(bv, dtype), cs, as, bs, os),
                dtype,
              );
            }
          }
        }
        nat.inner.setNumThreads(addon!.info().threads);
      });
    }
    it('rejects bad geometry before reaching C++, and the addon re-checks its bounds', () => {
      const [x] = both('float32', values(12, 1));
      expect(() => nat.permute(x, [3, 4], [0, 0])).toThrow(/not a permutation/);
      expect(() => nat.permute(x, [3, 5], [1, 0])).toThrow(/elements/);
      expect(() => nat.broadcastTo(x, [3, 4], [3, 5])).toThrow(/broadcast/);
      expect(() => nat.slice(x, [3, 4], [0, 2], [1, 2], [3, 2])).toThrow(/beyond its size/);
      expect(() => nat.sliceWrite(x, [3, 4], [3, 4], [1, 0], [1, 1])).toThrow(/beyond its size/);
      expect(() => nat.concat([x, x], 3, [4, 5])).toThrow(/elements/);
      expect(() => nat.where(x, x, x, [12], [12], [12], [13])).toThrow(/broadcast/);
      const f = new Float32Array(12);
      expect(() => addon!.copyStrided(f, f, [3, 4], [4, 1], 1, null, 0)).toThrow(RangeError);
      expect(() => addon!.copyStrided(f, f, [3, 4], [4, 1], 0, [4, 2], 0)).toThrow(RangeError);
      expect(() => addon!.copyStrided(f, new Float64Array(12), [3, 4], [4, 1], 0, null, 0)).toThrow(TypeError);
      expect(() => addon!.where(f, f, f, f, [12], [12], [12], [13])).toThrow(RangeError);
      expect(() => addon!.where(f, f, f, new Float32Array(11), [12], [12], [12], [12])).toThrow(RangeError);
    });
  });

  it('scatterAdd sums duplicates (float32, float64; int32 via js)', () => {
    for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
      for (const [outer, n, inner, idx] of [
        [1, 5, 3, [4, 0, 4, 2]],
        [3, 7, 1, [6, 6, 0]],
        [2, 17, 33, [16, 3, 16]],
        [1, 4, 2, []],
      ] as const) {
        const v = values(outer * idx.length * inner, n + 1, -10, 10).map((x) =>
          dtype === 'int32' ? Math.round(x) : x,
        );
        const [sn, sj] = both(dtype, v),
          [in_, ij] = both('int32', idx);
        expectClose(
          read(nat.scatterAdd(sn, in_, outer, n, inner)),
          read(js.scatterAdd(sj, ij, outer, n, inner)),
          1e-6,
          1e-6,
          `scatterAdd ${dtype}`,
        );
      }
    }
  });

  // ---------------- random ----------------
  it('Philox4x32-10 blocks are bit-identical to the TypeScript reference', () => {
    const want = new Uint32Array(4),
      got = new Uint32Array(4);
    const r = rng(99);
    const cases: [number, number, number, number][] = [
      [0, 0, 0, 0],
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    ];
    for (let i = 0; i < 200; i++)
      cases.push([0, 0, 0, 0].map(() => Math.floor(r() * 4294967296)) as [number, number, number, number]);
    for (const [c0, c1, k0, k1] of cases) {
      philox4x32(c0, c1, k0, k1, want);
      addon!.philox(c0, c1, k0, k1, got);
      expect(Array.from(got)).toEqual(Array.from(want));
    }
  });

  it('random streams: randint and uniform bit-identical, normal to rounding, across the 2^32 counter boundary', () => {
    const params = [
      { dist: 'randint', a: -5, b: 1000, dtypes: ['int32', 'float32', 'float64'] },
      { dist: 'randint', a: -2147483648, b: 2147483647, dtypes: ['int32'] },
      { dist: 'uniform', a: -1, b: 3, dtypes: ['float32', 'float64'] },
      { dist: 'normal', a: 0.5, b: 2, dtypes: ['float32', 'float64'] },
    ] as const;
    for (const { dist, a, b, dtypes } of params) {
      for (const dtype of dtypes) {
        for (const [size, offset] of [
          [0, 0],
          [1, 0],
          [257, 12345],
          [1000, 4294967296 - 500],
          [70000, 3],
        ] as const) {
          const p = { dist, a, b, seedLo: 0xdeadbeef, seedHi: 42, offset };
          const got = read(nat.random(size, dtype, p)),
            want = read(js.random(size, dtype, p));
          if (dist === 'normal') expectClose(got, want, dtype === 'float64' ? 1e-14 : 1e-7, 1e-14, `normal ${dtype}`);
          else
            expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer)), `${dist} ${dtype} ${size}@${offset}`).toBe(
              true,
            );
        }
      }
    }
    expect(() => nat.random(3, 'int32', { dist: 'uniform', a: 0, b: 1, seedLo: 0, seedHi: 0, offset: 0 })).toThrow();
    expect(() => nat.random(3, 'float32', { dist: 'randint', a: 0, b: 0, seedLo: 0, seedHi: 0, offset: 0 })).toThrow();
  });

  // ---------------- fused ----------------
  it('gatedMixture forward and backward, T gates, both layouts, fused relu', () => {
    for (const [e, b, d] of [
      [1, 1, 1],
      [3, 7, 5],
      [8, 33, 65],
      [2, 0, 4],
      [4, 5, 0],
      [8, 64, 257],
      [6, 9, 33],
      // narrow experts (d < 16, e <= 64) take the whole-row-range kernels: widths 4 and 8 unrolled, others not;
      // e = 65 falls back to the per-row calls
      [8, 37, 4],
      [5, 11, 8],
      [65, 3, 2],
    ] as const) {
      for (const [t, layout, activation] of [
        [1, 'EBD', 'none'],
        [2, 'BED', 'none'],
        [3, 'EBD', 'relu'],
        [1, 'BED', 'relu'],
        [2, 'BED', 'relu'],
      ] as const) {
        const p = { e, b, d, t, layout, activation },
          what = `${e},${b},${d} T=${t} ${layout} ${activation}`;
        const [exn, exj] = both('float32', values(e * b * d, e + b + d));
        const [gn, gj] = both('float32', values(t * b * e, e * b + 1, -4, 4));
        const fn = nat.gatedMixture(exn, gn, p),
          fj = js.gatedMixture(exj, gj, p);
        expectClose(read(fn.out), read(fj.out), 1e-5, 1e-6, `gatedMixture out ${what}`);
        expectClose(read(fn.weights), read(fj.weights), 1e-6, 1e-7, `gatedMixture weights ${what}`);
        const [gon, goj] = both('float32', values(t * b * d, d + 5));
        const bn = nat.gatedMixtureBackward(gon, exn, fn.weights, p),
          bj = js.gatedMixtureBackward(goj, exj, fj.weights, p);
        expectClose(read(bn.gExperts), read(bj.gExperts), 1e-5, 1e-6, `gExperts ${what}`);
        expectClose(read(bn.gLogits), read(bj.gLogits), 1e-5, 1e-5, `gLogits ${what}`);
      }
    }
    // Gate logits at the edges of the softmax's exp (vectorised on the narrow path): NaN, ±inf, huge spreads that
    // underflow to 0 or to subnormal weights, and ties.
    const specials = [NaN, Infinity, -Infinity, 1000, -1000, 700, -700, 88, -88, 0, -0, 1e-30, 745, -745, 3, 3];
    for (const [e, d] of [
      [4, 4],
      [8, 3],
      [16, 1],
    ] as const) {
      const b = specials.length,
        t = 2;
      const p = { e, b, d, t, layout: 'BED' as const, activation: 'relu' as const };
      const logits = Array.from({ length: t * b * e }, (_, i) => (i % 3 === 1 ? specials[(i * 7) % b]! : (i % 5) - 2));
      const [exn, exj] = both('float32', values(e * b * d, 3));
      const [gn, gj] = both('float32', logits);
      const fn = nat.gatedMixture(exn, gn, p),
        fj = js.gatedMixture(exj, gj, p);
      expectClose(read(fn.weights), read(fj.weights), 1e-6, 1e-7, `gatedMixture weights, special logits e=${e}`);
      expectClose(read(fn.out), read(fj.out), 1e-5, 1e-6, `gatedMixture out, special logits e=${e}`);
    }
    const p = { e: 2, b: 3, d: 4, t: 2, layout: 'BED' as const, activation: 'none' as const };
    expect(() => nat.gatedMixture(both('float32', values(24, 1))[0], both('float32', values(6, 2))[0], p)).toThrow(
      /gatedMixture: gateLogits has 6 elements, expected T·B·E = 2·3·2 = 12/,
    );
  });

  it('bceWithLogits and its gradient, including extreme logits', () => {
    for (const n of [0, 1, 7, 33, 1000, 70000]) {
      const x = values(n, n + 1, -30, 30);
      if (n === 33) x.splice(0, 6, 0, -0, 100, -100, 1e-7, -1e-7);
      const t = values(n, n + 2, 0, 1).map((v) => (v < 0.3 ? 0 : v < 0.6 ? 1 : v));
      const [xn, xj] = both('float32', x),
        [tn, tj] = both('float32', t);
      expectClose(read(nat.bceWithLogits(xn, tn)), read(js.bceWithLogits(xj, tj)), 4e-6, 1e-6, `bce n=${n}`);
      expectClose(
        read(nat.bceWithLogitsGrad(xn, tn)),
        read(js.bceWithLogitsGrad(xj, tj)),
        4e-6,
        1e-7,
        `bceGrad n=${n}`,
      );
    }
  });

  // ---------------- optimizers ----------------
  describe('optimizer updates (in place), full and row-selected', () => {
    const SIZE = 7 * 33;
    const selections = [undefined, { rows: [0, 6, 3], rowSize: 33 }, { rows: [], rowSize: 33 }];

    function run(
      fn: (be: Backend, bufs: Storage[], rows?: Storage) => void,
      nBufs: number,
      seed: number,
      sel?: { rows: number[]; rowSize: number },
    ): void {
      const init = Array.from({ length: nBufs }, (_, i) =>
        values(SIZE, seed + i, i === 3 ? 0 : -1, 1).map((v) => (i >= 2 ? Math.abs(v) : v)),
      );
      const bn = init.map((v) => nat.upload(Float32Array.from(v), 'float32'));
      const bj = init.map((v) => js.upload(Float32Array.from(v), 'float32'));
      const rn = sel ? nat.upload(Int32Array.from(sel.rows), 'int32') : undefined;
      const rj = sel ? js.upload(Int32Array.from(sel.rows), 'int32') : undefined;
      for (let step = 0; step < 3; step++) {
        fn(nat, bn, rn);
        fn(js, bj, rj);
      }
      bn.forEach((b, i) => expectClose(read(b), read(bj[i]!), 2e-6, 2e-7, `buffer ${i}`));
    }

    it('sgd: plain, momentum, dampening, nesterov, weight decay', () => {
      for (const sel of selections) {
        for (const cfg of [
          { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
          { lr: 0.05, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0.01 },
          { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.001 },
        ]) {
          let first = true;
          run(
            (be, [p, g, buf], rows) => {
              be.sgdUpdate(
                p!,
                g!,
                cfg.momentum ? buf! : null,
                { ...cfg, firstStep: first },
                rows && sel ? { rows, rowSize: sel.rowSize } : undefined,
              );
              if (be === js) first = false;
            },
            3,
            11,
            sel,
          );
        }
      }
    });

    it('adam and adamw with bias correction', () => {
      for (const sel of selections) {
        for (const decoupled of [false, true]) {
          let step = 1;
          run(
            (be, [p, g, m, v], rows) => {
              be.adamUpdate(
                p!,
                g!,
                m!,
                v!,
                { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled, step },
                rows && sel ? { rows, rowSize: sel.rowSize } : undefined,
              );
              if (be === js) step++;
            },
            4,
            21,
            sel,
          );
        }
      }
    });

    it('adagrad with lr decay', () => {
      for (const sel of selections) {
        let step = 1;
        run(
          (be, [p, g, s], rows) => {
            be.adagradUpdate(
              p!,
              g!,
              s!,
              { lr: 0.1, eps: 1e-10, weightDecay: 0.01, lrDecay: 0.01, step },
              rows && sel ? { rows, rowSize: sel.rowSize } : undefined,
            );
            if (be === js) step++;
          },
          3,
          31,
          sel,
        );
      }
    });

    it('rejects out-of-range rows before touching the buffers', () => {
      const p = nat.upload(new Float32Array(6), 'float32'),
        g = nat.upload(new Float32Array(6), 'float32');
      const rows = nat.upload(Int32Array.from([3]), 'int32');
      expect(() =>
        nat.sgdUpdate(
          p,
          g,
          null,
          { lr: 1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, firstStep: true },
          { rows, rowSize: 2 },
        ),
      ).toThrow(/out of range/);
    });
  });

  it('native kernels fully overwrite recycled (pooled) output buffers', () => {
    // Outputs come from the js backend's pool of disposed buffers: a stale one must never leak into a result.
    const [m, k, n] = [130, 33, 140];
    const junk = nat.upload(Float32Array.from(values(m * n, 5)), 'float32');
    nat.dispose(junk);
    const [an, aj] = both('float32', values(m * k, 6)),
      [bn, bj] = both('float32', values(k * n, 7));
    const p = { batch: 1, m, k, n, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    for (let i = 0; i < 3; i++) {
      const c = nat.matmul(an, bn, p);
      expectClose(read(c), read(js.matmul(aj, bj, p)), 1e-5, 1e-4, `recycled matmul output ${i}`);
      nat.dispose(c);
      const s = nat.scatterAdd(an, nat.upload(Int32Array.from([1, 1, 0]), 'int32'), (m * k) / 3, 2, 1);
      expectClose(
        read(s),
        read(js.scatterAdd(aj, js.upload(Int32Array.from([1, 1, 0]), 'int32'), (m * k) / 3, 2, 1)),
        1e-6,
        1e-6,
        'recycled scatterAdd',
      );
      nat.dispose(s);
    }
  });

  // ---------------- the C++ side's own checks ----------------
  it('the addon throws JavaScript errors on bad direct calls instead of crashing', () => {
    const f = new Float32Array(4);
    const g = { batch: 1, m: 3, k: 3, n: 3, transA: false, transB: false, aBatchStride: 9, bBatchStride: 9 };
    expect(() => addon!.sgemm(f, f, f, null, g)).toThrow(/mtgrad native/);
    expect(() => addon!.sgemm(f, f, new Float32Array(9), null, g)).toThrow(RangeError);
    // Parameter structs are read by field name: a missing or mistyped field is named.
    const { m: _m, ...noM } = g;
    expect(() => (addon!.sgemm as (...a: unknown[]) => void)(f, f, f, null, noM)).toThrow(/field 'm' must be a number/);
    expect(() => addon!.sgemm(f, f, new Float32Array(9), null, { ...g, activation: 'swish' as 'relu' })).toThrow(
      /field 'activation' has unknown value 'swish'/,
    );
    expect(() =>
      addon!.gatedMixture(f, f, f, f, { e: 1, b: 1, d: 1, t: 1, layout: 'DBE' as 'EBD', activation: 'none' }),
    ).toThrow(/field 'layout'/);
    expect(() => addon!.random(f, { dist: 'cauchy' as 'normal', seedLo: 0, seedHi: 0, offset: 0, a: 0, b: 1 })).toThrow(
      /field 'dist'/,
    );
    expect(() => addon!.unary(99, f, f, 0)).toThrow(/op code/);
    expect(() => addon!.unary(0, f, new Float32Array(3), 0)).toThrow(RangeError);
    expect(() => addon!.binary(0, f, f, f, [4], [2], [4])).toThrow(RangeError);
    expect(() => addon!.gather(f, Int32Array.from([7]), new Float32Array(1), 1, 4, 1)).toThrow(/out of range/);
    expect(() => addon!.reduce(0, f, f, 1, 4, -1)).toThrow(RangeError);
    expect(() => (addon!.unary as (...a: unknown[]) => void)(0, new Float64Array(4), f, 0)).toThrow(TypeError);
    const adam = { lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, decoupled: false, step: 1 };
    expect(() => addon!.adam(f, f, f, f, Int32Array.from([5]), 2, adam)).toThrow(/out of range/);
    expect(() => addon!.adam(f, f, f, f, null, 0, { ...adam, step: 0 })).toThrow(/step must be >= 1/);
  });

  it('the addon exports its op names, and loading checks they cover every op the backend dispatches', () => {
    expect(addon!.opNames.unary).toEqual(expect.arrayContaining([...NEEDED_OPS.unary]));
    expect(addon!.opNames.binary).toEqual(expect.arrayContaining([...NEEDED_OPS.binary]));
    expect(addon!.opNames.reduce).toEqual(expect.arrayContaining([...NEEDED_OPS.reduce]));
    expect(missingFromAddon(addon!, NEEDED_OPS)).toBeNull();
    const stale = {
      ...addon!,
      adam: undefined,
      opNames: { ...addon!.opNames, unary: addon!.opNames.unary.filter((n) => n !== 'gelu') },
    };
    expect(missingFromAddon(stale, NEEDED_OPS)).toBe("adam, unary op 'gelu'");
  });
});
