/**
 * Layers on every available backend (float64 on js, float32 with looser tolerances elsewhere): BatchNorm1d,
 * LayerNorm, Dropout, MLP, Embedding (incl. lazy rows), FeatureEncoder, copyInto.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { expectClose, placementFor, values } from './placement.js';

const f64 = { dtype: 'float64' } as const;

describe.each(availableBackends)('layers on %s', (backend) => {
  const { dtype, tol } = placementFor(backend);
  const place = { backend, dtype } as const;
  const ids = (v: number[][] | number[]): mt.Tensor => mt.tensor(v, { dtype: 'int32', backend });

  describe('BatchNorm1d', () => {
    it('normalises with batch statistics in training and updates running stats with the unbiased variance', async () => {
      const bn = new nn.BatchNorm1d(2, place);
      const data = [
        [1, 10],
        [2, 20],
        [4, 30],
        [5, 60],
      ];
      const y = mt.tidy(() => bn.forward(mt.tensor(data, place)));
      const col = (c: number): number[] => data.map((r) => r[c]);
      const expected: number[] = [];
      const stats = [0, 1].map((c) => {
        const v = col(c);
        const mu = v.reduce((a, b) => a + b) / 4;
        const varB = v.reduce((a, b) => a + (b - mu) ** 2, 0) / 4;
        return { mu, varB, varU: (varB * 4) / 3 };
      });
      data.forEach((r) => r.forEach((x, c) => expected.push((x - stats[c].mu) / Math.sqrt(stats[c].varB + 1e-5))));
      expectClose(await values(y), expected, tol);
      expectClose(
        await values(bn.runningMean),
        stats.map((s) => 0.1 * s.mu),
        tol,
      );
      expectClose(
        await values(bn.runningVar),
        stats.map((s) => 0.9 + 0.1 * s.varU),
        tol,
      );
      expect(await bn.numBatchesTracked.item()).toBe(1);
      bn.eval();
      const ye = mt.tidy(() => bn.forward(mt.tensor([[1, 10]], place)));
      expectClose(
        await values(ye),
        [0, 1].map((c) => ([1, 10][c] - 0.1 * stats[c].mu) / Math.sqrt(0.9 + 0.1 * stats[c].varU + 1e-5)),
        tol,
      );
      expect(() => bn.train().forward(mt.tensor([[1, 2]], place))).toThrow(/more than 1 value per channel/);
      mt.dispose([y, ye]);
      bn.dispose();
    });

    it('gradients match finite differences (taken on js float64) through batch statistics', async () => {
      const bn = new nn.BatchNorm1d(3, place);
      const ref = new nn.BatchNorm1d(3, f64);
      const x0 = [0.3, -1.2, 2.0, 1.1, 0.4, -0.7, -0.5, 0.9, 0.1, 2.2, -1.0, 0.6];
      const w = x0.map((_, i) => Math.sin(i + 1));
      const f = (xs: number[]): number =>
        mt.tidy(() =>
          mt.noGrad(() =>
            mt
              .sum(
                mt.mul(ref.forward(mt.tensor(xs, { ...f64, shape: [4, 3] })), mt.tensor(w, { ...f64, shape: [4, 3] })),
              )
              .itemSync(),
          ),
        );
      const g = mt.tidy(() => {
        const x = mt.tensor(x0, { ...place, shape: [4, 3], requiresGrad: true });
        return mt.grad(mt.sum(mt.mul(bn.forward(x), mt.tensor(w, { ...place, shape: [4, 3] }))), [x])[0];
      });
      const num = x0.map((_, i) => {
        const p = [...x0],
          m = [...x0];
        p[i] += 1e-6;
        m[i] -= 1e-6;
        return (f(p) - f(m)) / 2e-6;
      });
      expectClose(await values(g), num, dtype === 'float64' ? 1e-6 : 1e-4);
      g.dispose();
      bn.dispose();
      ref.dispose();
    });
  });

  it('BatchNorm1d on [N, C, L] and LayerNorm: forward and input/affine gradients equal js float64', async () => {
    const x0 = Array.from({ length: 3 * 2 * 4 }, (_, i) => Math.sin(1.7 * i) * 2 + (i % 5) * 0.3);
    const w = x0.map((_, i) => Math.cos(i + 0.5));
    const run = (p: { backend?: string; dtype: 'float32' | 'float64' }) => {
      const bn = new nn.BatchNorm1d(2, p),
        ln = new nn.LayerNorm(4, p);
      const r = mt.tidy(() => {
        const x = mt.tensor(x0, { ...p, shape: [3, 2, 4], requiresGrad: true });
        const y = ln.forward(bn.forward(x));
        const g = mt.grad(mt.sum(mt.mul(y, mt.tensor(w, { ...p, shape: [3, 2, 4] }))), [
          x,
          ...bn.parameters(),
          ...ln.parameters(),
        ]);
        return { y, g, rm: mt.mul(bn.runningMean, 1), rv: mt.mul(bn.runningVar, 1) };
      });
      bn.dispose();
      ln.dispose();
      return r;
    };
    const got = run(place),
      ref = run(f64);
    expectClose(await values(got.y), await values(ref.y), 10 * tol, 'y');
    expectClose(await values(got.rm), await values(ref.rm), tol, 'running mean');
    expectClose(await values(got.rv), await values(ref.rv), tol, 'running var');
    for (let i = 0; i < ref.g.length; i++)
      expectClose(await values(got.g[i]), await values(ref.g[i]), 10 * tol, `gradient ${i}`);
    mt.dispose([got, ref]);
  });

  it('Dropout backward passes the gradient through the kept elements only, scaled by 1/(1−p)', async () => {
    const d = new nn.Dropout(0.25);
    const r = mt.tidy(() => {
      const x = mt.tensor(
        Array.from({ length: 64 }, (_, i) => 1 + i),
        { ...place, requiresGrad: true },
      );
      const y = d.forward(x);
      return { x, y, g: mt.grad(mt.sum(y), [x])[0] };
    });
    const [x, y, g] = [await values(r.x), await values(r.y), await values(r.g)];
    y.forEach((v, i) => {
      if (v === 0) expect(g[i]).toBe(0);
      else {
        expectClose([v], [x[i] / 0.75], tol);
        expectClose([g[i]], [1 / 0.75], tol);
      }
    });
    expect(y.some((v) => v === 0) && y.some((v) => v !== 0)).toBe(true);
    mt.dispose(r);
  });

  describe('LayerNorm, Dropout, MLP', () => {
    it('LayerNorm normalises each row over the last axis', async () => {
      const ln = new nn.LayerNorm(3, place);
      const y = mt.tidy(() =>
        ln.forward(
          mt.tensor(
            [
              [1, 2, 3],
              [2, 2, 5],
            ],
            place,
          ),
        ),
      );
      const row = (r: number[]): number[] => {
        const mu = (r[0] + r[1] + r[2]) / 3;
        const v = r.reduce((a, b) => a + (b - mu) ** 2, 0) / 3;
        return r.map((x) => (x - mu) / Math.sqrt(v + 1e-5));
      };
      expectClose(await values(y), [...row([1, 2, 3]), ...row([2, 2, 5])], tol);
      expect(() => ln.forward(mt.zeros([2, 4], place))).toThrow(/must end in \[3\]/);
      y.dispose();
      ln.dispose();
    });

    it('Dropout is the identity in eval mode and zeroes/scales in training', async () => {
      const d = new nn.Dropout(0.5);
      const x = mt.ones([1000], place);
      const y = mt.tidy(() => d.forward(x));
      const v = await values(y);
      expect(v.every((e) => e === 0 || e === 2)).toBe(true);
      expect(v.filter((e) => e === 0).length).toBeGreaterThan(400);
      expect(v.filter((e) => e === 0).length).toBeLessThan(600);
      d.eval();
      expect(d.forward(x)).toBe(x);
      mt.dispose([x, y]);
    });

    it('MLP stacks Linear → BN → activation → dropout and ends in logits', async () => {
      mt.manualSeed(1);
      const m = new nn.MLP([4, 8, 6, 2], { batchNorm: true, dropout: 0.2, ...place });
      expect(m.namedParameters().map(([n]) => n)).toEqual([
        'fc1.weight',
        'fc1.bias',
        'bn1.weight',
        'bn1.bias',
        'fc2.weight',
        'fc2.bias',
        'bn2.weight',
        'bn2.bias',
        'fc3.weight',
        'fc3.bias',
      ]);
      expect(m.parameters().every((p) => p.backendName === backend && p.dtype === dtype)).toBe(true);
      const y = mt.tidy(() => m.forward(mt.randn([5, 4], place)));
      expect(y.shape).toEqual([5, 2]);
      const v = await values(y);
      expect(v.every(Number.isFinite)).toBe(true);
      expect(v.some((e) => e < 0)).toBe(true);
      y.dispose();
      m.dispose();
    });

    it('Linear computes x·Wᵀ + b and its gradients', async () => {
      const l = new nn.Linear(3, 2, place);
      nn.copyInto(
        l.weight,
        mt.tensor(
          [
            [1, -2, 0.5],
            [0, 3, -1],
          ],
          place,
        ),
      );
      nn.copyInto(l.bias!, mt.tensor([0.25, -0.5], place));
      const r = mt.tidy(() => {
        const x = mt.tensor(
          [
            [1, 2, 3],
            [-1, 0, 4],
          ],
          { ...place, requiresGrad: true },
        );
        const y = l.forward(x);
        const [gx, gw, gb] = mt.grad(
          mt.sum(
            mt.mul(
              y,
              mt.tensor(
                [
                  [1, 2],
                  [3, -1],
                ],
                place,
              ),
            ),
          ),
          [x, l.weight, l.bias!],
        );
        return { y, gx, gw, gb };
      });
      expectClose(await values(r.y), [1 - 4 + 1.5 + 0.25, 6 - 3 - 0.5, -1 + 2 + 0.25, -4 - 0.5], tol);
      // dL/dy = [[1, 2], [3, −1]]: gx = dy·W, gW = dyᵀ·x, gb = Σ_rows dy.
      expectClose(await values(r.gx), [1, 4, -1.5, 3, -9, 2.5], tol);
      expectClose(await values(r.gw), [1 - 3, 2, 3 + 12, 2 + 1, 4, 6 - 4], tol);
      expectClose(await values(r.gb), [4, 1], tol);
      mt.dispose(r);
      l.dispose();
    });
  });

  describe('Embedding and FeatureEncoder', () => {
    it('Embedding gradients touch only the looked-up rows, and the rows are recorded for lazy updates', async () => {
      const e = new nn.Embedding(6, 3, place);
      const lookup = [
        [1, 4],
        [4, 1],
      ];
      const out = mt.tidy(() => {
        // Without synchronous readback (webgpu) the rows come from the host ids; js and native read them back.
        const o = backend === 'webgpu' ? e.forward(ids(lookup), lookup.flat()) : e.forward(ids(lookup));
        mt.sum(o).backward();
        return o;
      });
      expect(out.shape).toEqual([2, 2, 3]);
      const g = await values(e.weight.grad!);
      for (let r = 0; r < 6; r++) for (let c = 0; c < 3; c++) expect(g[r * 3 + c]).toBe(r === 1 || r === 4 ? 2 : 0);
      expect(Array.from(nn.touchedRows(e.weight)!)).toEqual([1, 4]);
      e.zeroGrad();
      expect(nn.touchedRows(e.weight)).toBeNull();
      expect(e.weight.grad).toBeNull();
      mt.noGrad(() => mt.tidy(() => e.forward(ids([2]))));
      expect(nn.touchedRows(e.weight)).toBeNull();
      out.dispose();
      e.dispose();
    });

    if (backend === 'webgpu') {
      it('Embedding without host ids falls back to a dense update (no synchronous readback of the ids)', () => {
        const e = new nn.Embedding(6, 3, place);
        mt.tidy(() => mt.sum(e.forward(ids([1, 4]))).backward());
        expect(nn.touchedRows(e.weight)).toBeNull(); // null = update every row
        expect(nn.isLazyRows(e.weight)).toBe(true);
        e.dispose();
      });
    }

    it('lazy rows: Adam updates only the looked-up rows of the table', async () => {
      const e = new nn.Embedding(5, 2, place);
      const before = await values(e.weight);
      const opt = new mt.optim.Adam(e.parameters(), { lr: 0.1, weightDecay: 0.1 });
      mt.tidy(() => {
        opt.zeroGrad();
        mt.sum(e.forward(ids([3, 1]), [3, 1])).backward();
        opt.step();
      });
      const after = await values(e.weight);
      for (let r = 0; r < 5; r++) {
        for (let c = 0; c < 2; c++) {
          if (r === 1 || r === 3) expect(Math.abs(after[r * 2 + c] - before[r * 2 + c])).toBeGreaterThan(0.05);
          else expect(after[r * 2 + c]).toBe(before[r * 2 + c]);
        }
      }
      opt.dispose();
      e.dispose();
    });

    it('FeatureEncoder concatenates per-field embeddings and standardised numerics, mapping bad ids to OOV 0', async () => {
      const enc = new nn.FeatureEncoder({
        categorical: [
          { name: 'user', vocabularySize: 4, dim: 2 },
          { name: 'item', vocabularySize: 3 },
        ],
        numeric: [{ name: 'age', mean: 30, std: 10 }, { name: 'raw' }],
        embeddingDim: 3,
        ...place,
      });
      expect(enc.outputDim).toBe(2 + 3 + 2);
      const user = await values(enc.embeddings.get('user').weight),
        item = await values(enc.embeddings.get('item').weight);
      const out = mt.tidy(() =>
        enc.forward({
          cat: ids([
            [3, 1],
            [9, -2],
          ]),
          num: mt.tensor(
            [
              [40, 5],
              [20, 6],
            ],
            place,
          ),
        }),
      );
      const expected = [
        user[6],
        user[7],
        item[3],
        item[4],
        item[5],
        1,
        5,
        user[0],
        user[1],
        item[0],
        item[1],
        item[2],
        -1,
        6,
      ];
      expectClose(await values(out), expected, tol);
      expect(() => enc.forward({ cat: mt.zeros([2, 3], { dtype: 'int32', backend }) })).toThrow(
        /expected cat int32 \[B, 2\]/,
      );
      out.dispose();
      enc.dispose();
    });

    it('FeatureEncoder records lazy rows from catHost (OOV-mapped) without reading the ids back', () => {
      const enc = new nn.FeatureEncoder({
        categorical: [
          { name: 'u', vocabularySize: 5, dim: 2 },
          { name: 'i', vocabularySize: 3, dim: 2 },
        ],
        ...place,
      });
      const host = Int32Array.from([4, 2, 7, 1]);
      mt.tidy(() =>
        mt.sum(enc.forward({ cat: mt.tensor(host, { shape: [2, 2], backend }), catHost: host })).backward(),
      );
      expect(Array.from(nn.touchedRows(enc.embeddings.get('u').weight)!)).toEqual([0, 4]);
      expect(Array.from(nn.touchedRows(enc.embeddings.get('i').weight)!)).toEqual([1, 2]);
      expect(() =>
        enc.forward({ cat: mt.tensor(host, { shape: [2, 2], backend }), catHost: host.subarray(1) }),
      ).toThrow(/catHost has 3 ids/);
      enc.dispose();
    });
  });

  it('copyInto writes bit-exactly in place and bumps the version', async () => {
    // Extremes of the dtype: the largest finite magnitude, −0 and the smallest normal number.
    const vals =
      dtype === 'float64'
        ? [1e300, -0, 2.2250738585072014e-308, 5e-324]
        : [3.4028234663852886e38, -0, 1.1754943508222875e-38, 0.1];
    const dst = mt.keep(mt.tensor([1, 2, 3, 4], place));
    const src = mt.tensor(vals, place);
    nn.copyInto(dst, src);
    const got = await values(dst);
    const want = await values(src);
    expect(got).toEqual(want);
    expect(Object.is(got[1], -0)).toBe(true);
    expect(dst.version).toBe(1);
    expect(() => nn.copyInto(dst, mt.zeros([2], place))).toThrow(/source \[2\] does not match destination \[4\]/);
    mt.dispose([dst, src]);
  });
});
