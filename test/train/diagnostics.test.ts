/** Training diagnostics from a run's history: gradient norms and ratio, cosine summary, weights, expert collapse. */
import { describe, expect, it } from 'vitest';
import { collapseWarnings, expertUtilisation, trainingDiagnostics } from '../../src/train/diagnostics.js';
import type { TrainingHistory } from '../../src/train/events.js';
import { renderReport } from '../../src/cli/report/html.js';

describe('training diagnostics', () => {
  it('flags the collapse a report once showed silently: each task on 2 of 8 experts, 4 experts idle', () => {
    const spread = (on: number[]): number[] => Array.from({ length: 8 }, (_, e) => (on.includes(e) ? 0.45 : 0.1 / 6));
    const u = expertUtilisation({ ctr: spread([0, 1]), cvr: spread([2, 3]) }, 3);
    expect(u.gates.map((g) => g.used)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(u.gates[0].usedShare).toBeCloseTo(0.9, 12);
    expect(u.idle).toEqual([4, 5, 6, 7]);
    expect(collapseWarnings(u)).toEqual([
      'expert utilisation (epoch 4): 4 of 8 experts are idle — e4, e5, e6, e7 get less than 6% of the weight in every gate',
      "expert utilisation (epoch 4): gate 'ctr' puts 90% of its weight on 2 of 8 experts (e0, e1): the mixture has collapsed",
      "expert utilisation (epoch 4): gate 'cvr' puts 90% of its weight on 2 of 8 experts (e2, e3): the mixture has collapsed",
    ]);
    // Balanced gates: no warning. PLE-style gates of different sizes: no idle verdict across them.
    expect(collapseWarnings(expertUtilisation({ a: Array(8).fill(1 / 8), b: Array(8).fill(1 / 8) }, 0))).toEqual([]);
    expect(expertUtilisation({ a: [0.5, 0.5], b: [0.2, 0.3, 0.5] }, 0).idle).toBeNull();
  });

  it('summarises norms, their ratio, cosines and weights from the probes, and shows it all in the report', () => {
    const history: TrainingHistory = {
      tasks: ['a', 'b'],
      steps: [
        { step: 1, epoch: 0, losses: { a: 1, b: 1 }, total: 2 },
        { step: 2, epoch: 0, losses: { a: 1, b: 1 }, total: 2 },
      ],
      epochs: [
        {
          epoch: 0,
          trainLoss: { a: 1, b: 1 },
          validation: null,
          gates: { a: [0.97, 0.01, 0.01, 0.01], b: [0.97, 0.01, 0.01, 0.01] },
          improved: false,
          trainSeconds: 1,
          evalSeconds: 0,
        },
      ],
      gradientCosines: [
        {
          step: 1,
          epoch: 0,
          cosines: [
            [1, -0.5],
            [-0.5, 1],
          ],
          norms: [2, 1],
          weights: [0.6, 0.4],
        },
        {
          step: 2,
          epoch: 0,
          cosines: [
            [1, 0.25],
            [0.25, 1],
          ],
          norms: [30, 2],
          weights: [0.3, 0.7],
        },
      ],
      stopReason: 'completed',
      bestEpoch: null,
      trainSeconds: 1,
    };
    const d = trainingDiagnostics(history);
    expect(d.gradientNorms).toEqual([
      { step: 1, norms: [2, 1], ratio: 2 },
      { step: 2, norms: [30, 2], ratio: 15 },
    ]);
    expect(d.cosines).toEqual([{ pair: ['a', 'b'], mean: -0.125, negativeFraction: 0.5, last: 0.25 }]);
    expect(d.weights).toEqual([
      { step: 1, weights: [0.6, 0.4] },
      { step: 2, weights: [0.3, 0.7] },
    ]);
    expect(d.warnings).toContain(
      "gradient magnitudes (step 2): task 'a' has 15× the gradient norm of 'b' on the shared parameters — it dominates their update",
    );
    expect(d.warnings.some((w) => w.includes('3 of 4 experts are idle'))).toBe(true);
    const html = renderReport({ title: 't', settings: {}, modelConfig: {}, history, test: null });
    expect(html).toContain('class="warning"');
    expect(html).toContain('3 of 4 experts are idle');
    expect(html).toContain('Task-gradient norm on the shared parameters');
    expect(html).toContain('Weight (or gradient coefficient) the strategy assigned per task');
  });
});
