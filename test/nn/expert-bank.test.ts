/** ExpertBank against E separate MLPs holding the same weights: forward and gradients, on every available backend. */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { ExpertBank } from '../../src/nn/expert-bank.js';
import { MLP } from '../../src/nn/mlp.js';
import { copyInto } from '../../src/nn/in-place.js';
import { availableBackends } from '../conformance/backends.js';

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe.each(availableBackends)('ExpertBank on %s', (backend) => {
  const dtype = backend === 'js' ? 'float64' : 'float32';
  const tol = dtype === 'float64' ? 1e-12 : 2e-5;

  it.each([
    ['one layer (shared-input GEMM)', [6, 5]],
    ['three layers (batched matmuls after the first)', [6, 5, 4, 3]],
  ] as const)('%s equals E separate MLPs, forward and gradients', async (_name, dims) => {
    mt.manualSeed(11);
    const E = 3,
      B = 7;
    const bank = new ExpertBank(E, dims, { backend, dtype });
    const mlps = Array.from(
      { length: E },
      () => new MLP(dims, { backend, dtype, activation: 'relu', outputActivation: 'relu' }),
    );
    const r = mt.tidy(() => {
      for (let l = 1; l < dims.length; l++) {
        const [w, b] = [bank.layers[l - 1].weight, bank.layers[l - 1].bias];
        mlps.forEach((m, e) => {
          const p = new Map(m.namedParameters());
          copyInto(p.get(`fc${l}.weight`)!, mt.reshape(mt.slice(w, [[e, e + 1]]), [dims[l], dims[l - 1]]));
          copyInto(p.get(`fc${l}.bias`)!, mt.reshape(mt.slice(b, [[e, e + 1]]), [dims[l]]));
        });
      }
      const x = mt.randn([B, dims[0]], { backend, dtype, requiresGrad: true });
      const outW = mt.randn([E, B, dims[dims.length - 1]], { backend, dtype });
      const bankOut = bank.forward(x);
      const refOut = mt.stack(
        mlps.map((m) => m.forward(x)),
        0,
      );
      const bankParams = bank.parameters();
      const gBank = mt.grad(mt.sum(mt.mul(bankOut, outW)), [x, ...bankParams]);
      const refParams = mlps.map((m) => m.parameters());
      const gRef = mt.grad(mt.sum(mt.mul(refOut, outW)), [x, ...refParams.flat()]);
      // Bank gradient of layer l's parameter j, expert e, equals expert e's MLP gradient of that parameter.
      const perExpert = refParams[0].length;
      const gRefStacked = bankParams.map((_, j) =>
        mt.stack(
          mlps.map((_, e) => gRef[1 + e * perExpert + j]),
          0,
        ),
      );
      return { bankOut, refOut, gBank, gRef: [gRef[0], ...gRefStacked] };
    });
    expect(r.bankOut.shape).toEqual([E, B, dims[dims.length - 1]]);
    expect(maxAbsDiff(await r.bankOut.data(), await r.refOut.data())).toBeLessThan(tol);
    for (let j = 0; j < r.gBank.length; j++) {
      expect(r.gBank[j].shape).toEqual(r.gRef[j].shape);
      expect(maxAbsDiff(await r.gBank[j].data(), await r.gRef[j].data())).toBeLessThan(tol);
    }
    mt.dispose(r);
  });

  it('takes a per-expert input [E, B, in] and rejects other shapes', () => {
    const bank = new ExpertBank(2, [4, 3], { backend });
    mt.tidy(() => {
      expect(bank.forward(mt.randn([2, 5, 4], { backend })).shape).toEqual([2, 5, 3]);
      expect(() => bank.forward(mt.randn([5, 3], { backend }))).toThrow(/input must be \[B, 4\]/);
    });
  });
});

describe('ExpertBank initialisation', () => {
  it('gives each expert its own PyTorch-default draw: U(-1/sqrt(in), 1/sqrt(in)), experts different', () => {
    mt.manualSeed(3);
    const bank = new ExpertBank(4, [64, 32]);
    const w = bank.layers[0].weight.dataSync();
    const bound = 1 / 8;
    let maxAbs = 0;
    for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
    expect(maxAbs).toBeLessThanOrEqual(bound);
    expect(maxAbs).toBeGreaterThan(0.9 * bound);
    const per = 64 * 32;
    expect(maxAbsDiff(w.subarray(0, per), w.subarray(per, 2 * per))).toBeGreaterThan(0.05);
    expect(bank.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual([
      'fc1.weight:4x32x64',
      'fc1.bias:4x32',
    ]);
  });

  it('rejects bad sizes', () => {
    expect(() => new ExpertBank(0, [4, 3])).toThrow(/numExperts/);
    expect(() => new ExpertBank(2, [4])).toThrow(/dims/);
  });
});
