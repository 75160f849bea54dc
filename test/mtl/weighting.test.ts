import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl, nn, optim } from '../../src/index.js';

const f64 = { dtype: 'float64' } as const;
const scalar = (v: number, requiresGrad = false): mt.Tensor => mt.tensor(v, { ...f64, requiresGrad });
const leaf = (vals: number[]): mt.Tensor => mt.keep(mt.tensor(vals, { ...f64, requiresGrad: true }));
const vec = (vals: number[]): mt.Tensor => mt.tensor(vals, f64);

describe('fixed, uncertainty and PLE decay', () => {
  it('fixed weights: Σ w_k L_k, and mismatched task names are an error listing them', () => {
    const w = new mtl.FixedWeighting({ ctr: 2, cvr: 0.5 });
    mt.tidy(() => {
      expect(w.combine({ ctr: scalar(3), cvr: scalar(4) }).itemSync()).toBe(8);
      expect(() => w.combine({ ctr: scalar(1), ctcvr: scalar(1) })).toThrow(/missing cvr; unexpected ctcvr/);
    });
  });

  it('uncertainty: L = Σ e^{−s}·c·L_k + s/2, and training s reaches log(2·c·L_k)', () => {
    const u = new mtl.UncertaintyWeighting({ reg: 'regression', cls: 'classification' }, f64);
    mt.tidy(() => {
      const v = u.combine({ reg: scalar(4), cls: scalar(0.5) }).itemSync();
      expect(v).toBeCloseTo(0.5 * 4 + 1 * 0.5, 12);
    });
    const opt = new optim.Adam(u.parameters(), { lr: 0.05 });
    for (let i = 0; i < 600; i++) {
      mt.tidy(() => { opt.zeroGrad(); u.combine({ reg: scalar(4), cls: scalar(0.5) }).backward(); opt.step(); });
    }
    expect(u.logVars.reg.itemSync()).toBeCloseTo(Math.log(4), 3);
    expect(u.logVars.cls.itemSync()).toBeCloseTo(Math.log(1), 3);
    opt.dispose(); u.dispose();
  });

  it('PLE decay: w_k(t) = ω_k·γ_k^t', () => {
    const p = new mtl.PLEDecayWeighting({ ctr: 1, cvr: 2 }, { cvr: 0.5 });
    mt.tidy(() => {
      expect(p.combine({ ctr: scalar(1), cvr: scalar(1) }, { epoch: 0 }).itemSync()).toBe(3);
      expect(p.combine({ ctr: scalar(1), cvr: scalar(1) }, { epoch: 3 }).itemSync()).toBe(1 + 2 * 0.125);
      expect(() => p.combine({ ctr: scalar(1), cvr: scalar(1) })).toThrow(/ctx\.epoch/);
    });
  });
});

describe('DWA', () => {
  it('weights are 1 for two epochs, then K·softmax(r/T) of the epoch-mean loss ratios', () => {
    const d = new mtl.DynamicWeightAverage(['a', 'b'], 2);
    const run = (epoch: number, a: number, b: number): number[] => mt.tidy(() => {
      d.combine({ a: scalar(a), b: scalar(b) }, { epoch });
      return Array.from(d.lastWeights!.dataSync());
    });
    expect(run(0, 4, 1)).toEqual([1, 1]);
    run(0, 2, 3); // epoch 0 means: a 3, b 2
    expect(run(1, 3, 1)).toEqual([1, 1]); // epoch 1 means: a 3, b 1
    const w = run(2, 1, 1);
    const ra = 3 / 3, rb = 1 / 2;
    const ea = Math.exp(ra / 2), eb = Math.exp(rb / 2);
    expect(w[0]).toBeCloseTo((2 * ea) / (ea + eb), 12);
    expect(w[1]).toBeCloseTo((2 * eb) / (ea + eb), 12);
    d.dispose();
  });
});

describe('GradNorm', () => {
  it('pins the weight gradient: ∂/∂w_k Σ|w_k n_k − mean(G)·r_k^α|, the model gets Σ w_k ∇L_k, weights renormalise to K', () => {
    const W = leaf([1, 2]);
    const g = new mtl.GradNorm(['a', 'b'], 1.5, f64);
    // L_a = 3·⟨(1,0),W⟩² → ∇ = 6·W_0·(1,0); L_b = ⟨(1,1),W⟩ → ∇ = (1,1).
    const losses = (): Record<string, mt.Tensor> => ({ a: mt.mul(mt.square(W.slice([[0, 1]]).reshape([])), 3), b: mt.sum(W) });
    mt.tidy(() => g.combine(losses(), { sharedParams: [W] }).backward());
    // Step 0: L/L0 = 1, so targets are mean(G) for both; G = (6, √2) with w = 1.
    const G = [6, Math.SQRT2], Gbar = (G[0] + G[1]) / 2;
    expect(Array.from(g.taskWeights.grad!.dataSync())).toEqual([Math.sign(G[0] - Gbar) * 6, Math.sign(G[1] - Gbar) * Math.SQRT2]);
    expect(Array.from(W.grad!.dataSync())).toEqual([6 + 1, 1]);
    const opt = new optim.SGD(g.parameters(), { lr: 0.1 });
    opt.step();
    g.renormalize();
    const w = Array.from(g.taskWeights.dataSync());
    expect(w[0] + w[1]).toBeCloseTo(2, 14);
    expect(w[0]).toBeLessThan(w[1]);
    opt.dispose(); g.dispose(); W.dispose();
  });
});

describe('PCGrad', () => {
  it('two conflicting gradients give the projected sum on the shared parameters', () => {
    const theta = leaf([0.3, -0.2]);
    const pc = new mtl.PCGrad(['a', 'b'], { seed: 1 });
    mt.tidy(() => {
      const total = pc.combine({ a: mt.sum(mt.mul(theta, vec([1, 0]))), b: mt.sum(mt.mul(theta, vec([-1, 1]))) }, { sharedParams: [theta] });
      expect(total.itemSync()).toBeCloseTo(0.3 + (-0.3 - 0.2), 15);
      total.backward();
    });
    // g_a' = g_a − (−1/2)·g_b = (0.5, 0.5); g_b' = g_b − (−1/1)·g_a = (0, 1).
    const got = Array.from(theta.grad!.dataSync());
    expect(got[0]).toBeCloseTo(0.5, 14);
    expect(got[1]).toBeCloseTo(1.5, 14);
    theta.dispose();
  });

  it('agreeing gradients are left alone, and the order of projections matters only for conflicts', () => {
    const out = mt.tidy(() => mtl.projectConflicting([vec([1, 1]), vec([1, 0])], () => [0, 1]).map((t) => Array.from(t.dataSync())));
    expect(out).toEqual([[1, 1], [1, 0]]);
    const three = mt.tidy(() => mtl.projectConflicting([vec([1, 0]), vec([-1, 1]), vec([0, -1])], (i) => (i === 0 ? [1, 2] : [0, 1, 2])).map((t) => Array.from(t.dataSync())));
    // g0 vs g1: (0.5, 0.5); then vs g2 (dot −0.5): (0.5, 0.5) − (−0.5)(0, −1) = (0.5, 0).
    expect(three[0][0]).toBeCloseTo(0.5, 15);
    expect(three[0][1]).toBeCloseTo(0, 15);
  });
});

describe('MGDA', () => {
  it('min-norm solver: closed form for two tasks, the simplex minimum for three', () => {
    expect(mtl.minNormSolver([[1, 0], [0, 4]]).map((v) => +v.toFixed(12))).toEqual([0.8, 0.2]);
    expect(mtl.minNormSolver([[1, 2], [2, 5]])).toEqual([1, 0]);
    const gs = [[1, 0.2, 0], [-0.5, 1, 0.3], [0.1, -0.4, 1]];
    const gram = gs.map((a) => gs.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));
    const alpha = mtl.minNormSolver(gram, { maxIterations: 5000, tolerance: 1e-12 });
    const cost = (a: number[]): number => gram.reduce((s, row, i) => s + row.reduce((t, v, j) => t + a[i] * v * a[j], 0), 0);
    let best = Infinity;
    for (let i = 0; i <= 200; i++) for (let j = 0; i + j <= 200; j++) best = Math.min(best, cost([i / 200, j / 200, (200 - i - j) / 200]));
    expect(alpha.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(cost(alpha)).toBeLessThanOrEqual(best + 1e-9);
  });

  it('MGDA-UB weights the losses by α from gradients on the shared representation', () => {
    const theta = leaf([1, 1]);
    const m = new mtl.MGDA(['a', 'b']);
    mt.tidy(() => {
      const z = mt.mul(theta, 1);
      // ∇_z L_a = (1, 0), ∇_z L_b = (0, 2): α = (0.8, 0.2).
      const total = m.combine({ a: mt.sum(mt.mul(z, vec([1, 0]))), b: mt.sum(mt.mul(z, vec([0, 2]))) }, { sharedRepresentation: z });
      expect(total.itemSync()).toBeCloseTo(0.8 * 1 + 0.2 * 2, 12);
      total.backward();
    });
    expect(m.lastAlpha!.map((v) => +v.toFixed(12))).toEqual([0.8, 0.2]);
    expect(Array.from(theta.grad!.dataSync()).map((v) => +v.toFixed(12))).toEqual([0.8, 0.4]);
    theta.dispose();
  });
});

describe('every strategy trains a tiny two-task model', () => {
  const strategies: [string, () => mtl.LossWeighting][] = [
    ['fixed', () => new mtl.FixedWeighting({ a: 1, b: 1 })],
    ['uncertainty', () => new mtl.UncertaintyWeighting({ a: 'regression', b: 'classification' }, f64)],
    ['dwa', () => new mtl.DynamicWeightAverage(['a', 'b'])],
    ['gradnorm', () => new mtl.GradNorm(['a', 'b'], 1.5, f64)],
    ['pcgrad', () => new mtl.PCGrad(['a', 'b'], { seed: 3 })],
    ['mgda', () => new mtl.MGDA(['a', 'b'], 'l2')],
    ['pleDecay', () => new mtl.PLEDecayWeighting({ a: 1, b: 1 }, { b: 0.9 })],
  ];
  for (const [name, make] of strategies) {
    it(name, () => {
      mt.manualSeed(9);
      const shared = new nn.Linear(3, 8, { ...f64, activation: 'tanh' });
      const headA = new nn.Linear(8, 1, f64), headB = new nn.Linear(8, 1, f64);
      const x = mt.keep(mt.randn([32, 3], f64));
      const ya = mt.keep(mt.tidy(() => mt.sum(mt.mul(x, vec([1, -1, 0.5])), 1, true)));
      const yb = mt.keep(mt.tidy(() => mt.cast(mt.gt(mt.sum(x, 1, true), 0), 'float64')));
      const strat = make();
      const params = [shared, headA, headB].flatMap((m) => m.parameters());
      const opt = new optim.Adam([{ params, lr: 0.03 }, ...(strat.parameters().length ? [{ params: strat.parameters(), lr: 0.01 }] : [])]);
      const plain: number[] = [];
      for (let step = 0; step < 60; step++) {
        plain.push(mt.tidy(() => {
          opt.zeroGrad();
          const h = shared.forward(x);
          const la = mt.mse(headA.forward(h), ya), lb = mt.bceWithLogits(headB.forward(h), yb);
          const ctx = { step, epoch: Math.floor(step / 10), sharedParams: shared.parameters(), sharedRepresentation: h };
          strat.combine({ a: la, b: lb }, ctx).backward();
          opt.step();
          return la.itemSync() + lb.itemSync();
        }));
      }
      expect(plain[59], `${name}: ${plain[0]} → ${plain[59]}`).toBeLessThan(0.7 * plain[0]);
      opt.dispose(); strat.dispose();
      [shared, headA, headB].forEach((m) => m.dispose());
      mt.dispose([x, ya, yb]);
    });
  }
});
