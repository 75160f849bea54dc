/**
 * Every webgpu kernel against the js reference backend, on odd sizes (1, 3, 7, 17, 33, 65, 257, tile
 * non-multiples, empty), plus Philox bit-identity, the buffer pool, error reporting and process exit.
 * Runs on any adapter, including lavapipe (CPU) in CI; sizes are kept small for 2 CPU cores.
 * Tolerances: |gpu − ref| ≤ atol + rtol·|ref|, stated per test (float32 kernels vs js's float64-then-rounded
 * arithmetic; transcendental functions on the GPU are a few ulp off).
 * Without an adapter the whole file is skipped with one warning — unless MTGRAD_REQUIRE includes 'webgpu'.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type {
  Backend,
  DType,
  MatmulParams,
  MixtureLayout,
  MixtureParams,
  Storage,
  TypedArray,
  UnaryOp,
  BinaryOp,
  ReduceOp,
} from '../../src/backends/kernels.js';
import { UNARY_OPS } from '../../src/backends/kernels.js';
import { JsBackend } from '../../src/backends/js/index.js';
import { philoxFill } from '../../src/backends/philox.js';
import { createWebGpuBackend, type WebGpuBackend } from '../../src/backends/webgpu/index.js';
import {
  TILE_128,
  TILE_64,
  directCpuTile,
  type MatmulPlan,
  type TileConfig,
} from '../../src/backends/webgpu/ops/matmul-tuning.js';
import { matmul as gpuMatmul } from '../../src/backends/webgpu/ops/matmul.js';
import { checked } from '../../src/backends/checked.js';
import { expectClose } from '../conformance/compare.js';
import { requiredBackends } from '../conformance/required.js';

const required = requiredBackends.has('webgpu');
let gpu: WebGpuBackend | null = null;
let unavailable = '';
try {
  gpu = await createWebGpuBackend();
} catch (e) {
  unavailable = (e as Error).message;
  if (required) throw new Error(`MTGRAD_REQUIRE includes 'webgpu' but it is unavailable: ${unavailable}`);
  console.warn(`[mtgrad] SKIPPING webgpu kernel tests: ${unavailable}`);
}
const js = new JsBackend();
afterAll(() => gpu?.destroy());

/** Deterministic pseudo-random data (a small LCG), values in [lo, hi). */
function data(n: number, seed: number, lo = -2, hi = 2): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((s >>> 8) / 16777216) * (hi - lo);
  }
  return out;
}
const ints = (n: number, seed: number, lo: number, hi: number): Int32Array =>
  Int32Array.from(data(n, seed, lo, hi), (v) => Math.floor(v));

/** The same data on both backends. */
function both(
  values: TypedArray,
  dtype: DType = values instanceof Int32Array ? 'int32' : 'float32',
): [Storage, Storage] {
  return [gpu!.upload(values, dtype), js.upload(values, dtype)];
}

async function check(g: Storage, r: Storage, rtol: number, atol: number, what: string): Promise<void> {
  expect(g.dtype, `${what}: dtype`).toBe(r.dtype);
  expect(g.size, `${what}: size`).toBe(r.size);
  expectClose(await gpu!.read(g), await js.read(r), rtol, atol, what);
}

/** Runs `op` on both backends with the same (uploaded) inputs and compares. */
async function same(
  what: string,
  inputs: TypedArray[],
  op: (b: Backend, xs: Storage[]) => Storage,
  rtol = 1e-5,
  atol = 1e-6,
): Promise<void> {
  const pairs = inputs.map((x) => both(x));
  await check(
    op(
      gpu!,
      pairs.map((p) => p[0]),
    ),
    op(
      js,
      pairs.map((p) => p[1]),
    ),
    rtol,
    atol,
    what,
  );
}

describe.skipIf(!gpu)(`webgpu kernels${gpu ? ` on ${gpu.info().description}` : ''}`, () => {
  it('reports the adapter and refuses float64 and synchronous reads', () => {
    const info = gpu!.info();
    expect(info.name).toBe('webgpu');
    expect(info.dtypes).toEqual(['float32', 'int32']);
    expect(typeof info.isSoftware).toBe('boolean');
    expect(info.syncReadback).toBe(false);
    const s = gpu!.upload(new Float32Array([1]), 'float32');
    expect(() => gpu!.readSync(s)).toThrow(/use await t\.data\(\)/);
    expect(() => gpu!.upload(new Float64Array([1]), 'float64')).toThrow(/float64/);
  });

  // ---- elementwise ----
  const FLOAT_UNARY: readonly UnaryOp[] = UNARY_OPS;
  const POSITIVE_ONLY = new Set<UnaryOp>(['log', 'sqrt', 'rsqrt']);

  it('unary float32 ops on 257 values incl. tiny, large, half-integers and zero (rtol 2e-6, atol 1e-6)', async () => {
    const base = Float32Array.from([
      ...data(240, 3, -6, 6),
      0,
      -0.5,
      0.5,
      1.5,
      -2.5,
      1e-7,
      -1e-7,
      3e-4,
      -3e-4,
      20,
      -20,
      60,
      -60,
      0.49999997,
      88,
      -88,
      0.124,
    ]);
    for (const op of FLOAT_UNARY) {
      const x = POSITIVE_ONLY.has(op)
        ? base.map((v) => Math.abs(v) + 1e-3)
        : op === 'log1p'
          ? base.map((v) => Math.max(v, -0.999))
          : base;
      // exp's GPU error grows with |x| (Vulkan allows 3 + 2|x| ulp); sin/cos are reduced to [-π, π] in float32.
      const [rtol, atol] =
        op === 'sin' || op === 'cos' ? [1e-5, 2e-6] : op === 'exp' || op === 'expm1' ? [1e-5, 1e-6] : [2e-6, 1e-6];
      await same(
        `unary ${op}`,
        [x],
        (b, [s]) => b.unary(op, s!, op === 'elu' || op === 'leakyRelu' ? { alpha: 0.3 } : undefined),
        rtol,
        atol,
      );
    }
    await same('elu default alpha', [base], (b, [s]) => b.unary('elu', s!));
    await same('leakyRelu default alpha', [base], (b, [s]) => b.unary('leakyRelu', s!));
    await same('unary empty', [new Float32Array(0)], (b, [s]) => b.unary('exp', s!));
  });

  const BINARY: BinaryOp[] = [
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
  it('binary float32 ops, flat and broadcast [3,1,7]⊗[1,5,7], [17]⊗[1], with NaN propagation (rtol 2e-6)', async () => {
    const a = data(21, 7, -3, 3);
    const b = data(35, 8, -3, 3);
    a[4] = NaN;
    b[3] = 2;
    a[5] = 0;
    b[6] = 0;
    a[6] = -2;
    b[9] = 3;
    a[9] = b[9]!; // NaN, integer exponents, ties
    for (const op of BINARY) {
      const x = op === 'pow' ? a.map((v, i) => (i % 3 === 0 ? v : Math.abs(v))) : a;
      const y = op === 'pow' ? b.map((v, i) => (i % 4 === 0 ? Math.round(v) : v)) : b;
      await same(
        `binary ${op} broadcast`,
        [x, y],
        (be, [s, t]) => be.binary(op, s!, t!, [3, 1, 7], [1, 5, 7], [3, 5, 7]),
        2e-6,
        1e-6,
      );
      await same(
        `binary ${op} flat`,
        [x.subarray(0, 17), y.subarray(0, 17)],
        (be, [s, t]) => be.binary(op, s!, t!, [17], [17], [17]),
        2e-6,
        1e-6,
      );
      await same(
        `binary ${op} scalar`,
        [x.subarray(0, 17), y.subarray(0, 1)],
        (be, [s, t]) => be.binary(op, s!, t!, [17], [1], [17]),
        2e-6,
        1e-6,
      );
    }
    await same('binary empty', [new Float32Array(0), new Float32Array(3)], (be, [s, t]) =>
      be.binary('add', s!, t!, [0, 3], [1, 3], [0, 3]),
    );
  });

  // ---- reductions ----
  it('reduce sum/prod/max/min/argmax/argmin over [outer,n,inner], serial and tree strategies (rtol 1e-5)', async () => {
    const shapes: [number, number, number][] = [
      [1, 1, 1],
      [3, 7, 5],
      [2, 257, 3],
      [1, 1000, 1],
      [65, 33, 1],
      [1, 3000, 2],
      [4, 65, 17],
    ];
    for (const [outer, n, inner] of shapes) {
      const x = data(outer * n * inner, outer + n + inner, -1.2, 1.2);
      for (const op of ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
        await same(
          `reduce ${op} [${outer},${n},${inner}]`,
          [x],
          (b, [s]) => b.reduce(op, s!, outer, n, inner),
          1e-5,
          1e-5,
        );
      }
    }
    const withNaN = data(2 * 300, 4);
    withNaN[17] = NaN;
    withNaN[300 + 200] = NaN;
    withNaN[300 + 250] = NaN;
    withNaN[301] = 5;
    withNaN[305] = 5; // ties before the NaN
    for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
      await same(`reduce ${op} NaN tree`, [withNaN], (b, [s]) => b.reduce(op, s!, 2, 300, 1), 0, 0);
      await same(`reduce ${op} NaN serial`, [withNaN], (b, [s]) => b.reduce(op, s!, 1, 2, 300), 0, 0);
    }
    await same(
      'reduce argmax ties',
      [Float32Array.from([1, 3, 3, 2, 3])],
      (b, [s]) => b.reduce('argmax', s!, 1, 5, 1),
      0,
      0,
    );
    await same('reduce int sum', [ints(99, 3, -100, 100)], (b, [s]) => b.reduce('sum', s!, 3, 11, 3), 0, 0);
    await same('reduce int argmin', [ints(99, 4, -100, 100)], (b, [s]) => b.reduce('argmin', s!, 3, 33, 1), 0, 0);
    await same('reduce sum n=0', [new Float32Array(0)], (b, [s]) => b.reduce('sum', s!, 2, 0, 3), 0, 0);
    await same('reduce prod n=0', [new Float32Array(0)], (b, [s]) => b.reduce('prod', s!, 2, 0, 3), 0, 0);
    await same('reduce empty outer', [new Float32Array(0)], (b, [s]) => b.reduce('max', s!, 0, 5, 3), 0, 0);
  });

  it('softmax and logSoftmax over rows of 1, 7, 257, 1000 (rtol 1e-5, atol 1e-6)', async () => {
    for (const [rows, n] of [
      [1, 1],
      [3, 7],
      [5, 257],
      [2, 1000],
      [65, 3],
    ] as const) {
      const x = data(rows * n, rows * 31 + n, -8, 8);
      for (const log of [false, true]) {
        await same(`softmax log=${log} [${rows},${n}]`, [x], (b, [s]) => b.softmax(s!, rows, n, log), 1e-5, 1e-6);
      }
    }
    await same('softmax empty', [new Float32Array(0)], (b, [s]) => b.softmax(s!, 0, 5, false));
  });

  // ---- data movement (exact) ----
  it('permute, broadcastTo, slice, sliceWrite, concat on odd shapes', async () => {
    const x = data(3 * 5 * 7 * 2, 11);
    for (const perm of [
      [0, 1, 2, 3],
      [3, 2, 1, 0],
      [1, 0, 3, 2],
      [2, 0, 1, 3],
    ]) {
      await same(`permute ${perm}`, [x], (b, [s]) => b.permute(s!, [3, 5, 7, 2], perm), 0, 0);
    }
    await same('permute int', [ints(21, 1, -5, 5)], (b, [s]) => b.permute(s!, [3, 7], [1, 0]), 0, 0);
    await same('broadcastTo', [data(7, 2)], (b, [s]) => b.broadcastTo(s!, [1, 7, 1], [3, 7, 5]), 0, 0);
    await same('broadcastTo scalar', [data(1, 2)], (b, [s]) => b.broadcastTo(s!, [1, 1], [17, 33]), 0, 0);
    await same('slice', [x], (b, [s]) => b.slice(s!, [3, 5, 7, 2], [1, 0, 2, 1], [1, 2, 2, 1], [2, 3, 3, 1]), 0, 0);
    await same(
      'slice empty',
      [x],
      (b, [s]) => b.slice(s!, [3, 5, 7, 2], [0, 0, 0, 0], [1, 1, 1, 1], [3, 0, 7, 2]),
      0,
      0,
    );
    await same(
      'sliceWrite',
      [data(2 * 3 * 3, 4)],
      (b, [s]) => b.sliceWrite(s!, [2, 3, 3], [3, 7, 7], [1, 0, 2], [1, 3, 2]),
      0,
      0,
    );
    const parts = [data(3 * 1, 1), data(3 * 7, 2), data(3 * 0, 3), data(3 * 4, 4)];
    await same('concat', parts, (b, xs) => b.concat(xs, 3, [1, 7, 0, 4]), 0, 0);
  });

  it('gather and scatterAdd with duplicates, all-duplicate and empty indices (scatterAdd bit-identical)', async () => {
    const x = data(3 * 17 * 5, 12);
    const idx = Int32Array.from([16, 0, 3, 3, 7, 16, 3]);
    await same('gather', [x, idx], (b, [s, i]) => b.gather(s!, i!, 3, 17, 5), 0, 0);
    await same('gather inner 1', [data(33, 1), idx], (b, [s, i]) => b.gather(s!, i!, 1, 33, 1), 0, 0);
    await same('gather int', [ints(17 * 2, 3, -9, 9), idx], (b, [s, i]) => b.gather(s!, i!, 1, 17, 2), 0, 0);
    const src = data(3 * 7 * 5, 13);
    await same('scatterAdd', [src, idx], (b, [s, i]) => b.scatterAdd(s!, i!, 3, 17, 5), 0, 0);
    const many = Int32Array.from({ length: 300 }, (_, j) => (j * 7) % 33);
    await same(
      'scatterAdd 300 into 33',
      [data(300 * 3, 14), many],
      (b, [s, i]) => b.scatterAdd(s!, i!, 1, 33, 3),
      0,
      0,
    );
    await same(
      'scatterAdd all same',
      [data(65, 15), new Int32Array(65).fill(2)],
      (b, [s, i]) => b.scatterAdd(s!, i!, 1, 3, 1),
      0,
      0,
    );
    await same('scatterAdd int', [ints(7 * 2, 5, -9, 9), idx], (b, [s, i]) => b.scatterAdd(s!, i!, 1, 17, 2), 0, 0);
    await same(
      'scatterAdd empty',
      [new Float32Array(0), new Int32Array(0)],
      (b, [s, i]) => b.scatterAdd(s!, i!, 2, 5, 3),
      0,
      0,
    );
    // Out-of-range indices: the shader cannot throw; gather flags the first one and the next readback throws the
    // message js and native throw (the flag is then cleared); scatterAdd drops the contribution and flags it too.
    const bad = gpu!.upload(Int32Array.from([1, 99, -1]), 'int32');
    await expect(
      gpu!.read(gpu!.gather(gpu!.upload(Float32Array.from([1, 2, 3]), 'float32'), bad, 1, 3, 1)),
    ).rejects.toThrow(/^gather: index (99 \(at position 1\)|-1 \(at position 2\)) out of range \[0, 3\)$/);
    expect(Array.from(await gpu!.read(gpu!.upload(Float32Array.from([5]), 'float32')))).toEqual([5]);
    await expect(
      gpu!.read(gpu!.scatterAdd(gpu!.upload(Float32Array.from([1, 2, 3]), 'float32'), bad, 1, 3, 1)),
    ).rejects.toThrow(/^scatterAdd: index (99 \(at position 1\)|-1 \(at position 2\)) out of range \[0, 3\)$/);
    expect(Array.from(await gpu!.read(gpu!.upload(Float32Array.from([5]), 'float32')))).toEqual([5]);
  });

  // ---- matmul ----
  const mm = (m: number, k: number, n: number, o: Partial<MatmulParams> = {}): MatmulParams => ({
    batch: 1,
    m,
    k,
    n,
    transA: false,
    transB: false,
    aBatchStride: m * k,
    bBatchStride: k * n,
    ...o,
  });
  async function sameMatmul(
    what: string,
    p: MatmulParams,
    bias = false,
    tile?: TileConfig | MatmulPlan,
  ): Promise<void> {
    const aSize = p.aBatchStride === 0 ? p.m * p.k : p.batch * p.m * p.k;
    const bSize = p.bBatchStride === 0 ? p.k * p.n : p.batch * p.k * p.n;
    const inputs = [data(aSize, p.m * 3 + p.k), data(bSize, p.n * 5 + p.k), data(p.n, 99)];
    // rtol/atol scale with k: float32 accumulation in a different order than the reference's.
    const tol = 2e-6 * Math.sqrt(p.k + 1);
    await same(
      what,
      inputs,
      (be, [a, b, c]) => {
        const params = bias ? { ...p, bias: c! } : p;
        return be === gpu && tile ? gpuMatmul(gpu.core, a!, b!, params, tile) : be.matmul(a!, b!, params);
      },
      tol,
      tol * 4,
    );
  }

  // Each tiled-GEMM specialisation costs lavapipe 1-3 s to compile (cold shader cache), so the cases below are
  // chosen to cover every template switch (transposes, vec4/scalar loads and stores, bounds checks on/off, each tile
  // config, bias, activation) with few distinct pipelines; the activations themselves are shared with split-K.
  it('matmul on odd shapes, all transposes, every tile config (rtol 2e-6·√k)', async () => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        await sameMatmul(`matmul 17x33x65 tA=${transA} tB=${transB}`, mm(17, 33, 65, { transA, transB }));
      }
    }
    // Same specialisation as 17x33x65 (scalar, checked) or split-K: odd sizes for free.
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 7, 5],
      [33, 17, 257],
      [65, 3, 7],
      [7, 1, 1],
    ] as const) {
      await sameMatmul(`matmul ${m}x${k}x${n}`, mm(m, k, n));
    }
    await sameMatmul('matmul 64x64x64 (vec4, no bounds checks)', mm(64, 64, 64));
    await sameMatmul('matmul tile 64 ragged', mm(130, 19, 67), false, TILE_64);
    await sameMatmul('matmul tile 128 ragged', mm(130, 19, 67), false, TILE_128);
    await sameMatmul(
      'matmul tile 128 aligned, tA tB vec4',
      mm(128, 32, 128, { transA: true, transB: true }),
      false,
      TILE_128,
    );
    // Large enough for the software adapters' upright copy + direct kernel (matmul.ts uprightForDirect).
    for (const [transA, transB] of [
      [true, false],
      [false, true],
      [true, true],
    ] as const)
      await sameMatmul(
        `matmul 72x36x68 tA=${transA} tB=${transB}`,
        mm(72, 36, 68, { transA, transB, activation: 'relu' }),
        true,
      );
  });

  // The software-adapter GEMM without workgroup memory (kernels/matmul_direct.wgsl), forced on every block width,
  // ragged edges (bounds checks on), bias + activation and broadcast batches.
  it('matmul direct kernel: ragged, every block width, epilogues, broadcast batch (rtol 2e-6·√k)', async () => {
    const direct = (n: number): MatmulPlan => ({ kind: 'direct', tile: directCpuTile(n) });
    await sameMatmul('direct 67x20x132 (tn4=4, ragged m and n)', mm(67, 20, 132), false, direct(132));
    await sameMatmul('direct 70x8x68 (tn4=2) bias+relu', mm(70, 8, 68, { activation: 'relu' }), true, direct(68));
    await sameMatmul('direct 33x12x36 (tn4=1) bias+gelu', mm(33, 12, 36, { activation: 'gelu' }), true, direct(36));
    await sameMatmul('direct 64x16x128 aligned (no bounds checks)', mm(64, 16, 128), false, direct(128));
    await sameMatmul(
      'direct batched a broadcast',
      mm(40, 8, 36, { batch: 3, aBatchStride: 0, bBatchStride: 288 }),
      false,
      direct(36),
    );
    await sameMatmul(
      'direct batched b broadcast sigmoid',
      mm(40, 8, 36, { batch: 2, aBatchStride: 320, bBatchStride: 0, activation: 'sigmoid' }),
      true,
      direct(36),
    );
  });

  it('matmul batched (incl. broadcast batch stride 0) and fused bias + activation epilogues', async () => {
    await sameMatmul('batched', mm(5, 9, 7, { batch: 3, aBatchStride: 45, bBatchStride: 63 }));
    await sameMatmul('batched b broadcast', mm(5, 8, 12, { batch: 4, aBatchStride: 40, bBatchStride: 0 }));
    await sameMatmul(
      'batched a broadcast tB',
      mm(6, 9, 3, { batch: 3, aBatchStride: 0, bBatchStride: 27, transB: true }),
    );
    await sameMatmul('bias+relu vec4', mm(9, 12, 16, { activation: 'relu' }), true);
    await sameMatmul('bias+gelu scalar', mm(9, 13, 7, { activation: 'gelu' }), true);
    await sameMatmul('bias k=0', mm(3, 0, 5, { activation: 'gelu' }), true);
  });

  it('matmul split-K path: M=1 and small outputs with long K, every activation', async () => {
    for (const [m, k, n] of [
      [1, 1024, 33],
      [1, 300, 1],
      [1, 7, 65],
      [3, 700, 9],
      [2, 513, 4],
    ] as const) {
      for (const transB of [false, true]) {
        await sameMatmul(`splitK ${m}x${k}x${n} tB=${transB}`, mm(m, k, n, { transB }));
      }
    }
    for (const activation of ['none', 'relu', 'sigmoid', 'tanh', 'gelu'] as const) {
      await sameMatmul(
        `splitK tA bias ${activation} batched`,
        mm(2, 600, 5, { transA: true, batch: 2, aBatchStride: 1200, bBatchStride: 0, activation }),
        true,
      );
    }
  });

  // ---- random ----
  it('random: randint bit-identical to the Philox reference (incl. a counter crossing 2^32); uniform and normal close', async () => {
    for (const [size, offset, lo, hi] of [
      [257, 0, 0, 10],
      [33, 4294967290, -5, 1000000],
      [7, 2 ** 40 + 3, -2147483648, 2147483647],
    ] as const) {
      const p = { dist: 'randint' as const, seedLo: 0x12345678, seedHi: 0x9abcdef0, offset, a: lo, b: hi };
      const expected = new Int32Array(size);
      philoxFill(expected, 'randint', p.seedLo, p.seedHi, offset, lo, hi);
      expect(Array.from(await gpu!.read(gpu!.random(size, 'int32', p)))).toEqual(Array.from(expected));
    }
    const uniform = { dist: 'uniform' as const, seedLo: 1, seedHi: 2, offset: 4294967200, a: -1, b: 3 };
    await check(gpu!.random(300, 'float32', uniform), js.random(300, 'float32', uniform), 1e-6, 1e-6, 'uniform');
    const normal = { dist: 'normal' as const, seedLo: 7, seedHi: 0, offset: 5, a: 0.5, b: 2 };
    await check(gpu!.random(300, 'float32', normal), js.random(300, 'float32', normal), 2e-5, 2e-5, 'normal');
    await check(gpu!.random(0, 'float32', normal), js.random(0, 'float32', normal), 0, 0, 'random empty');
  });

  // ---- fused ----
  it('gatedMixture forward and backward for E in {1,3,8}, B in {1,5,33}, D in {1,7,65,300}, T in {1,2,3}, both layouts, activation none and relu (rtol 1e-5)', async () => {
    // A trimmed cross product: every value of each parameter with both layouts, plus D = 0 and T·E = 128
    // (E = 16, T = 8: the backward's reductions then take several passes, for both workgroup sizes).
    const cases: [number, number, number, number, MixtureLayout][] = [
      [1, 1, 1, 1, 'EBD'],
      [1, 1, 1, 1, 'BED'],
      [3, 5, 7, 2, 'EBD'],
      [3, 5, 7, 2, 'BED'],
      [8, 33, 65, 3, 'EBD'],
      [8, 33, 65, 3, 'BED'],
      [3, 2, 300, 3, 'BED'],
      [8, 5, 300, 2, 'EBD'],
      [1, 33, 7, 3, 'BED'],
      [8, 1, 65, 1, 'BED'],
      [3, 33, 1, 1, 'EBD'],
      [1, 5, 300, 2, 'BED'],
      [2, 3, 0, 2, 'EBD'],
      [16, 3, 260, 8, 'BED'],
      [16, 2, 9, 8, 'EBD'],
    ];
    // Activation 'relu' (fused into the expert reads, gExperts masked to experts > 0): the experts are in [-2, 2),
    // about half of them ≤ 0, and exact zeros are added below so the mask's boundary (0 → masked) is covered.
    const reluCases: [number, number, number, number, MixtureLayout][] = [
      [1, 1, 1, 1, 'EBD'],
      [3, 5, 7, 1, 'BED'],
      [3, 5, 7, 2, 'EBD'],
      [8, 33, 65, 3, 'BED'],
      [8, 5, 300, 2, 'EBD'],
      [1, 33, 7, 3, 'EBD'],
      [3, 2, 300, 3, 'BED'],
      [2, 3, 0, 2, 'BED'],
      [16, 3, 260, 8, 'EBD'],
      [16, 2, 9, 8, 'BED'],
    ];
    const all = [...cases.map((c) => [...c, 'none'] as const), ...reluCases.map((c) => [...c, 'relu'] as const)];
    for (const [e, b, d, t, layout, activation] of all) {
      const p: MixtureParams = { e, b, d, t, layout, activation };
      const at = `E=${e},B=${b},D=${d},T=${t},${layout},${activation}`;
      const experts = data(e * b * d, e + b + d + t);
      if (activation === 'relu') for (let i = 0; i < experts.length; i += 7) experts[i] = 0;
      const logits = data(t * b * e, e * b + t, -4, 4);
      const gOut = data(t * b * d, d + t);
      const [xg, xr] = both(experts);
      const [lg, lr] = both(logits);
      const [gg, gr] = both(gOut);
      const fg = gpu!.gatedMixture(xg, lg, p);
      const fr = js.gatedMixture(xr, lr, p);
      await check(fg.out, fr.out, 1e-5, 1e-6, `gatedMixture out ${at}`);
      await check(fg.weights, fr.weights, 1e-5, 1e-7, `gatedMixture weights ${at}`);
      const bg = gpu!.gatedMixtureBackward(gg, xg, fg.weights, p);
      const br = js.gatedMixtureBackward(gr, xr, fr.weights, p);
      await check(bg.gExperts, br.gExperts, 1e-5, 1e-6, `gatedMixtureBackward gExperts ${at}`);
      await check(bg.gLogits, br.gLogits, 1e-4, 1e-5, `gatedMixtureBackward gLogits ${at}`);
      for (const s of [xg, lg, gg, fg.out, fg.weights, bg.gExperts, bg.gLogits]) gpu!.dispose(s);
    }
  });

  it('gatedMixture: wrong sizes, a bad layout and too many dot products give clear errors', () => {
    const p: MixtureParams = { e: 3, b: 5, d: 7, t: 2, layout: 'BED', activation: 'none' };
    const x = gpu!.upload(data(3 * 5 * 7, 1), 'float32');
    const l = gpu!.upload(data(2 * 5 * 3, 2), 'float32');
    const g = gpu!.upload(data(2 * 5 * 7, 3), 'float32');
    const short = gpu!.upload(data(5 * 3, 4), 'float32');
    const cg = checked(gpu!); // sizes, layout, t and activation are checked before dispatch, as for every backend
    expect(() => cg.gatedMixture(x, short, p)).toThrow(
      'gatedMixture: gateLogits has 15 elements, expected T·B·E = 2·5·3 = 30',
    );
    expect(() => cg.gatedMixture(l, l, p)).toThrow(
      /gatedMixture: experts has 30 elements, expected E·B·D \(BED\) = 3·5·7 = 105/,
    );
    expect(() => cg.gatedMixtureBackward(x, x, l, p)).toThrow(
      /gatedMixtureBackward: gOut has 105 elements, expected T·B·D = 2·5·7 = 70/,
    );
    expect(() => cg.gatedMixtureBackward(g, x, short, p)).toThrow(
      /gatedMixtureBackward: weights has 15 elements, expected T·B·E = 2·5·3 = 30/,
    );
    expect(() => cg.gatedMixture(x, l, { ...p, layout: 'DBE' as MixtureLayout })).toThrow(/gatedMixture.*layout/);
    expect(() => cg.gatedMixture(x, l, { ...p, t: 0 })).toThrow(/gatedMixture.*t = 0/);
    expect(() => cg.gatedMixture(x, l, { ...p, activation: 'gelu' as MixtureParams['activation'] })).toThrow(
      /gatedMixture.*activation/,
    );
    expect(() => cg.gatedMixtureBackward(g, x, l, { ...p, activation: 'gelu' as MixtureParams['activation'] })).toThrow(
      /gatedMixtureBackward.*activation/,
    );
    const big: MixtureParams = { e: 65, b: 1, d: 1, t: 8, layout: 'EBD', activation: 'none' };
    const bx = gpu!.upload(data(65, 5), 'float32'),
      bw = gpu!.upload(data(8 * 65, 6), 'float32');
    const bg = gpu!.upload(data(8, 7), 'float32');
    expect(() => gpu!.gatedMixtureBackward(bg, bx, bw, big)).toThrow(
      /gatedMixtureBackward: T·E = 8·65 = 520 dot products per row, at most 512/,
    );
    for (const s of [x, l, g, short, bx, bw, bg]) gpu!.dispose(s);
  });

  it('bceWithLogits and its gradient, incl. large |logits| (rtol 2e-6)', async () => {
    const x = Float32Array.from([...data(60, 21, -10, 10), 50, -50, 0, 1e-4]);
    const y = Float32Array.from([...data(64, 22, 0, 1)].map((v, i) => (i % 3 === 0 ? Math.round(v) : v)));
    await same('bceWithLogits', [x, y], (b, [l, t]) => b.bceWithLogits(l!, t!), 2e-6, 1e-6);
    await same('bceWithLogitsGrad', [x, y], (b, [l, t]) => b.bceWithLogitsGrad(l!, t!), 2e-6, 1e-6);
  });

  // ---- optimizers ----
  it('sgd / adam / adagrad updates in place, full and on selected rows (rtol 1e-5)', async () => {
    const size = 7 * 9;
    const rowsIdx = Int32Array.from([6, 0, 3]);
    const variants: {
      name: string;
      run: (be: Backend, s: Storage[], sel?: { rows: Storage; rowSize: number }) => void;
    }[] = [
      {
        name: 'sgd plain',
        run: (be, [p, g], sel) =>
          be.sgdUpdate(
            p!,
            g!,
            null,
            { lr: 0.1, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0.01, firstStep: false },
            sel,
          ),
      },
      {
        name: 'sgd momentum first',
        run: (be, [p, g, m], sel) =>
          be.sgdUpdate(
            p!,
            g!,
            m!,
            { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: false, weightDecay: 0, firstStep: true },
            sel,
          ),
      },
      {
        name: 'sgd nesterov',
        run: (be, [p, g, m], sel) =>
          be.sgdUpdate(
            p!,
            g!,
            m!,
            { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.001, firstStep: false },
            sel,
          ),
      },
      {
        name: 'adam',
        run: (be, [p, g, m, v], sel) =>
          be.adamUpdate(
            p!,
            g!,
            m!,
            v!,
            { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false, step: 3 },
            sel,
          ),
      },
      {
        name: 'adamw',
        run: (be, [p, g, m, v], sel) =>
          be.adamUpdate(
            p!,
            g!,
            m!,
            v!,
            { lr: 1e-2, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, decoupled: true, step: 1 },
            sel,
          ),
      },
      {
        name: 'adagrad',
        run: (be, [p, g, s], sel) =>
          be.adagradUpdate(p!, g!, s!, { lr: 0.1, eps: 1e-10, weightDecay: 0.01, lrDecay: 0.05, step: 4 }, sel),
      },
    ];
    for (const variant of variants) {
      for (const withRows of [false, true]) {
        const inputs = [data(size, 31), data(size, 32), data(size, 33, 0, 1), data(size, 34, 0, 1)];
        const g = inputs.map((x) => gpu!.upload(x, 'float32'));
        const r = inputs.map((x) => js.upload(x, 'float32'));
        const [rg, rr] = both(rowsIdx);
        for (let step = 0; step < 2; step++) {
          variant.run(gpu!, g, withRows ? { rows: rg, rowSize: 9 } : undefined);
          variant.run(js, r, withRows ? { rows: rr, rowSize: 9 } : undefined);
        }
        for (let i = 0; i < 4; i++)
          await check(g[i]!, r[i]!, 1e-5, 1e-7, `${variant.name} rows=${withRows} buffer ${i}`);
      }
    }
  });

  // ---- runtime ----
  it('buffer pool: 300 iterations of allocate/compute/dispose keep memory flat', async () => {
    const x = gpu!.upload(data(1000, 1), 'float32');
    const step = (): void => {
      const a = gpu!.unary('exp', x);
      const b = gpu!.binary('mul', a, x, [1000], [1000], [1000]);
      const c = gpu!.reduce('sum', b, 1, 1000, 1);
      gpu!.dispose(a);
      gpu!.dispose(b);
      gpu!.dispose(c);
    };
    for (let i = 0; i < 20; i++) step();
    await gpu!.read(x);
    const before = gpu!.memory();
    for (let i = 0; i < 300; i++) {
      step();
      if (i % 50 === 49) await gpu!.read(x);
    }
    const after = gpu!.memory();
    expect(after.buffers).toBe(before.buffers);
    expect(after.bytes).toBe(before.bytes);
    expect(after.pooledBytes).toBeLessThanOrEqual(before.pooledBytes + 64 * 1024);
    gpu!.dispose(x);
    expect(gpu!.memory().buffers).toBe(before.buffers - 1);
  });

  it('debug mode names the kernel of a validation error', async () => {
    const debug = await createWebGpuBackend({ debug: true });
    try {
      const x = debug.upload(new Float32Array([1, 2, 3]), 'float32');
      expect(Array.from(await debug.read(debug.unary('neg', x)))).toEqual([-1, -2, -3]);
      // A binding left out on purpose: the bind group does not match the kernel's layout.
      const { Params } = await import('../../src/backends/webgpu/params.js');
      debug.core.run(
        'unary.wgsl',
        'main',
        { T: 'f32', OP: 'u_neg' },
        [undefined, debug.core.buf(x)],
        new Params().u(3),
        [1, 1, 1],
      );
      await expect(debug.read(x)).rejects.toThrow(/unary\.main/);
    } finally {
      debug.destroy();
    }
  });

  it('a process that used the backend exits by itself', () => {
    const script = fileURLToPath(new URL('./webgpu-exit.fixture.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30000 });
    expect(result.error, 'the child process did not exit within 30 s').toBeUndefined();
    expect(result.stdout.trim(), result.stderr).toBe('ok 6');
    expect(result.status).toBe(0);
  });
});
