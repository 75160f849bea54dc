/**
 * tensor(typedArray, { copy: false }): the tensor reads the caller's array in place on the host-memory backends
 * (WebGPU uploads it), disposing it leaves the array alone (never recycled into the pool), a capture records it as
 * the upload it is to a plan, and scoring (which borrows its batches) gives the numbers predict gives.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { scoreRows } from '../../src/infer/score.js';
import { availableBackends } from '../conformance/backends.js';

describe.each(availableBackends)('tensor(data, { copy: false }) on %s', (backend) => {
  const inPlace = backend !== 'webgpu';

  it('has the values; reads the array in place where the backend keeps host memory', async () => {
    const data = Float32Array.from({ length: 13 }, (_, i) => i * 0.5 - 2);
    const t = mt.tensor(data, { shape: [13], copy: false, backend });
    expect(t.shape).toEqual([13]);
    expect(Array.from(await t.data())).toEqual(Array.from(data));
    data[3] = 100;
    expect((await t.data())[3]).toBe(inPlace ? 100 : -0.5);
    const ids = new Int32Array([4, 1, 7]);
    const i = mt.tensor(ids, { copy: false, backend });
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.data())).toEqual([4, 1, 7]);
    mt.dispose([t, i]);
  });

  it('disposing it neither changes the array nor recycles it into the pool', async () => {
    const before = mt.memory();
    const data = Float32Array.from({ length: 257 }, (_, i) => i);
    const kept = data.slice();
    const t = mt.tensor(data, { copy: false, backend });
    t.dispose();
    // Buffers of this size taken from the pool afterwards and written must not be the caller's array.
    const others = [1, 2, 3].map((v) => mt.full([257], v, { backend }));
    mt.dispose(mt.tidy(() => others.map((o) => mt.add(o, o))));
    mt.dispose(others);
    expect(Array.from(data)).toEqual(Array.from(kept));
    const after = mt.memory();
    expect(after.tensors).toBe(before.tensors);
    expect(after.byBackend[backend]?.backend.buffers).toBe(before.byBackend[backend]?.backend.buffers);
  });

  it('a capture records it as an upload: replays use the captured values', async () => {
    const data = new Float32Array([1, 2, 3]);
    const f = mt.compile((x: mt.Tensor) => mt.add(x, mt.tensor(data, { copy: false, backend })), { name: 'borrowed' });
    const x = mt.tensor([10, 20, 30], { backend });
    const outs: number[][] = [];
    for (let k = 0; k < 6; k++) {
      const y = f(x);
      outs.push(Array.from(await y.data()));
      y.dispose();
    }
    expect(f.stats().replays).toBeGreaterThan(0);
    data[0] = 1000; // after the capture: not read by replays
    const y = f(x);
    expect(Array.from(await y.data())).toEqual([11, 22, 33]);
    expect(outs.every((o) => o.join() === '11,22,33')).toBe(true);
    mt.dispose([x, y]);
    f.dispose();
  });

  it('scoreRows (borrowed batches) gives predict’s numbers and leaves rows and memory as they were', async () => {
    await mt.init({ backend });
    mt.manualSeed(3);
    const model = mt.createModel('mmoe', {
      inputDim: 11,
      numExperts: 3,
      expertDims: [5],
      towerDims: [4],
      tasks: [{ name: 'a' }, { name: 'b', type: 'regression' }],
    });
    const num = Float32Array.from({ length: 7 * 11 }, (_, i) => Math.sin(i));
    const kept = num.slice();
    const rows = { size: 7, nCat: 0, nNum: 11, cat: new Int32Array(0), num };
    // The first calls compile predict (one eager call, three traced, per batch shape); the plan then stays.
    for (let k = 0; k < 5; k++) await scoreRows(model, rows, { batchSize: 3 });
    const before = mt.memory().tensors;
    const scores = await scoreRows(model, rows, { batchSize: 3 });
    expect(mt.memory().tensors).toBe(before);
    expect(Array.from(num)).toEqual(Array.from(kept));
    model.eval();
    const x = mt.tensor(kept, { shape: [7, 11] });
    const p = model.predict(x, { compile: false });
    for (const task of ['a', 'b']) {
      const want = await p[task]!.data();
      const got = scores.outputs[task]!;
      for (let r = 0; r < 7; r++) expect(got[r]).toBeCloseTo(want[r]!, 5);
    }
    mt.dispose([x, ...Object.values(p)]);
    model.dispose();
    await mt.init({ backend: 'js' });
  });
});

describe('tensor(data, { copy: false }) errors', () => {
  it('needs a typed array of the tensor dtype', () => {
    expect(() => mt.tensor([1, 2], { copy: false })).toThrow(
      /tensor: copy: false needs a typed array, got a nested array/,
    );
    expect(() => mt.tensor(new Float32Array(2), { dtype: 'int32', copy: false })).toThrow(
      /tensor: copy: false needs a typed array of the tensor's dtype int32, got a float32 array/,
    );
  });
});
