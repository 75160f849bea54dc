import { describe, expect, it } from 'vitest';
import { manualSeed, memory } from '../../src/index.js';
import { Adam } from '../../src/optim/index.js';
import { NonFiniteLossError, Trainer, type TrainerEvent } from '../../src/train/index.js';
import { TinyTwoTask, tinyTable } from './tiny-model.js';

function setup(seed = 1) {
  manualSeed(seed);
  const model = new TinyTwoTask(4);
  const optimizer = new Adam(model.parameters(), { lr: 0.02 });
  return { model, optimizer };
}

const train = tinyTable(2048, 11);
const validation = tinyTable(1024, 12);

describe('Trainer', () => {
  it('learns both tasks and reports whole-split validation metrics per task, respecting masks', async () => {
    const { model, optimizer } = setup();
    const before = await new Trainer({ model, optimizer }).evaluate(validation);
    const events: TrainerEvent[] = [];
    const trainer = new Trainer({ model, optimizer, epochs: 3, batchSize: 128, onEvent: (e) => events.push(e) });
    const history = await trainer.fit(train, validation);
    const last = history.epochs[2].validation!;
    expect(last.a.auc).toBeGreaterThan(0.9);
    expect(last.b.auc).toBeGreaterThan(0.9);
    expect(last.a.auc).toBeGreaterThan(before.metrics.a.auc! + 0.1);
    expect(last.a.count).toBe(1024);
    expect(last.b.count).toBe(768);
    expect(history.epochs[2].trainLoss.a).toBeLessThan(history.epochs[0].trainLoss.a);
    expect(events[0].type).toBe('start');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(3 * 16);
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(3);
    expect(events.at(-1)).toMatchObject({ type: 'end', reason: 'completed', steps: 48 });
  });

  it('gives the same metrics for the same seed', async () => {
    const run = async () => {
      const { model, optimizer } = setup(5);
      const history = await new Trainer({ model, optimizer, epochs: 1, batchSize: 256, seed: 3 }).fit(
        train,
        validation,
      );
      return history.epochs[0].validation;
    };
    expect(await run()).toEqual(await run());
  });

  it('stops early on a task metric and restores the best weights', async () => {
    const { model, optimizer } = setup();
    // A validation split whose labels do not match training: the metric gets no better after the first epoch.
    const shifted = tinyTable(512, 99);
    shifted.labels.a.forEach((v, i) => {
      shifted.labels.a[i] = 1 - v;
    });
    const history = await new Trainer({
      model,
      optimizer,
      epochs: 10,
      batchSize: 128,
      earlyStopping: { task: 'a', metric: 'auc', patience: 2 },
    }).fit(train, shifted);
    expect(history.stopReason).toBe('early-stopping');
    expect(history.epochs.length).toBeLessThan(10);
    const bestEpoch = history.bestEpoch!;
    const restored = await new Trainer({ model, optimizer }).evaluate(shifted);
    expect(restored.metrics.a.auc).toBeCloseTo(history.epochs[bestEpoch].validation!.a.auc!, 6);
  });

  it('rejects early stopping on a task or metric that does not exist', async () => {
    const { model, optimizer } = setup();
    const trainer = new Trainer({ model, optimizer, maxSteps: 1, earlyStopping: { task: 'c', metric: 'auc' } });
    await expect(trainer.fit(train, validation)).rejects.toThrow(/task 'c'/);
  });

  it('stops at the step where a loss is not finite, naming the task', async () => {
    const { model, optimizer } = setup();
    const trainer = new Trainer({ model, optimizer, epochs: 1, batchSize: 128 });
    const weightsBefore = await model.bottom.weight.data();
    model.scaleB = Number.POSITIVE_INFINITY;
    const failure = await trainer.fit(train, validation).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(NonFiniteLossError);
    expect((failure as NonFiniteLossError).step).toBe(1);
    expect((failure as NonFiniteLossError).task).toBe('b');
    expect((failure as Error).message).toMatch(/step 1: the loss of task 'b' is (NaN|Infinity)/);
    // The bad step was never applied.
    expect(await model.bottom.weight.data()).toEqual(weightsBefore);
  });

  it('keeps the number of live tensors flat across steps', async () => {
    const { model, optimizer } = setup();
    const counts: number[] = [];
    await new Trainer({
      model,
      optimizer,
      epochs: 2,
      batchSize: 128,
      clipGradNorm: 1,
      gradientProbeEvery: 3,
      onEvent: (e) => {
        if (e.type === 'step') counts.push(memory().tensors);
      },
    }).fit(train, validation);
    expect(counts.length).toBe(32);
    expect(new Set(counts.slice(1)).size).toBe(1);
  });

  it('samples task-gradient cosines on the shared parameters', async () => {
    const { model, optimizer } = setup();
    const history = await new Trainer({ model, optimizer, epochs: 1, batchSize: 128, gradientProbeEvery: 4 }).fit(
      train,
    );
    expect(history.gradientCosines.map((p) => p.step)).toEqual([1, 4, 8, 12, 16]);
    const [[aa, ab], [ba, bb]] = history.gradientCosines[0].cosines;
    expect(aa).toBeCloseTo(1, 5);
    expect(bb).toBeCloseTo(1, 5);
    expect(ab).toBeCloseTo(ba, 6);
    expect(Math.abs(ab)).toBeLessThanOrEqual(1 + 1e-6);
  });
});
