import { describe, expect, it } from 'vitest';
import { manualSeed, memory } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';
import { Trainer } from '../../src/train/index.js';
import { tinyTable } from './tiny-model.js';

const train = tinyTable(1536, 31);
const validation = tinyTable(512, 32);

function mmoe(seed: number) {
  manualSeed(seed);
  const inner = createModel('mmoe', {
    features: { numeric: [0, 1, 2, 3].map((k) => ({ name: `x${k}` })) },
    tasks: [{ name: 'a' }, { name: 'b' }],
    numExperts: 4,
    expertDims: [8],
    towerDims: [4],
  });
  const model = inner;
  return { inner, model, optimizer: new Adam(inner.parameters(), { lr: 0.02 }) };
}

describe('Trainer on a model of the zoo (MMoE)', () => {
  it('learns, records expert utilisation per task and keeps live tensors flat', async () => {
    const { model, optimizer, inner } = mmoe(4);
    const counts: number[] = [];
    const history = await new Trainer({
      model,
      optimizer,
      epochs: 2,
      batchSize: 128,
      gradientProbeEvery: 5,
      onEvent: (e) => {
        if (e.type === 'step') counts.push(memory().tensors);
      },
    }).fit(train, validation);
    const last = history.epochs[1];
    expect(last.validation!.a.auc).toBeGreaterThan(0.85);
    expect(last.validation!.b.auc).toBeGreaterThan(0.85);
    for (const task of ['a', 'b']) {
      expect(last.gates![task]).toHaveLength(4);
      expect(last.gates![task].reduce((s, w) => s + w, 0)).toBeCloseTo(1, 4);
    }
    expect(history.gradientCosines.length).toBeGreaterThan(3);
    expect(new Set(counts.slice(1)).size).toBe(1);
    inner.dispose();
  });

  it('is reproducible: same seed, same backend, same metrics', async () => {
    const run = async () => {
      const { model, optimizer, inner } = mmoe(9);
      const history = await new Trainer({ model, optimizer, epochs: 1, batchSize: 256, seed: 2 }).fit(
        train,
        validation,
      );
      inner.dispose();
      return history.epochs[0].validation;
    };
    expect(await run()).toEqual(await run());
  });
});
