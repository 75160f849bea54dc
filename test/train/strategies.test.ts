import { describe, expect, it } from 'vitest';
import { manualSeed } from '../../src/index.js';
import { Adam } from '../../src/optim/index.js';
import { UncertaintyWeighting, PCGrad, routeGradients } from '../../src/mtl/index.js';
import { Trainer } from '../../src/train/index.js';
import { TinyTwoTask, tinyTable } from './tiny-model.js';

const train = tinyTable(1024, 21);
const validation = tinyTable(512, 22);

describe('Trainer with src/mtl strategies', () => {
  it("learns uncertainty weighting's log-variances alongside the model", async () => {
    manualSeed(1);
    const model = new TinyTwoTask(4);
    const weighting = new UncertaintyWeighting({ a: 'classification', b: 'classification' });
    const optimizer = new Adam([{ params: model.parameters() }, { params: weighting.parameters(), lr: 0.05 }], {
      lr: 0.02,
    });
    const history = await new Trainer({ model, optimizer, weighting, epochs: 2, batchSize: 128 }).fit(
      train,
      validation,
    );
    expect(await weighting.logVars.a.item()).not.toBe(0);
    expect(history.epochs[1].validation!.a.auc).toBeGreaterThan(0.85);
    weighting.dispose();
  });

  it('trains with PCGrad on the shared parameters', async () => {
    manualSeed(1);
    const model = new TinyTwoTask(4);
    const weighting = new PCGrad(['a', 'b'], { seed: 1 });
    const optimizer = new Adam(model.parameters(), { lr: 0.02 });
    const history = await new Trainer({ model, optimizer, weighting, epochs: 2, batchSize: 128 }).fit(
      train,
      validation,
    );
    expect(history.epochs[1].validation!.b.auc).toBeGreaterThan(0.85);
  });

  it('routes gradients: a task denied a tower never changes it', async () => {
    manualSeed(1);
    const model = new TinyTwoTask(4);
    const routing = routeGradients(model, { a: { deny: model.heads.b }, b: { deny: [model.heads.a, model.bottom] } });
    const optimizer = new Adam(model.parameters(), { lr: 0.02 });
    const bottomBefore = await model.bottom.weight.data();
    const headABefore = await model.heads.a.weight.data();
    // With task a's loss zeroed by its mask, only task b would move anything — and b may not reach head a or the bottom.
    const onlyB = tinyTable(512, 23);
    onlyB.masks.a.fill(0);
    await new Trainer({ model, optimizer, routing, epochs: 1, batchSize: 128 }).fit(onlyB);
    expect(await model.bottom.weight.data()).toEqual(bottomBefore);
    expect(await model.heads.a.weight.data()).toEqual(headABefore);
    expect(() => new Trainer({ model, optimizer, routing, weighting: new PCGrad(['a', 'b']) })).toThrow(
      /either a weighting strategy or gradient routing/,
    );
  });
});
