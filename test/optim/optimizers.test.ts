/**
 * Optimizers against the reference trajectories (reference.ts), on every available backend (float64 where the
 * backend has it, else float32 with a looser tolerance).
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn, optim } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { adagradRef, adamRef, quadraticGrad, sgdRef } from './reference.js';
import { assertClose } from '../conformance/compare.js';

const INIT = [0.5, -1.25, 2, 0.75, -0.3, 1.6];

function setup(backend: string): { dtype: mt.DType; tol: number } {
  const dtype: mt.DType = mt.backendInfo(backend).dtypes.includes('float64') ? 'float64' : 'float32';
  return { dtype, tol: dtype === 'float64' ? 1e-12 : 2e-5 };
}

function param(values: number[], backend: string, dtype: mt.DType): mt.Tensor {
  return mt.keep(mt.tensor(values, { backend, dtype, requiresGrad: true }));
}

function setGrad(p: mt.Tensor, g: number[]): void {
  p.grad?.dispose();
  p.grad = mt.keep(mt.tensor(g, { backend: p.backendName, dtype: p.dtype }));
}

/** |actual − expected| ≤ tol·(1 + |expected|): the shared tolerance check with atol = rtol = tol. */
function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol: number, what: string): void {
  assertClose(actual, expected, { atol: tol, rtol: tol }, what);
}

/** Runs `steps` steps of opt on the quadratic and of the reference, comparing after each step. */
async function trajectory(
  make: (ps: mt.Tensor[]) => optim.Optimizer<optim.BaseHyper>,
  refs: ((p: number[], g: number[]) => void)[],
  backend: string,
  steps = 5,
): Promise<void> {
  const { dtype, tol } = setup(backend);
  const ps = refs.map((_, k) =>
    param(
      INIT.map((v) => v * (k + 1)),
      backend,
      dtype,
    ),
  );
  const refP = refs.map((_, k) => INIT.map((v) => v * (k + 1)));
  const opt = make(ps);
  for (let s = 0; s < steps; s++) {
    for (let k = 0; k < ps.length; k++) {
      const cur = Array.from(await ps[k].data());
      setGrad(ps[k], quadraticGrad(cur));
      refs[k](refP[k], quadraticGrad(dtype === 'float64' ? refP[k] : cur));
    }
    opt.step();
    for (let k = 0; k < ps.length; k++) {
      if (dtype !== 'float64') refP[k] = refP[k].map((v) => Math.fround(v));
      expectClose(await ps[k].data(), refP[k], tol, `step ${s + 1} param ${k}`);
    }
  }
  opt.dispose();
  mt.dispose(ps);
}

describe.each(availableBackends)('optimizers on %s', (backend) => {
  it('SGD: plain, weight decay, momentum with dampening, Nesterov', async () => {
    await trajectory((ps) => new optim.SGD(ps, { lr: 0.1 }), [sgdRef({ lr: 0.1 })], backend);
    await trajectory(
      (ps) => new optim.SGD(ps, { lr: 0.05, weightDecay: 0.1 }),
      [sgdRef({ lr: 0.05, weightDecay: 0.1 })],
      backend,
    );
    await trajectory(
      (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }),
      [sgdRef({ lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 })],
      backend,
    );
    await trajectory(
      (ps) => new optim.SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true }),
      [sgdRef({ lr: 0.05, momentum: 0.8, nesterov: true })],
      backend,
    );
  });

  it('Adam and AdamW: bias correction, L2 vs decoupled weight decay, amsgrad', async () => {
    await trajectory((ps) => new optim.Adam(ps, { lr: 0.1 }), [adamRef({ lr: 0.1 })], backend, 6);
    await trajectory(
      (ps) => new optim.Adam(ps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, eps: 1e-6 }),
      [adamRef({ lr: 0.05, beta1: 0.8, beta2: 0.99, weightDecay: 0.1, eps: 1e-6 })],
      backend,
    );
    await trajectory(
      (ps) => new optim.AdamW(ps, { lr: 0.05, weightDecay: 0.2 }),
      [adamRef({ lr: 0.05, weightDecay: 0.2, decoupled: true })],
      backend,
    );
    await trajectory(
      (ps) => new optim.Adam(ps, { lr: 0.2, amsgrad: true, weightDecay: 0.05 }),
      [adamRef({ lr: 0.2, amsgrad: true, weightDecay: 0.05 })],
      backend,
      8,
    );
    await trajectory(
      (ps) => new optim.AdamW(ps, { lr: 0.2, amsgrad: true }),
      [adamRef({ lr: 0.2, amsgrad: true, weightDecay: 0.01, decoupled: true })],
      backend,
      8,
    );
  });

  it('Adagrad: lr decay, weight decay, initial accumulator', async () => {
    await trajectory((ps) => new optim.Adagrad(ps, { lr: 0.3 }), [adagradRef({ lr: 0.3 })], backend);
    await trajectory(
      (ps) => new optim.Adagrad(ps, { lr: 0.3, lrDecay: 0.1, weightDecay: 0.05, initialAccumulatorValue: 0.5 }),
      [adagradRef({ lr: 0.3, lrDecay: 0.1, weightDecay: 0.05, initialAccumulatorValue: 0.5 })],
      backend,
    );
  });

  it('parameter groups: each group follows its own hyper-parameters', async () => {
    await trajectory(
      (ps) => new optim.SGD([{ params: [ps[0]] }, { params: [ps[1]], lr: 0.01, momentum: 0.5 }], { lr: 0.1 }),
      [sgdRef({ lr: 0.1 }), sgdRef({ lr: 0.01, momentum: 0.5 })],
      backend,
    );
    await trajectory(
      (ps) => {
        const o = new optim.Adam([{ params: [ps[0]], lr: 0.02 }], { lr: 0.1 });
        o.addParamGroup({ params: [ps[1]], betas: [0.5, 0.9] });
        return o;
      },
      [adamRef({ lr: 0.02 }), adamRef({ lr: 0.1, beta1: 0.5, beta2: 0.9 })],
      backend,
    );
  });

  it('lazy embedding updates touch only looked-up rows (values and optimizer state)', async () => {
    const { dtype, tol } = setup(backend);
    for (const kind of ['adam', 'adagrad', 'sgd'] as const) {
      mt.manualSeed(11);
      const emb = new nn.Embedding(5, 2, { dtype, backend });
      const w0 = Array.from(await emb.weight.data());
      const opt =
        kind === 'adam'
          ? new optim.Adam(emb.parameters(), { lr: 0.1, weightDecay: 0.5 })
          : kind === 'adagrad'
            ? new optim.Adagrad(emb.parameters(), { lr: 0.1, weightDecay: 0.5 })
            : new optim.SGD(emb.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
      const stepWith = (ids: number[]): void => {
        opt.zeroGrad();
        mt.tidy(() => {
          const out = emb.forward(mt.tensor(ids, { dtype: 'int32', backend }), ids);
          mt.sum(mt.mul(out, mt.tensor([[1, -2]], { dtype, backend }))).backward();
        });
        opt.step();
      };
      stepWith([1, 3, 3]);
      const w1 = Array.from(await emb.weight.data());
      for (const r of [0, 2, 4])
        expect([w1[2 * r], w1[2 * r + 1]], `${kind}: untouched row ${r}`).toEqual([w0[2 * r], w0[2 * r + 1]]);
      for (const r of [1, 3])
        expect([w1[2 * r], w1[2 * r + 1]], `${kind}: row ${r} moves`).not.toEqual([w0[2 * r], w0[2 * r + 1]]);
      stepWith([3]);
      const w2 = Array.from(await emb.weight.data());
      expect([w2[2], w2[3]], `${kind}: row 1 absent from the second batch stays (no momentum/decay drift)`).toEqual([
        w1[2],
        w1[3],
      ]);
      // Row 3 follows the dense reference fed with row 3's gradients (2·[1,−2], then [1,−2]).
      const ref =
        kind === 'adam'
          ? adamRef({ lr: 0.1, weightDecay: 0.5 })
          : kind === 'adagrad'
            ? adagradRef({ lr: 0.1, weightDecay: 0.5 })
            : sgdRef({ lr: 0.1, momentum: 0.9, weightDecay: 0.5 });
      const row3 = [w0[6], w0[7]];
      ref(row3, [2, -4]);
      if (dtype !== 'float64')
        row3.forEach((v, i) => {
          row3[i] = Math.fround(v);
        });
      ref(row3, [1, -2]);
      expectClose([w2[6], w2[7]], row3, tol * 10, `${kind}: row 3`);
      opt.dispose();
      emb.dispose();
    }
  });
});

describe('optimizer API', () => {
  it('a parameter in two groups is an error naming it; bad hyper-parameters name the group', () => {
    const m = new nn.MLP([3, 4, 1]);
    const w = m.parameters()[0];
    expect(() => new optim.Adam([{ params: m.parameters() }, { params: [w], lr: 1 }])).toThrow(
      /parameter 'fc1\.weight' \[4,3\] float32 appears in param group 0 and again in param group 1/,
    );
    expect(() => new optim.SGD(m.parameters(), { lr: -1 })).toThrow(/SGD: param group 0: lr must be/);
    expect(() => new optim.SGD(m.parameters(), { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new optim.Adam([{ params: m.parameters(), momentum: 0.9 } as never])).toThrow(
      /unknown hyper-parameter 'momentum'/,
    );
    const o = new optim.SGD(m.parameters(), { lr: 0.1 });
    expect(() => o.addParamGroup({ params: [w] })).toThrow(/'fc1\.weight'.*one group only/);
    m.dispose();
  });

  it('zeroGrad disposes gradients; step bumps versions so a stale graph cannot be differentiated', () => {
    const p = param([1, 2], 'js', 'float32');
    const opt = new optim.SGD([p], { lr: 0.1 });
    const loss = mt.sum(mt.mul(p, p));
    loss.backward({ retainGraph: true });
    const g = p.grad!;
    const v = p.version;
    opt.step();
    expect(p.version).toBe(v + 1);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
    expect(g.isDisposed).toBe(true);
    expect(() => loss.backward()).toThrow(/modified in place/);
    mt.dispose([loss, p]);
  });

  it('stateDict/loadStateDict resume training exactly', () => {
    const run = (opt: optim.Optimizer<optim.BaseHyper>, p: mt.Tensor, steps: number): void => {
      for (let s = 0; s < steps; s++) {
        setGrad(p, quadraticGrad(Array.from(p.dataSync())));
        opt.step();
      }
    };
    const a = param(INIT, 'js', 'float64');
    const optA = new optim.Adam([a], { lr: 0.05, amsgrad: true });
    run(optA, a, 3);
    const sd = optA.stateDict();
    expect(sd.state[0].step).toBe(3);
    expect(Object.keys(sd.state[0]).sort()).toEqual(['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq', 'step']);
    const b = param(Array.from(a.dataSync()), 'js', 'float64');
    const optB = new optim.Adam([b], { lr: 0.5 });
    optB.loadStateDict(sd);
    expect(optB.paramGroups[0].lr).toBe(0.05);
    mt.dispose(sd);
    run(optA, a, 2);
    run(optB, b, 2);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    optA.dispose();
    optB.dispose();
    mt.dispose([a, b]);
  });

  it('a training step inside tidy does not leak: memory().tensors is flat over 200 steps', () => {
    mt.manualSeed(5);
    const model = new nn.MLP([6, 16, 8, 1], { batchNorm: true, dropout: 0.1 });
    const opt = new optim.Adam(model.parameters(), { lr: 1e-2, amsgrad: true });
    const x = mt.keep(mt.randn([32, 6])),
      y = mt.keep(mt.randn([32, 1]));
    const counts: number[] = [];
    let first = 0,
      last = 0;
    for (let s = 0; s < 200; s++) {
      const loss = mt.tidy(() => {
        opt.zeroGrad();
        const l = mt.mse(model.forward(x), y);
        l.backward();
        optim.clipGradNorm(model.parameters(), 1);
        opt.step();
        return l.itemSync();
      });
      if (s === 0) first = loss;
      last = loss;
      counts.push(mt.memory().tensors);
    }
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(last).toBeLessThan(first);
    opt.dispose();
    model.dispose();
    mt.dispose([x, y]);
  });
});
