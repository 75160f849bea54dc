/**
 * The kernel edge cases every backend shares, run once per available backend (describe.each), each backend behind
 * the validating layer exactly as the engine registers it. Expected values are written out by hand (small integers,
 * exact in float32), so the js reference is held to them too. Tile-, thread- and pool-specific tests stay in the
 * per-backend files ({js,native,webgpu}-kernels.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, DType, MatmulParams, Storage } from '../../src/backends/kernels.js';
import { checked } from '../../src/backends/checked.js';
import { JsBackend } from '../../src/backends/js/index.js';
import { requiredBackends } from '../conformance/required.js';

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

describe.each(all.filter((c) => c.backend).map((c) => [c.name, c.backend!] as const))('%s kernels', (_name, be) => {
  const up = (values: number[], dtype: DType = 'float32'): Storage =>
    be.upload(dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values), dtype);
  const read = async (s: Storage): Promise<number[]> => Array.from(await be.read(s));

  describe('arguments are rejected before dispatch, with the same words on every backend', () => {
    it('binary: shapes that do not broadcast, and sizes that do not match their shapes', () => {
      const a = up([1, 2, 3]),
        b = up([1, 2]);
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
});
