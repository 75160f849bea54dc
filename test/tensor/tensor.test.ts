/** Tensors: creation, readback, errors that name the op and shapes, scopes, and the seeded random stream. */
import { describe, it, expect } from 'vitest';
import * as mt from '../../src/index.js';

describe('creation and readback', () => {
  it('nested arrays, typed arrays, dtypes', async () => {
    const a = mt.tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(a.shape).toEqual([2, 2]);
    expect(a.dtype).toBe('float32');
    expect(await a.array()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(a.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const b = mt.tensor(new Int32Array([1, 2, 3, 4, 5, 6]), { shape: [3, 2] });
    expect(b.dtype).toBe('int32');
    expect(b.ndim).toBe(2);
    expect(b.size).toBe(6);
    expect(await mt.tensor(3.5).item()).toBe(3.5);
    expect(mt.tensor([1, 2], { dtype: 'float64' }).dataSync()).toBeInstanceOf(Float64Array);
  });

  it('constants and ranges', () => {
    expect(Array.from(mt.zeros([2, 3]).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(mt.full([2], 7).dataSync())).toEqual([7, 7]);
    expect(Array.from(mt.arange(5).dataSync())).toEqual([0, 1, 2, 3, 4]);
    expect(mt.arange(5).dtype).toBe('int32');
    expect(Array.from(mt.arange(0, 1, 0.25).dataSync())).toEqual([0, 0.25, 0.5, 0.75]);
    expect(mt.eye(2, 3).arraySync()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    expect(mt.zeros([0, 4]).size).toBe(0);
  });

  it('rejects ragged or bad input with a clear error', () => {
    expect(() => mt.tensor([[1, 2], [3]])).toThrow(/ragged nested array at \[1\]: expected 2/);
    expect(() => mt.tensor([1.5], { dtype: 'int32' })).toThrow(/non-integer/);
    expect(() => mt.tensor(new Float32Array([1, 2.5]), { dtype: 'int32' })).toThrow(
      /int32 tensor given 2.5 at index 1/,
    );
    expect(Array.from(mt.tensor(new Float64Array([1, -2]), { dtype: 'int32' }).dataSync())).toEqual([1, -2]);
    expect(() => mt.tensor(new Float32Array(5), { shape: [2, 2] })).toThrow(/needs 4 values/);
    expect(() => mt.zeros([2, -1])).toThrow(/non-negative/);
  });

  it('JS numbers are accepted as operands', () => {
    const x = mt.tensor([1, 2]);
    expect(Array.from(x.mul(0.5).dataSync())).toEqual([0.5, 1]);
    expect(Array.from(mt.add(x, 1).dataSync())).toEqual([2, 3]);
    expect(Array.from(mt.sub(10, x).dataSync())).toEqual([9, 8]);
  });
});

describe('errors name the op, the shapes and what was expected', () => {
  it('broadcasting', () => {
    expect(() => mt.add(mt.zeros([2, 3]), mt.zeros([4]))).toThrow(
      /add: shapes \[2,3\] and \[4\] are not broadcastable/,
    );
  });
  it('dtype mismatch', () => {
    expect(() => mt.add(mt.zeros([2]), mt.zeros([2], { dtype: 'int32' }))).toThrow(
      /add: dtype mismatch.*float32.*int32/,
    );
  });
  it('matmul alignment', () => {
    expect(() => mt.matmul(mt.zeros([2, 3]), mt.zeros([4, 5]))).toThrow(
      /matmul: shapes \[2,3\] and \[4,5\] do not align/,
    );
  });
  it('reshape size', () => {
    expect(() => mt.reshape(mt.zeros([2, 3]), [4, 2])).toThrow(/cannot reshape \[2,3\] \(6 elements\) to \[4,2\]/);
  });
  it('losses refuse silent broadcasting between prediction and target', () => {
    expect(() => mt.mse(mt.zeros([4, 1]), mt.zeros([4]))).toThrow(
      /mse: prediction \[4,1\] and target \[4\] must have the same shape/,
    );
  });
  it('axis out of range', () => {
    expect(() => mt.sum(mt.zeros([2, 3]), 2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
  });
  it('slice bounds are checked, not clipped', () => {
    expect(() => mt.slice(mt.zeros([4]), [[0, 5]])).toThrow(/out of bounds for axis 0 of size 4/);
  });
  it('gather indices out of range', () => {
    expect(() => mt.gather(mt.zeros([3, 2]), mt.tensor([0, 3], { dtype: 'int32' }))).toThrow(/3/);
  });
  it('crossEntropy labels out of range', () => {
    expect(() => mt.crossEntropy(mt.zeros([2, 3]), mt.tensor([0, 3], { dtype: 'int32' }))).toThrow(
      /label 3 at row 1 is outside \[0, 3\)/,
    );
  });
  it('int tensors cannot require grad or go through float ops', () => {
    expect(() => mt.tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/int32/);
    expect(() => mt.exp(mt.tensor([1], { dtype: 'int32' }))).toThrow(/exp: expected a float tensor/);
  });
  it('gatedMixture shapes, per layout', () => {
    expect(() => mt.gatedMixture(mt.zeros([3, 5, 7]), mt.zeros([3, 5]))).toThrow(
      /gatedMixture: expected experts \[E, B, D\] and gate logits \[B, E\] or \[T, B, E\] \(layout 'EBD'\), got \[3,5,7\] and \[3,5\]/,
    );
    expect(() => mt.gatedMixture(mt.zeros([3, 5, 7]), mt.zeros([5, 3]), { layout: 'BED' })).toThrow(
      /experts \[B, E, D\].*got \[3,5,7\] and \[5,3\]/,
    );
    expect(() => mt.gatedMixture(mt.zeros([3, 5, 7]), mt.zeros([0, 5, 3]))).toThrow(/gatedMixture: expected/);
    expect(mt.gatedMixture(mt.zeros([5, 3, 7]), mt.zeros([2, 5, 3]), { layout: 'BED' }).out.shape).toEqual([2, 5, 7]);
  });
  it('using a disposed tensor', () => {
    const x = mt.tensor([1]);
    x.dispose();
    expect(() => mt.add(x, 1)).toThrow(/was disposed/);
  });
});

describe('scopes', () => {
  it('tidy disposes intermediates and keeps the result', () => {
    const before = mt.memory().tensors;
    const r = mt.tidy(() => mt.add(mt.mul(mt.ones([3]), 2), 1));
    expect(mt.memory().tensors).toBe(before + 1);
    expect(Array.from(r.dataSync())).toEqual([3, 3, 3]);
    r.dispose();
    expect(mt.memory().tensors).toBe(before);
  });

  it('nested tidy and keep', () => {
    const before = mt.memory().tensors;
    let kept: mt.Tensor | undefined;
    const out = mt.tidy(() => {
      const inner = mt.tidy(() => {
        kept = mt.keep(mt.ones([2]));
        return { a: mt.zeros([1]), list: [mt.ones([1])] };
      });
      mt.ones([5]);
      return inner.a;
    });
    expect(mt.memory().tensors).toBe(before + 2);
    mt.dispose([out, kept]);
    expect(mt.memory().tensors).toBe(before);
  });

  it('reshape views share storage and bytes are counted once', () => {
    const before = mt.memory();
    const x = mt.zeros([4, 4]);
    const v = x.reshape([16]);
    const after = mt.memory();
    expect(after.tensors - before.tensors).toBe(2);
    expect(after.bytes - before.bytes).toBe(64);
    x.dispose();
    expect(v.dataSync().length).toBe(16);
    v.dispose();
    expect(mt.memory().bytes).toBe(before.bytes);
  });

  it('tidy refuses async functions', () => {
    expect(() => mt.tidy(async () => 1)).toThrow(/synchronous/);
  });
});

describe('random', () => {
  it('the same seed gives the same numbers; different seeds differ', () => {
    mt.manualSeed(42);
    const a = Array.from(mt.randn([100]).dataSync());
    const u = Array.from(mt.rand([10]).dataSync());
    mt.manualSeed(42);
    expect(Array.from(mt.randn([100]).dataSync())).toEqual(a);
    expect(Array.from(mt.rand([10]).dataSync())).toEqual(u);
    mt.manualSeed(43);
    expect(Array.from(mt.randn([100]).dataSync())).not.toEqual(a);
  });

  it('randint stays in range and covers it', () => {
    mt.manualSeed(7);
    const v = Array.from(mt.randint(-3, 4, [2000]).dataSync());
    expect(Math.min(...v)).toBe(-3);
    expect(Math.max(...v)).toBe(3);
  });

  it('dropout is reproducible, scales kept units, and is the identity in eval', () => {
    const x = mt.ones([1000]);
    mt.manualSeed(3);
    const y = Array.from(mt.dropout(x, 0.25).dataSync());
    expect(new Set(y.map((v) => v.toFixed(5)))).toEqual(new Set(['0.00000', (1 / 0.75).toFixed(5)]));
    const keptFrac = y.filter((v) => v > 0).length / y.length;
    expect(Math.abs(keptFrac - 0.75)).toBeLessThan(0.05);
    mt.manualSeed(3);
    expect(Array.from(mt.dropout(x, 0.25).dataSync())).toEqual(y);
    expect(mt.dropout(x, 0.5, { training: false })).toBe(x);
  });
});

describe('backends', () => {
  it('init js and report the backend', async () => {
    const r = await mt.init({ backend: 'js' });
    expect(r.backend).toBe('js');
    expect(mt.backendName()).toBe('js');
    expect(mt.backendInfo().dtypes).toContain('float64');
  });

  it('unknown backends are an error', async () => {
    await expect(mt.init({ backend: 'tpu' as never })).rejects.toThrow(/unknown backend 'tpu'/);
  });
});
