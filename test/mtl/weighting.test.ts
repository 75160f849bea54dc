/**
 * Every loss-weighting strategy on every available backend (float64 on js, float32 with looser tolerances
 * elsewhere): a test pinning its formula on a tiny problem, and a test that it trains a tiny two-task model.
 * The host-solved strategies (MGDA here; CAGrad, Nash-MTL… in gradient-methods.test.ts) read their K×K Gram
 * matrix asynchronously in finishBackward(), so they run on webgpu too.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl, nn, optim } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { expectClose, placementFor, values } from '../nn/placement.js';

describe('MGDA min-norm solver (host arithmetic, backend-independent)', () => {
  it('closed form for two tasks, the simplex minimum for three', () => {
    expect(
      mtl
        .minNormSolver([
          [1, 0],
          [0, 4],
        ])
        .map((v) => +v.toFixed(12)),
    ).toEqual([0.8, 0.2]);
    expect(
      mtl.minNormSolver([
        [1, 2],
        [2, 5],
      ]),
    ).toEqual([1, 0]);
    const gs = [
      [1, 0.2, 0],
      [-0.5, 1, 0.3],
      [0.1, -0.4, 1],
    ];
    const gram = gs.map((a) => gs.map((b) => a.reduce((s, v, i) => s + v * b[i], 0)));
    const alpha = mtl.minNormSolver(gram, { maxIterations: 5000, tolerance: 1e-12 });
    const cost = (a: number[]): number =>
      gram.reduce((s, row, i) => s + row.reduce((t, v, j) => t + a[i] * v * a[j], 0), 0);
    let best = Infinity;
    for (let i = 0; i <= 200; i++)
      for (let j = 0; i + j <= 200; j++) best = Math.min(best, cost([i / 200, j / 200, (200 - i - j) / 200]));
    expect(alpha.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    expect(cost(alpha)).toBeLessThanOrEqual(best + 1e-9);
  });
});

describe.each(availableBackends)('loss weighting on %s', (backend) => {
  const { dtype, tol } = placementFor(backend);
  const place = { backend, dtype } as const;
  const scalar = (v: number): mt.Tensor => mt.tensor(v, place);
  const leaf = (vals: number[]): mt.Tensor => mt.keep(mt.tensor(vals, { ...place, requiresGrad: true }));
  const vec = (vals: number[]): mt.Tensor => mt.tensor(vals, place);
  const item = async (t: mt.Tensor): Promise<number> => {
    const v = await t.item();
    t.dispose();
    return v;
  };

  describe('fixed, uncertainty and PLE decay', () => {
    it('fixed weights: Σ w_k L_k, and mismatched task names are an error listing them', async () => {
      const w = new mtl.FixedWeighting({ ctr: 2, cvr: 0.5 });
      expect(await item(mt.tidy(() => w.combine({ ctr: scalar(3), cvr: scalar(4) })))).toBe(8);
      expect(() => mt.tidy(() => w.combine({ ctr: scalar(1), ctcvr: scalar(1) }))).toThrow(
        /missing cvr; unexpected ctcvr/,
      );
    });

    it('uncertainty: L = Σ e^{−s}·c·L_k + s/2, and training s reaches log(2·c·L_k)', async () => {
      const u = new mtl.UncertaintyWeighting({ reg: 'regression', cls: 'classification' }, place);
      expect(u.logVars.reg.backendName).toBe(backend);
      expect(await item(mt.tidy(() => u.combine({ reg: scalar(4), cls: scalar(0.5) })))).toBeCloseTo(
        0.5 * 4 + 1 * 0.5,
        dtype === 'float64' ? 12 : 6,
      );
      // s ← s − η·∇ at s = 0.3: ∂/∂s (e^{−s}·c·L + s/2) = −e^{−s}·c·L + 1/2.
      const opt0 = new optim.SGD(u.parameters(), { lr: 0.1 });
      mt.tidy(() => {
        opt0.zeroGrad();
        u.combine({ reg: scalar(4), cls: scalar(0.5) }).backward();
      });
      expectClose(
        [await u.logVars.reg.grad!.item(), await u.logVars.cls.grad!.item()],
        [-0.5 * 4 + 0.5, -0.5 + 0.5],
        tol,
      );
      opt0.dispose();
      const opt = new optim.Adam(u.parameters(), { lr: 0.05 });
      for (let i = 0; i < 600; i++) {
        mt.tidy(() => {
          opt.zeroGrad();
          u.combine({ reg: scalar(4), cls: scalar(0.5) }).backward();
          opt.step();
        });
      }
      expect(await u.logVars.reg.item()).toBeCloseTo(Math.log(4), 3);
      expect(await u.logVars.cls.item()).toBeCloseTo(Math.log(1), 3);
      opt.dispose();
      u.dispose();
    });

    it('PLE decay: w_k(t) = ω_k·γ_k^t', async () => {
      const p = new mtl.PLEDecayWeighting({ ctr: 1, cvr: 2 }, { cvr: 0.5 });
      expect(await item(mt.tidy(() => p.combine({ ctr: scalar(1), cvr: scalar(1) }, { epoch: 0 })))).toBe(3);
      expect(await item(mt.tidy(() => p.combine({ ctr: scalar(1), cvr: scalar(1) }, { epoch: 3 })))).toBe(
        1 + 2 * 0.125,
      );
      expect(() => mt.tidy(() => p.combine({ ctr: scalar(1), cvr: scalar(1) }))).toThrow(/ctx\.epoch/);
    });
  });

  it('DWA: weights are 1 for two epochs, then K·softmax(r/T) of the epoch-mean loss ratios', async () => {
    const d = new mtl.DynamicWeightAverage(['a', 'b'], 2);
    const run = async (epoch: number, a: number, b: number): Promise<number[]> => {
      mt.tidy(() => {
        d.combine({ a: scalar(a), b: scalar(b) }, { epoch });
      });
      return values(d.lastWeights!);
    };
    expect(await run(0, 4, 1)).toEqual([1, 1]);
    await run(0, 2, 3); // epoch 0 means: a 3, b 2
    expect(await run(1, 3, 1)).toEqual([1, 1]); // epoch 1 means: a 3, b 1
    const w = await run(2, 1, 1);
    const ra = 3 / 3,
      rb = 1 / 2;
    const ea = Math.exp(ra / 2),
      eb = Math.exp(rb / 2);
    expectClose(w, [(2 * ea) / (ea + eb), (2 * eb) / (ea + eb)], tol);
    d.dispose();
  });

  it('GradNorm pins the weight gradient: ∂/∂w_k Σ|w_k n_k − mean(G)·r_k^α|, the model gets Σ w_k ∇L_k, weights renormalise to K', async () => {
    const W = leaf([1, 2]);
    const g = new mtl.GradNorm(['a', 'b'], 1.5, place);
    // L_a = 3·⟨(1,0),W⟩² → ∇ = 6·W_0·(1,0); L_b = ⟨(1,1),W⟩ → ∇ = (1,1).
    const losses = (): Record<string, mt.Tensor> => ({
      a: mt.mul(mt.square(W.slice([[0, 1]]).reshape([])), 3),
      b: mt.sum(W),
    });
    mt.tidy(() => g.combine(losses(), { sharedParams: [W] }).backward());
    // Step 0: L/L0 = 1, so targets are mean(G) for both; G = (6, √2) with w = 1.
    const G = [6, Math.SQRT2],
      Gbar = (G[0] + G[1]) / 2;
    expectClose(
      await values(g.taskWeights.grad!),
      [Math.sign(G[0] - Gbar) * 6, Math.sign(G[1] - Gbar) * Math.SQRT2],
      tol,
    );
    expectClose(await values(W.grad!), [6 + 1, 1], tol);
    const opt = new optim.SGD(g.parameters(), { lr: 0.1 });
    opt.step();
    g.renormalize();
    const w = await values(g.taskWeights);
    expect(w[0] + w[1]).toBeCloseTo(2, dtype === 'float64' ? 14 : 6);
    expect(w[0]).toBeLessThan(w[1]);
    opt.dispose();
    g.dispose();
    W.dispose();
  });

  describe('PCGrad', () => {
    it('two conflicting gradients give the projected sum on the shared parameters', async () => {
      const theta = leaf([0.3, -0.2]);
      const pc = new mtl.PCGrad(['a', 'b'], { seed: 1 });
      const total = mt.tidy(() => {
        const t = pc.combine(
          { a: mt.sum(mt.mul(theta, vec([1, 0]))), b: mt.sum(mt.mul(theta, vec([-1, 1]))) },
          { sharedParams: [theta] },
        );
        t.backward();
        return t;
      });
      expectClose([await item(total)], [0.3 + (-0.3 - 0.2)], tol);
      // g_a' = g_a − (−1/2)·g_b = (0.5, 0.5); g_b' = g_b − (−1/1)·g_a = (0, 1).
      expectClose(await values(theta.grad!), [0.5, 1.5], tol);
      theta.dispose();
    });

    it('agreeing gradients are left alone, and the order of projections matters only for conflicts', async () => {
      const out = mt.tidy(() => mtl.projectConflicting([vec([1, 1]), vec([1, 0])], () => [0, 1]));
      expect(await Promise.all(out.map(values))).toEqual([
        [1, 1],
        [1, 0],
      ]);
      const three = mt.tidy(() =>
        mtl.projectConflicting([vec([1, 0]), vec([-1, 1]), vec([0, -1])], (i) => (i === 0 ? [1, 2] : [0, 1, 2])),
      );
      // g0 vs g1: (0.5, 0.5); then vs g2 (dot −0.5): (0.5, 0.5) − (−0.5)(0, −1) = (0.5, 0).
      expectClose(await values(three[0]), [0.5, 0], tol);
      mt.dispose([out, three]);
    });
  });

  it('MGDA-UB: α from gradients on the shared representation, applied to the shared parameters after an async read', async () => {
    const theta = leaf([1, 1]);
    const m = new mtl.MGDA(['a', 'b']);
    const total = mt.tidy(() => {
      const z = mt.mul(theta, 1);
      // ∇_z L_a = (1, 0), ∇_z L_b = (0, 2): α = (0.8, 0.2).
      const t = m.combine(
        { a: mt.sum(mt.mul(z, vec([1, 0]))), b: mt.sum(mt.mul(z, vec([0, 2]))) },
        { sharedRepresentation: z, sharedParams: [theta] },
      );
      t.backward();
      return t;
    });
    expect(() => mt.tidy(() => m.combine({ a: mt.sum(theta), b: mt.sum(theta) }, { sharedParams: [theta] }))).toThrow(
      /never finished; call `await mgda\.finishBackward\(\)`/,
    );
    await m.finishBackward();
    expectClose([await item(total)], [1 + 2], tol);
    expectClose(m.lastAlpha!, [0.8, 0.2], tol);
    expectClose(await values(theta.grad!), [0.8, 0.4], tol);
    theta.dispose();
    m.dispose();
  });

  describe('every strategy trains a tiny two-task model', () => {
    const strategies: [string, () => mtl.LossWeighting][] = [
      ['fixed', () => new mtl.FixedWeighting({ a: 1, b: 1 })],
      ['uncertainty', () => new mtl.UncertaintyWeighting({ a: 'regression', b: 'classification' }, place)],
      ['dwa', () => new mtl.DynamicWeightAverage(['a', 'b'])],
      ['gradnorm', () => new mtl.GradNorm(['a', 'b'], 1.5, place)],
      ['pcgrad', () => new mtl.PCGrad(['a', 'b'], { seed: 3 })],
      ['mgda', () => new mtl.MGDA(['a', 'b'], 'l2')],
      ['pleDecay', () => new mtl.PLEDecayWeighting({ a: 1, b: 1 }, { b: 0.9 })],
      ...(['cagrad', 'nashmtl', 'imtl', 'gradvac', 'alignedmtl', 'rlw', 'dbmtl', 'famo', 'graddrop'] as const).map(
        (kind): [string, () => mtl.LossWeighting] => [
          kind,
          () =>
            kind === 'imtl' || kind === 'famo'
              ? mtl.createWeighting({ kind, tasks: ['a', 'b'], placement: place })
              : mtl.createWeighting({ kind, tasks: ['a', 'b'] }),
        ],
      ),
    ];
    for (const [name, make] of strategies) {
      it(name, async () => {
        mt.manualSeed(9);
        const shared = new nn.Linear(3, 8, { ...place, activation: 'tanh' });
        const headA = new nn.Linear(8, 1, place),
          headB = new nn.Linear(8, 1, place);
        const x = mt.keep(mt.randn([32, 3], place));
        const ya = mt.keep(mt.tidy(() => mt.sum(mt.mul(x, vec([1, -1, 0.5])), 1, true)));
        const yb = mt.keep(mt.tidy(() => mt.cast(mt.gt(mt.sum(x, 1, true), 0), dtype)));
        const strat = make();
        const params = [shared, headA, headB].flatMap((m) => m.parameters());
        const opt = new optim.Adam([
          { params, lr: 0.03 },
          ...(strat.parameters().length ? [{ params: strat.parameters(), lr: 0.01 }] : []),
        ]);
        const steps = 60;
        const plain: mt.Tensor[] = [];
        const step = async (s: number): Promise<void> => {
          const l = mt.tidy(() => {
            opt.zeroGrad();
            const h = shared.forward(x);
            const la = mt.mse(headA.forward(h), ya),
              lb = mt.bceWithLogits(headB.forward(h), yb);
            const ctx = {
              step: s,
              epoch: Math.floor(s / 10),
              sharedParams: shared.parameters(),
              sharedRepresentation: h,
            };
            strat.combine({ a: la, b: lb }, ctx).backward();
            return mt.add(la, lb);
          });
          // Host-solved strategies read their Gram matrix asynchronously (every backend, webgpu included).
          await strat.finishBackward?.();
          opt.step();
          if (s === 0 || s === steps - 1) plain.push(l);
          else l.dispose();
        };
        try {
          for (let s = 0; s < steps; s++) await step(s);
          const [first, last] = [await plain[0].item(), await plain[1].item()];
          expect(last, `${name}: ${first} → ${last}`).toBeLessThan(0.7 * first);
        } finally {
          mt.dispose(plain);
          opt.dispose();
          strat.dispose();
          [shared, headA, headB].forEach((m) => m.dispose());
          mt.dispose([x, ya, yb]);
        }
      });
    }
  });
});
