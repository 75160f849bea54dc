/** ESMM's CTCVR logit: exactly logit(σ(a)σ(b)), its BCE the log-space one, finite where the naive product underflows. */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { productLogit } from '../../src/models/index.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

describe('ESMM CTCVR in log space', () => {
  it('equals logit(σ(a)σ(b)) and its BCE equals −[y(log σa + log σb) + (1−y) log(1 − σa σb)]', () => {
    const a = [-3, -0.5, 0, 1.2, 4],
      b = [2, -1.5, 0.3, -4, 3],
      y = [1, 0, 1, 0, 1];
    const r = mt.tidy(() => {
      const at = mt.tensor(a, { dtype: 'float64' }),
        bt = mt.tensor(b, { dtype: 'float64' });
      const z = productLogit(at, bt);
      return {
        z: Array.from(z.dataSync()),
        loss: mt.bceWithLogits(z, mt.tensor(y, { dtype: 'float64' }), { reduction: 'none' }).dataSync(),
      };
    });
    a.forEach((ai, i) => {
      const p = sig(ai) * sig(b[i]);
      expect(r.z[i]).toBeCloseTo(Math.log(p / (1 - p)), 12);
      expect(r.loss[i]).toBeCloseTo(
        -(y[i] * (Math.log(sig(ai)) + Math.log(sig(b[i]))) + (1 - y[i]) * Math.log(1 - p)),
        12,
      );
    });
  });

  it('stays finite with finite gradients where σ(a)σ(b) underflows float32 or rounds to 1', () => {
    const r = mt.tidy(() => {
      const a = mt.tensor([-60, 40, -200], { requiresGrad: true }),
        b = mt.tensor([-60, 40, 30], { requiresGrad: true });
      const loss = mt.bceWithLogits(productLogit(a, b), mt.tensor([1, 0, 1]));
      const [ga, gb] = mt.grad(loss, [a, b]);
      return { loss: loss.itemSync(), ga: Array.from(ga.dataSync()), gb: Array.from(gb.dataSync()) };
    });
    expect(Number.isFinite(r.loss)).toBe(true);
    // −log p ≈ 120 for the first row, ≈ 200 for the third: the naive clamp at −100 would have lost them.
    expect(r.loss).toBeGreaterThan((120 + 39 + 200) / 3 - 1);
    for (const g of [...r.ga, ...r.gb]) expect(Number.isFinite(g)).toBe(true);
  });
});
