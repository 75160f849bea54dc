import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn, optim } from '../../src/index.js';

function twoGroups(): { opt: optim.SGD; ps: mt.Tensor[] } {
  const ps = [0, 1].map(() => mt.keep(mt.zeros([2], { requiresGrad: true })));
  return {
    opt: new optim.SGD([
      { params: [ps[0]], lr: 1 },
      { params: [ps[1]], lr: 0.1 },
    ]),
    ps,
  };
}

function lrsOver(sched: optim.LRScheduler, steps: number): number[][] {
  const out = [sched.lastLr()];
  for (let i = 0; i < steps; i++) {
    sched.step();
    out.push(sched.lastLr());
  }
  return out;
}

const expectLrs = (got: number[][], want: number[][]): void => {
  got.forEach((row, i) => row.forEach((v, j) => expect(v, `epoch ${i} group ${j}`).toBeCloseTo(want[i][j], 12)));
};

describe("LR schedulers act per group from each group's base LR", () => {
  it('StepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, LambdaLR', () => {
    const base = [1, 0.1];
    const cases: [string, (o: optim.SGD) => optim.LRScheduler, (b: number, e: number) => number][] = [
      ['step', (o) => new optim.StepLR(o, 2, 0.5), (b, e) => b * 0.5 ** Math.floor(e / 2)],
      ['exp', (o) => new optim.ExponentialLR(o, 0.9), (b, e) => b * 0.9 ** e],
      [
        'cosine',
        (o) => new optim.CosineAnnealingLR(o, 4, 0.01),
        (b, e) => 0.01 + ((b - 0.01) * (1 + Math.cos((Math.PI * e) / 4))) / 2,
      ],
      ['warmup', (o) => new optim.LinearWarmup(o, 3, 0.25), (b, e) => b * (0.25 + (0.75 * Math.min(e, 3)) / 3)],
      ['lambda', (o) => new optim.LambdaLR(o, (e) => 1 / (1 + e)), (b, e) => b / (1 + e)],
    ];
    for (const [name, make, f] of cases) {
      const { opt, ps } = twoGroups();
      const got = lrsOver(make(opt), 5);
      expectLrs(
        got,
        got.map((_, e) => base.map((b) => f(b, e))),
      );
      expect(name).toBeTruthy();
      mt.dispose(ps);
    }
  });

  it('state dicts restore the epoch and base LRs', () => {
    const { opt, ps } = twoGroups();
    const s = new optim.StepLR(opt, 1, 0.5);
    s.step();
    s.step();
    const sd = s.stateDict();
    const { opt: opt2, ps: ps2 } = twoGroups();
    const s2 = new optim.StepLR(opt2, 1, 0.5);
    s2.loadStateDict(sd);
    expect(opt2.paramGroups.map((g) => g.lr)).toEqual([0.25, 0.025]);
    mt.dispose([ps, ps2]);
  });
});

describe('gradient clipping', () => {
  it('clipGradNorm returns the pre-clip norm and scales all gradients together', () => {
    const a = mt.keep(mt.zeros([2], { requiresGrad: true, dtype: 'float64' }));
    const b = mt.keep(mt.zeros([1], { requiresGrad: true, dtype: 'float64' }));
    a.grad = mt.keep(mt.tensor([3, 4], { dtype: 'float64' }));
    b.grad = mt.keep(mt.tensor([12], { dtype: 'float64' }));
    const n = optim.clipGradNorm([a, b], 6.5);
    expect(n.itemSync()).toBeCloseTo(13, 12);
    const scale = 6.5 / (13 + 1e-6);
    expect(Array.from(a.grad!.dataSync())).toEqual([3 * scale, 4 * scale]);
    expect(b.grad!.dataSync()[0]).toBeCloseTo(12 * scale, 12);
    const small = optim.clipGradNorm([a, b], 100);
    expect(small.itemSync()).toBeCloseTo(6.5, 5);
    expect(a.grad!.dataSync()[0]).toBeCloseTo(3 * scale, 12);
    const inf = optim.clipGradNorm([a, b], 1, { normType: Infinity });
    expect(inf.itemSync()).toBeCloseTo(12 * scale, 10);
    optim.clipGradValue([a, b], 0.5);
    expect(Array.from(a.grad!.dataSync()).every((v) => Math.abs(v) <= 0.5)).toBe(true);
    mt.dispose([a, b, n, small, inf]);
  });
});

describe('per-task learning rates (the recipe)', () => {
  it('shared part and each tower move by their own LR in one optimizer', () => {
    mt.manualSeed(2);
    const shared = new nn.Linear(3, 4, { dtype: 'float64' });
    const ctr = new nn.Linear(4, 1, { dtype: 'float64' });
    const cvr = new nn.Linear(4, 1, { dtype: 'float64' });
    const groups = optim.perTaskParamGroups<optim.SGDHyper>({
      shared: { params: shared.parameters(), lr: 0.01 },
      tasks: { ctr: { params: ctr.parameters(), lr: 0.5 }, cvr: { params: cvr.parameters(), lr: 0.1 } },
    });
    const opt = new optim.SGD(groups);
    expect(opt.paramGroups.map((g) => [g.name, g.lr])).toEqual([
      ['shared', 0.01],
      ['task:ctr', 0.5],
      ['task:cvr', 0.1],
    ]);
    const all = [shared, ctr, cvr].flatMap((m) => m.parameters());
    const before = all.map((p) => Array.from(p.dataSync()));
    mt.tidy(() => {
      const x = mt.randn([5, 3], { dtype: 'float64' });
      const h = shared.forward(x).relu();
      mt.add(mt.mean(ctr.forward(h)), mt.mean(mt.square(cvr.forward(h)))).backward();
    });
    const grads = all.map((p) => Array.from(p.grad!.dataSync()));
    opt.step();
    const lrOf = [0.01, 0.01, 0.5, 0.5, 0.1, 0.1];
    all.forEach((p, k) => {
      const after = p.dataSync();
      before[k].forEach((v, i) => expect(after[i]).toBeCloseTo(v - lrOf[k] * grads[k][i], 14));
    });
    const sched = new optim.ExponentialLR(opt, 0.5);
    sched.step();
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.005, 0.25, 0.05]);
    [shared, ctr, cvr].forEach((m) => m.dispose());
  });
});
