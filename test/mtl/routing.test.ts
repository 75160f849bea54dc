/**
 * Gradient routing, feedPrediction, taskGradients / gradientConflict and task-space masks on every available
 * backend (float64 on js, float32 elsewhere). Zero gradients are checked exactly on every backend.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl, nn } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { expectClose, placementFor, values } from '../nn/placement.js';

type Place = { backend: string; dtype: 'float32' | 'float64' };

/** Shared bottom, a CTR tower, and a CVR tower that reads the CTR tower's hidden layer (so CVR's loss could reach it). */
class Esmmish extends nn.Module {
  readonly shared: nn.Linear;
  readonly ctrHidden: nn.Linear;
  readonly ctrOut: nn.Linear;
  readonly cvr: nn.Linear;
  constructor(place: Place) {
    super();
    this.shared = this.registerModule('shared', new nn.Linear(3, 4, { ...place, activation: 'relu' }));
    this.ctrHidden = this.registerModule('ctrHidden', new nn.Linear(4, 4, { ...place, activation: 'tanh' }));
    this.ctrOut = this.registerModule('ctrOut', new nn.Linear(4, 1, place));
    this.cvr = this.registerModule('cvr', new nn.Linear(8, 1, place));
  }
  ctrTower(): nn.Module[] {
    return [this.ctrHidden, this.ctrOut];
  }
  losses(x: mt.Tensor, y: mt.Tensor): { ctr: mt.Tensor; cvr: mt.Tensor } {
    const h = this.shared.forward(x);
    const c = this.ctrHidden.forward(h);
    const ctr = mt.bceWithLogits(this.ctrOut.forward(c), y);
    const cvr = mt.mse(this.cvr.forward(mt.concat([h, c], 1)), y);
    return { ctr, cvr };
  }
}

describe.each(availableBackends)('mtl routing on %s', (backend) => {
  const { dtype, tol } = placementFor(backend);
  const place = { backend, dtype } as const;
  const all = (ts: readonly mt.Tensor[]): Promise<number[][]> => Promise.all(ts.map(values));

  describe('gradient routing', () => {
    it('a routed loss leaves the forbidden parameters exactly untouched', async () => {
      mt.manualSeed(4);
      const m = new Esmmish(place);
      const x = mt.keep(mt.randn([6, 3], place)),
        y = mt.keep(mt.tensor([[1], [0], [1], [1], [0], [0]], place));
      const router = mtl.routeGradients(m, { cvr: { deny: m.ctrTower() } });
      const ctrParams = m.ctrTower().flatMap((t) => t.parameters());
      // Only the CVR loss: the CTR tower gets nothing at all, the rest gets CVR's gradient.
      mt.tidy(() => router.backward({ cvr: m.losses(x, y).cvr }));
      for (const p of ctrParams) expect(p.grad).toBeNull();
      expect(m.shared.weight.grad).not.toBeNull();
      expect((await values(m.cvr.weight.grad!)).some((v) => v !== 0)).toBe(true);
      m.zeroGrad();
      // Both losses: the CTR tower's gradient is exactly CTR's own gradient.
      const ctrOnly = mt.tidy(() => mt.grad(m.losses(x, y).ctr, ctrParams));
      mt.tidy(() => router.backward(m.losses(x, y)));
      expect(await all(ctrParams.map((p) => p.grad!))).toEqual(await all(ctrOnly));
      // Shared parameters receive both tasks.
      const both = mt.tidy(() => {
        const l = m.losses(x, y);
        return mt.grad(mt.add(l.ctr, l.cvr), [m.shared.weight])[0];
      });
      expectClose(await values(m.shared.weight.grad!), await values(both), tol);
      expect(() => mtl.routeGradients(m, { cvr: { deny: [mt.zeros([1], { ...place, requiresGrad: true })] } })).toThrow(
        /not a trainable parameter of the model/,
      );
      mt.dispose([ctrOnly, both]);
      m.dispose();
      mt.dispose([x, y]);
    });

    it('feedPrediction passes values forward and no gradient back', async () => {
      const p = mt.keep(mt.tensor([0.5, 2], { ...place, requiresGrad: true }));
      const q = mt.keep(mt.tensor([1, 1], { ...place, requiresGrad: true }));
      const r = mt.tidy(() => {
        const pred = mt.sigmoid(p);
        const consumer = mt.sum(mt.mul(mtl.feedPrediction(pred), q));
        const [gp, gq] = mt.grad(consumer, [p, q], { allowUnused: true });
        const through = mt.grad(mt.sum(mt.mul(mtl.feedPrediction(pred, { detach: false }), q)), [p])[0];
        return { pred, gp, gq, through };
      });
      expect(await values(r.gp)).toEqual([0, 0]);
      expect(await values(r.gq)).toEqual(await values(r.pred));
      expect((await values(r.through))[0]).toBeGreaterThan(0);
      mt.dispose([r, p, q]);
    });
  });

  it('taskGradients uses grad() (leaving .grad alone); gradientConflict gives cosines and magnitude ratios', async () => {
    const w = mt.keep(mt.tensor([1, 2], { ...place, requiresGrad: true }));
    const grads = mt.tidy(() =>
      mtl.taskGradients(
        {
          a: mt.sum(mt.mul(w, mt.tensor([3, 0], place))),
          b: mt.sum(mt.mul(w, mt.tensor([-1, -1], place))),
          c: mt.sum(mt.mul(w, 0)),
        },
        [w],
      ),
    );
    expect(w.grad).toBeNull();
    expect(await values(grads.c[0])).toEqual([0, 0]);
    const report = await mtl.gradientConflict(grads);
    mt.dispose(grads);
    expect(report.tasks).toEqual(['a', 'b', 'c']);
    expect(report.norms[0]).toBe(3);
    expectClose([report.cosine[0][1], report.magnitudeRatio[0][1]], [-1 / Math.SQRT2, 3 / Math.SQRT2], tol);
    expect(report.cosine[0][2]).toBe(0);
    await expect(mtl.gradientConflict({ a: [w], b: [] })).rejects.toThrow(/different total sizes/);
    w.dispose();
  });

  it('labelMask marks NaN and sentinel labels; masked means and losses are 0 with zero gradient on an empty mask', async () => {
    const r = mt.tidy(() => {
      const labels = mt.tensor([1, NaN, 0, -1], place);
      const mask = mtl.labelMask(labels, { missing: -1 });
      const nanOnly = mtl.labelMask(labels);
      const vals = mt.tensor([2, NaN, 4, 100], { ...place, requiresGrad: true });
      const mean = mtl.maskedMean(vals, mask);
      const gMean = mt.grad(mean, [vals])[0];
      const empty = mt.zeros([4], place);
      const mm = mtl.maskedMean(vals, empty);
      const gEmpty = mt.grad(mm, [vals])[0];
      const logits = mt.tensor([0.3, -2, 1, 0.1], { ...place, requiresGrad: true });
      const l = mt.bceWithLogits(logits, labels, { mask: empty });
      const gl = mt.grad(l, [logits])[0];
      const lm = mt.bceWithLogits(logits, labels, { mask });
      const glm = mt.grad(lm, [logits])[0];
      const intMask = mtl.labelMask(mt.tensor([1, -1, 0], { dtype: 'int32', backend }), { missing: -1 });
      return { mask, nanOnly, mean, gMean, mm, gEmpty, l, gl, lm, glm, intMask };
    });
    expect(await values(r.mask)).toEqual([1, 0, 1, 0]);
    expect(await values(r.nanOnly)).toEqual([1, 0, 1, 1]);
    expect(await values(r.intMask)).toEqual([1, 0, 1]);
    expect(await r.mean.item()).toBe(3);
    expect(await values(r.gMean)).toEqual([0.5, 0, 0.5, 0]);
    expect(await r.mm.item()).toBe(0);
    expect(await values(r.gEmpty)).toEqual([0, 0, 0, 0]);
    expect(await r.l.item()).toBe(0);
    expect(await values(r.gl)).toEqual([0, 0, 0, 0]);
    const expected = (Math.log1p(Math.exp(-0.3)) + Math.log1p(Math.exp(1))) / 2;
    expectClose([await r.lm.item()], [expected], tol);
    const glm = await values(r.glm);
    expect(glm.every(Number.isFinite)).toBe(true);
    expect([glm[1], glm[3]]).toEqual([0, 0]);
    expectClose([glm[0], glm[2]], [(1 / (1 + Math.exp(-0.3)) - 1) / 2, 1 / (1 + Math.exp(-1)) / 2], tol);
    mt.dispose(r);
  });
});
