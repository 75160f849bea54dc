import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl, nn } from '../../src/index.js';

const f64 = { dtype: 'float64' } as const;

/** Shared bottom, a CTR tower, and a CVR tower that reads the CTR tower's hidden layer (so CVR's loss could reach it). */
class Esmmish extends nn.Module {
  readonly shared = this.registerModule('shared', new nn.Linear(3, 4, { ...f64, activation: 'relu' }));
  readonly ctrHidden = this.registerModule('ctrHidden', new nn.Linear(4, 4, { ...f64, activation: 'tanh' }));
  readonly ctrOut = this.registerModule('ctrOut', new nn.Linear(4, 1, f64));
  readonly cvr = this.registerModule('cvr', new nn.Linear(8, 1, f64));
  ctrTower(): nn.Module[] { return [this.ctrHidden, this.ctrOut]; }
  losses(x: mt.Tensor, y: mt.Tensor): { ctr: mt.Tensor; cvr: mt.Tensor } {
    const h = this.shared.forward(x);
    const c = this.ctrHidden.forward(h);
    const ctr = mt.bceWithLogits(this.ctrOut.forward(c), y);
    const cvr = mt.mse(this.cvr.forward(mt.concat([h, c], 1)), y);
    return { ctr, cvr };
  }
}

describe('gradient routing', () => {
  it('a routed loss leaves the forbidden parameters exactly untouched', () => {
    mt.manualSeed(4);
    const m = new Esmmish();
    const x = mt.keep(mt.randn([6, 3], f64)), y = mt.keep(mt.tensor([[1], [0], [1], [1], [0], [0]], f64));
    const router = mtl.routeGradients(m, { cvr: { deny: m.ctrTower() } });
    const ctrParams = m.ctrTower().flatMap((t) => t.parameters());
    // Only the CVR loss: the CTR tower gets nothing at all, the rest gets CVR's gradient.
    mt.tidy(() => router.backward({ cvr: m.losses(x, y).cvr }));
    for (const p of ctrParams) expect(p.grad).toBeNull();
    expect(m.shared.weight.grad).not.toBeNull();
    m.zeroGrad();
    // Both losses: the CTR tower's gradient is exactly CTR's own gradient.
    const ctrOnly = mt.tidy(() => mt.grad(m.losses(x, y).ctr, ctrParams).map((g) => Array.from(g.dataSync())));
    mt.tidy(() => router.backward(m.losses(x, y)));
    ctrParams.forEach((p, i) => expect(Array.from(p.grad!.dataSync())).toEqual(ctrOnly[i]));
    // Shared parameters receive both tasks.
    const both = mt.tidy(() => { const l = m.losses(x, y); return Array.from(mt.grad(mt.add(l.ctr, l.cvr), [m.shared.weight])[0].dataSync()); });
    Array.from(m.shared.weight.grad!.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(both[i], 14));
    expect(() => mtl.routeGradients(m, { cvr: { deny: [mt.zeros([1], { requiresGrad: true })] } })).toThrow(/not a trainable parameter of the model/);
    m.dispose(); mt.dispose([x, y]);
  });

  it('feedPrediction passes values forward and no gradient back', () => {
    const p = mt.keep(mt.tensor([0.5, 2], { ...f64, requiresGrad: true }));
    const q = mt.keep(mt.tensor([1, 1], { ...f64, requiresGrad: true }));
    mt.tidy(() => {
      const pred = mt.sigmoid(p);
      const consumer = mt.sum(mt.mul(mtl.feedPrediction(pred), q));
      const [gp, gq] = mt.grad(consumer, [p, q], { allowUnused: true });
      expect(Array.from(gp.dataSync())).toEqual([0, 0]);
      expect(Array.from(gq.dataSync())).toEqual(Array.from(pred.dataSync()));
      const through = mt.grad(mt.sum(mt.mul(mtl.feedPrediction(pred, { detach: false }), q)), [p])[0];
      expect(through.dataSync()[0]).toBeGreaterThan(0);
    });
    mt.dispose([p, q]);
  });
});

describe('per-task gradients and conflict', () => {
  it('taskGradients uses grad() (leaving .grad alone); gradientConflict gives cosines and magnitude ratios', async () => {
    const w = mt.keep(mt.tensor([1, 2], { ...f64, requiresGrad: true }));
    const report = await (async () => {
      const grads = mt.tidy(() => {
        const g = mtl.taskGradients({ a: mt.sum(mt.mul(w, mt.tensor([3, 0], f64))), b: mt.sum(mt.mul(w, mt.tensor([-1, -1], f64))), c: mt.sum(mt.mul(w, 0)) }, [w]);
        return g;
      });
      expect(w.grad).toBeNull();
      const r = await mtl.gradientConflict(grads);
      mt.dispose(grads);
      return r;
    })();
    expect(report.tasks).toEqual(['a', 'b', 'c']);
    expect(report.norms[0]).toBe(3);
    expect(report.cosine[0][1]).toBeCloseTo(-1 / Math.SQRT2, 14);
    expect(report.cosine[0][2]).toBe(0);
    expect(report.magnitudeRatio[0][1]).toBeCloseTo(3 / Math.SQRT2, 14);
    w.dispose();
  });
});

describe('task-space masks', () => {
  it('labelMask marks NaN and sentinel labels; masked means and losses are 0 with zero gradient on an empty mask', () => {
    mt.tidy(() => {
      const labels = mt.tensor([1, NaN, 0, -1], f64);
      expect(Array.from(mtl.labelMask(labels, { missing: -1 }).dataSync())).toEqual([1, 0, 1, 0]);
      const vals = mt.tensor([2, NaN, 4, 100], { ...f64, requiresGrad: true });
      const mask = mtl.labelMask(labels, { missing: -1 });
      expect(mtl.maskedMean(vals, mask).itemSync()).toBe(3);
      const empty = mt.zeros([4], f64);
      const mm = mtl.maskedMean(vals, empty);
      expect(mm.itemSync()).toBe(0);
      expect(Array.from(mt.grad(mm, [vals])[0].dataSync())).toEqual([0, 0, 0, 0]);
      const logits = mt.tensor([0.3, -2, 1, 0.1], { ...f64, requiresGrad: true });
      const l = mt.bceWithLogits(logits, labels, { mask: empty });
      expect(l.itemSync()).toBe(0);
      expect(Array.from(mt.grad(l, [logits])[0].dataSync())).toEqual([0, 0, 0, 0]);
      const lm = mt.bceWithLogits(logits, labels, { mask });
      const expected = (Math.log1p(Math.exp(-0.3)) + Math.log1p(Math.exp(1))) / 2;
      expect(lm.itemSync()).toBeCloseTo(expected, 14);
      expect(Array.from(mt.grad(lm, [logits])[0].dataSync()).every(Number.isFinite)).toBe(true);
    });
  });
});
