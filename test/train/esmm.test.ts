/**
 * The Trainer with a model whose task has an output but no loss of its own: ESMM trains its CVR tower only through
 * the CTCVR loss (Ma et al., SIGIR 2018), so model.loss returns losses for click and conversion (CTCVR) only.
 */
import { expect, it } from 'vitest';
import { manualSeed } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';
import { Trainer } from '../../src/train/index.js';
import { generateClickConversion } from '../../src/data/synthetic/index.js';

it('trains ESMM (a task without a loss of its own) and reports losses only for the trained tasks', async () => {
  const gen = generateClickConversion({ n: 6000, seed: 3 });
  const all = gen.table;
  const rows = (start: number, count: number) => all.subset(Int32Array.from({ length: count }, (_, i) => start + i));
  const train = rows(0, 4500),
    validation = rows(4500, 1500);
  manualSeed(1);
  const inner = createModel('esmm', {
    features: {
      categorical: gen.categoricalSizes.map((v, i) => ({ name: `c${i}`, vocabularySize: v })),
      numeric: Array.from({ length: all.nNum }, (_, i) => ({ name: `x${i}` })),
      embeddingDim: 4,
    },
    ctrTowerDims: [16],
    cvrTowerDims: [16],
    taskNames: { ctr: 'click', cvr: 'cvr', ctcvr: 'conversion' },
  });
  const model = inner;
  const history = await new Trainer({
    model,
    optimizer: new Adam(inner.parameters(), { lr: 0.02 }),
    epochs: 2,
    batchSize: 256,
  }).fit(train, validation);
  expect(Object.keys(history.steps[0].losses).sort()).toEqual(['click', 'conversion']);
  expect(Object.keys(history.epochs[1].trainLoss).sort()).toEqual(['click', 'conversion']);
  expect(history.epochs[1].validation!.click.auc).toBeGreaterThan(0.7);
  expect(history.epochs[1].validation!.conversion.auc).toBeGreaterThan(0.7);
  inner.dispose();
});
