/**
 * Every model on every available backend: output keys and shapes, predict's ranges, a finite scalar loss,
 * lastGates shapes, and paramGroups covering every parameter exactly once.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { MODEL_NAMES, type ModelName } from '../../src/models/index.js';
import { availableBackends } from '../conformance/backends.js';
import { makeInput, makeLabels, makeModel, type AnyModel } from './helpers.js';

const B = 5;

const EXPECTED_GATES: Record<ModelName, Record<string, number[]>> = {
  singleTask: {},
  sharedBottom: {},
  esmm: {},
  rnr: {},
  omoe: { a: [B, 3], b: [B, 3] },
  mmoe: { a: [B, 3], b: [B, 3] },
  cgc: { a: [B, 3], b: [B, 3], 'a@level1': [B, 3], 'b@level1': [B, 3] },
  ple: {
    a: [B, 3],
    b: [B, 3],
    'a@level1': [B, 3],
    'b@level1': [B, 3],
    'shared@level1': [B, 5],
    'a@level2': [B, 3],
    'b@level2': [B, 3],
  },
  aitm: { buy: [B, 2], repeat: [B, 2] },
  mran: { featureFeature: [B, 6, 6], taskFeature: [B, 2, 6], taskTask: [B, 2, 2] },
};

describe.each(availableBackends)('models on %s', (backend) => {
  it.each(MODEL_NAMES)('%s: outputs, predict, loss, gates and parameter groups', async (name) => {
    mt.manualSeed(5);
    const model: AnyModel = makeModel(name, {}, { backend });
    model.checkParamGroups();
    const r = mt.tidy(() => {
      const input = makeInput(name, B, { backend });
      const out = model.forward(input);
      const labels = makeLabels(model, B, { backend });
      const loss = model.loss(out, labels);
      const pred = model.predict(input);
      return { out, loss, pred };
    });
    expect(Object.keys(r.out)).toEqual(model.taskNames);
    for (const t of model.tasks) {
      expect(r.out[t.name].shape).toEqual([B]);
      const p = await r.pred[t.name].data();
      expect(p.every((v) => Number.isFinite(v))).toBe(true);
      if (t.kind === 'binary') expect(p.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
    expect(r.loss.shape).toEqual([]);
    expect(Number.isFinite((await r.loss.data())[0])).toBe(true);
    const gates = model.lastGates();
    expect(Object.fromEntries(Object.entries(gates).map(([k, g]) => [k, g.shape]))).toEqual(EXPECTED_GATES[name]);
    for (const [k, g] of Object.entries(gates)) {
      if (k === 'taskTask') continue; // MRAN's task relation is signed (tanh), not a distribution
      const w = await g.data();
      const width = g.shape[g.shape.length - 1];
      for (let row = 0; row < w.length / width; row++) {
        const s = Array.from(w.subarray(row * width, (row + 1) * width)).reduce((a, v) => a + v, 0);
        expect(Math.abs(s - 1)).toBeLessThan(1e-5);
      }
      expect(g.requiresGrad).toBe(false);
    }
    mt.dispose(r);
    model.dispose();
  });
});

describe('lastGates lifetime', () => {
  it('survives the tidy of the training step and is replaced (the old copy disposed) by the next forward', () => {
    const model = makeModel('mmoe');
    mt.tidy(() => {
      model.forward(mt.randn([B, 6]));
    });
    const first = model.lastGates().a;
    expect(first.isDisposed).toBe(false);
    expect(first.shape).toEqual([B, 3]);
    mt.tidy(() => {
      model.forward(mt.randn([2, 6]));
    });
    expect(first.isDisposed).toBe(true);
    expect(model.lastGates().a.shape).toEqual([2, 3]);
  });

  it('predict runs in eval mode and restores training mode', () => {
    const model = makeModel('sharedBottom', { dropout: 0.5 });
    model.train();
    const x = mt.randn([4, 6]);
    const p1 = model.predict(x).a.dataSync();
    const p2 = model.predict(x).a.dataSync();
    expect(Array.from(p1)).toEqual(Array.from(p2));
    expect(model.training).toBe(true);
  });

  it('models with features take a FeatureBatch and reject a dense tensor', () => {
    const model = makeModel('mmoe', {
      inputDim: undefined,
      features: { categorical: [{ name: 'c', vocabularySize: 4, dim: 3 }], numeric: [{ name: 'x' }] },
    });
    const out = mt.tidy(() =>
      model.forward({ cat: mt.tensor(Int32Array.from([1, 3, 0]), { shape: [3, 1] }), num: mt.randn([3, 1]) }),
    );
    expect(out.a.shape).toEqual([3]);
    expect(() => model.forward(mt.randn([3, 4]))).toThrow(/expects a features input .*got a dense tensor/);
    expect(() => makeModel('mmoe').forward(mt.randn([3, 5]))).toThrow(
      /mmoe: expects a dense input \(float \[B, 6\]\), got a tensor \[3,5\]/,
    );
  });
});
