import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn } from '../../src/index.js';

const f64 = { dtype: 'float64' } as const;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-10): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `element ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i])));
};

describe('BatchNorm1d', () => {
  it('normalises with batch statistics in training and updates running stats with the unbiased variance', () => {
    const bn = new nn.BatchNorm1d(2, f64);
    const data = [[1, 10], [2, 20], [4, 30], [5, 60]];
    const y = mt.tidy(() => bn.forward(mt.tensor(data, f64)).dataSync());
    const col = (c: number): number[] => data.map((r) => r[c]);
    const expected: number[] = [];
    const stats = [0, 1].map((c) => {
      const v = col(c); const mu = v.reduce((a, b) => a + b) / 4;
      const varB = v.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
      return { mu, varB, varU: (varB * 4) / 3 };
    });
    data.forEach((r) => r.forEach((x, c) => expected.push((x - stats[c].mu) / Math.sqrt(stats[c].varB + 1e-5))));
    close(y, expected);
    close(bn.runningMean.dataSync(), stats.map((s) => 0.1 * s.mu));
    close(bn.runningVar.dataSync(), stats.map((s) => 0.9 + 0.1 * s.varU));
    expect(bn.numBatchesTracked.itemSync()).toBe(1);
    bn.eval();
    const ye = mt.tidy(() => bn.forward(mt.tensor([[1, 10]], f64)).dataSync());
    close(ye, [0, 1].map((c) => ([1, 10][c] - 0.1 * stats[c].mu) / Math.sqrt(0.9 + 0.1 * stats[c].varU + 1e-5)));
    expect(() => bn.train().forward(mt.tensor([[1, 2]], f64))).toThrow(/more than 1 value per channel/);
    bn.dispose();
  });

  it('gradients match finite differences through batch statistics', () => {
    const bn = new nn.BatchNorm1d(3, f64);
    const x0 = [0.3, -1.2, 2.0, 1.1, 0.4, -0.7, -0.5, 0.9, 0.1, 2.2, -1.0, 0.6];
    const w = x0.map((_, i) => Math.sin(i + 1));
    const f = (xs: number[]): number => mt.tidy(() => mt.noGrad(() => mt.sum(mt.mul(bn.forward(mt.tensor(xs, { ...f64, shape: [4, 3] })), mt.tensor(w, { ...f64, shape: [4, 3] }))).itemSync()));
    const g = mt.tidy(() => {
      const x = mt.tensor(x0, { ...f64, shape: [4, 3], requiresGrad: true });
      return mt.grad(mt.sum(mt.mul(bn.forward(x), mt.tensor(w, { ...f64, shape: [4, 3] }))), [x])[0].dataSync();
    });
    const num = x0.map((_, i) => { const p = [...x0], m = [...x0]; p[i] += 1e-6; m[i] -= 1e-6; return (f(p) - f(m)) / 2e-6; });
    close(g, num, 1e-6);
    bn.dispose();
  });
});

describe('LayerNorm, Dropout, MLP', () => {
  it('LayerNorm normalises each row over the last axis', () => {
    const ln = new nn.LayerNorm(3, f64);
    const y = mt.tidy(() => ln.forward(mt.tensor([[1, 2, 3], [2, 2, 5]], f64)).dataSync());
    const row = (r: number[]): number[] => { const mu = (r[0] + r[1] + r[2]) / 3; const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / 3; return r.map((x) => (x - mu) / Math.sqrt(v + 1e-5)); };
    close(y, [...row([1, 2, 3]), ...row([2, 2, 5])]);
    expect(() => ln.forward(mt.zeros([2, 4], f64))).toThrow(/must end in \[3\]/);
    ln.dispose();
  });

  it('Dropout is the identity in eval mode and zeroes/scales in training', () => {
    const d = new nn.Dropout(0.5);
    const x = mt.ones([1000]);
    mt.tidy(() => {
      const y = Array.from(d.forward(x).dataSync());
      expect(y.every((v) => v === 0 || v === 2)).toBe(true);
      expect(y.filter((v) => v === 0).length).toBeGreaterThan(400);
      d.eval();
      expect(d.forward(x)).toBe(x);
    });
    x.dispose();
  });

  it('MLP stacks Linear → BN → activation → dropout and ends in logits', () => {
    mt.manualSeed(1);
    const m = new nn.MLP([4, 8, 6, 2], { batchNorm: true, dropout: 0.2, ...f64 });
    expect(m.namedParameters().map(([n]) => n)).toEqual(['fc1.weight', 'fc1.bias', 'bn1.weight', 'bn1.bias', 'fc2.weight', 'fc2.bias', 'bn2.weight', 'bn2.bias', 'fc3.weight', 'fc3.bias']);
    const y = mt.tidy(() => m.forward(mt.randn([5, 4], f64)).dataSync());
    expect(y.length).toBe(10);
    expect(Array.from(y).some((v) => v < 0)).toBe(true);
    m.dispose();
  });
});

describe('Embedding and FeatureEncoder', () => {
  it('Embedding gradients touch only the looked-up rows, and the rows are recorded for lazy updates', () => {
    const e = new nn.Embedding(6, 3, f64);
    mt.tidy(() => {
      const out = e.forward(mt.tensor([[1, 4], [4, 1]], { dtype: 'int32' }));
      expect(out.shape).toEqual([2, 2, 3]);
      mt.sum(out).backward();
    });
    const g = e.weight.grad!.dataSync();
    for (let r = 0; r < 6; r++) for (let c = 0; c < 3; c++) expect(g[r * 3 + c]).toBe(r === 1 || r === 4 ? 2 : 0);
    expect(Array.from(nn.touchedRows(e.weight)!)).toEqual([1, 4]);
    e.zeroGrad();
    expect(nn.touchedRows(e.weight)).toBeNull();
    expect(e.weight.grad).toBeNull();
    mt.noGrad(() => mt.tidy(() => e.forward(mt.tensor([2], { dtype: 'int32' }))));
    expect(nn.touchedRows(e.weight)).toBeNull();
    e.dispose();
  });

  it('FeatureEncoder concatenates per-field embeddings and standardised numerics, mapping bad ids to OOV 0', () => {
    const enc = new nn.FeatureEncoder({
      categorical: [{ name: 'user', vocabularySize: 4, dim: 2 }, { name: 'item', vocabularySize: 3 }],
      numeric: [{ name: 'age', mean: 30, std: 10 }, { name: 'raw' }],
      embeddingDim: 3, ...f64,
    });
    expect(enc.outputDim).toBe(2 + 3 + 2);
    const user = enc.embeddings.get('user').weight.dataSync(), item = enc.embeddings.get('item').weight.dataSync();
    const out = mt.tidy(() => enc.forward({
      cat: mt.tensor([[3, 1], [9, -2]], { dtype: 'int32' }),
      num: mt.tensor([[40, 5], [20, 6]], f64),
    }).dataSync());
    const expected = [
      user[6], user[7], item[3], item[4], item[5], 1, 5,
      user[0], user[1], item[0], item[1], item[2], -1, 6,
    ];
    close(out, expected);
    expect(() => enc.forward({ cat: mt.zeros([2, 3], { dtype: 'int32' }) })).toThrow(/expected cat int32 \[B, 2\]/);
    enc.dispose();
  });
});

describe('host ids and in-place copies', () => {
  it('FeatureEncoder records lazy rows from catHost (OOV-mapped) without reading the ids back', () => {
    const enc = new nn.FeatureEncoder({ categorical: [{ name: 'u', vocabularySize: 5, dim: 2 }, { name: 'i', vocabularySize: 3, dim: 2 }] });
    const host = Int32Array.from([4, 2, 7, 1]);
    mt.tidy(() => mt.sum(enc.forward({ cat: mt.tensor(host, { shape: [2, 2] }), catHost: host })).backward());
    expect(Array.from(nn.touchedRows(enc.embeddings.get('u').weight)!)).toEqual([0, 4]);
    expect(Array.from(nn.touchedRows(enc.embeddings.get('i').weight)!)).toEqual([1, 2]);
    expect(() => enc.forward({ cat: mt.tensor(host, { shape: [2, 2] }), catHost: host.subarray(1) })).toThrow(/catHost has 3 ids/);
    enc.dispose();
  });

  it('copyInto writes bit-exactly in place and bumps the version', () => {
    const dst = mt.keep(mt.tensor([1, 2, 3], f64));
    const src = mt.tensor([1e300, -0, 5e-324], f64);
    nn.copyInto(dst, src);
    expect(Array.from(dst.dataSync())).toEqual([1e300, -0, 5e-324]);
    expect(Object.is(dst.dataSync()[1], -0)).toBe(true);
    expect(dst.version).toBe(1);
    expect(() => nn.copyInto(dst, mt.zeros([2], f64))).toThrow(/source \[2\] does not match destination \[3\]/);
    mt.dispose([dst, src]);
  });
});
