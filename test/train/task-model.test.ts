/**
 * The Trainer on the TaskModel contract: task weights reach the gradients it applies, the step is testable on its
 * own, labels map onto tasks (one label may feed two), tasks without a loss need no label, and per-task optimizer
 * groups skip empty ones.
 */
import { describe, expect, it } from 'vitest';
import { grad, manualSeed, tidy, tensor, add, mul } from '../../src/index.js';
import { bceWithLogits } from '../../src/ops/loss.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { Adam } from '../../src/optim/index.js';
import { FixedWeighting } from '../../src/mtl/index.js';
import { createModel } from '../../src/models/index.js';
import { EncodedTable, type Batch } from '../../src/data/table.js';
import { generateClickConversion } from '../../src/data/synthetic/index.js';
import { optimizerGroups, Trainer, type OptimizerLike } from '../../src/train/index.js';
import { TinyTwoTask, tinyTable } from './tiny-model.js';

/** An optimizer that applies nothing and keeps a copy of the gradients it was given at step(). */
class GradientRecorder implements OptimizerLike {
  readonly paramGroups: { lr: number; params: Tensor[] }[];
  applied: Float32Array[] | null = null;
  constructor(params: Tensor[]) {
    this.paramGroups = [{ lr: 0, params }];
  }
  step(): void {
    this.applied = this.paramGroups[0].params.map((p) => Float32Array.from(p.grad!.dataSync()));
  }
  zeroGrad(): void {}
}

const table = tinyTable(96, 5);
const batch: Batch = table.gather(Int32Array.from({ length: 64 }, (_, i) => i));

/** ∇(wa·La + wb·Lb) computed by hand: the BCE of each head on the batch, grad() on the model's parameters. */
function explicitGradients(model: TinyTwoTask, wa: number, wb: number): Float32Array[] {
  return tidy(() => {
    const x = tensor(batch.num, { shape: [batch.size, batch.nNum] });
    const out = model.forward(x);
    const la = bceWithLogits(out.a, tensor(batch.labels.a), { mask: tensor(batch.masks.a) });
    const lb = bceWithLogits(out.b, tensor(batch.labels.b), { mask: tensor(batch.masks.b) });
    return grad(add(mul(la, wa), mul(lb, wb)), model.parameters()).map((g) => Float32Array.from(g.dataSync()));
  });
}

function expectClose(actual: Float32Array[], expected: Float32Array[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, k) => a.forEach((v, i) => expect(v).toBeCloseTo(expected[k][i], 5)));
}

describe('Trainer.step applies task weights', () => {
  it('weight 2 on task a: the applied gradient is 2·∇La + ∇Lb, not the plain sum', async () => {
    manualSeed(7);
    const weighted = new TinyTwoTask(4, 8, { a: 2 });
    const recorder = new GradientRecorder(weighted.parameters());
    const result = await new Trainer({ model: weighted, optimizer: recorder }).step(batch);
    expectClose(recorder.applied!, explicitGradients(weighted, 2, 1));
    // The unweighted sum differs by exactly ∇La: the weight is not a no-op.
    const plain = explicitGradients(weighted, 1, 1);
    const onlyA = explicitGradients(weighted, 1, 0);
    expect(onlyA.some((g) => g.some((v) => Math.abs(v) > 1e-4))).toBe(true);
    recorder.applied!.forEach((g, k) => g.forEach((v, i) => expect(v - plain[k][i]).toBeCloseTo(onlyA[k][i], 5)));
    // Losses are reported unweighted; the total is the weighted objective.
    expect(result.total).toBeCloseTo(2 * result.losses.a + result.losses.b, 5);
  });

  it('applies the weights under a weighting strategy too (fixed 1, 3 on top of task weights 2, 1)', async () => {
    manualSeed(7);
    const model = new TinyTwoTask(4, 8, { a: 2 });
    const recorder = new GradientRecorder(model.parameters());
    await new Trainer({ model, optimizer: recorder, weighting: new FixedWeighting({ a: 1, b: 3 }) }).step(batch);
    expectClose(recorder.applied!, explicitGradients(model, 2, 3));
  });

  it('weight 0 takes a task out of the gradient entirely', async () => {
    manualSeed(7);
    const model = new TinyTwoTask(4, 8, { b: 0 });
    const recorder = new GradientRecorder(model.parameters());
    await new Trainer({ model, optimizer: recorder }).step(batch);
    const headB = model.parameters().indexOf(model.heads.b.weight);
    expect(Array.from(recorder.applied![headB]).every((v) => v === 0)).toBe(true);
    expectClose(recorder.applied!, explicitGradients(model, 1, 0));
  });
});

describe('Trainer labels', () => {
  it('feeds one label column to two tasks', async () => {
    manualSeed(3);
    const model = new TinyTwoTask(4);
    const recorder = new GradientRecorder(model.parameters());
    // Both tasks read label 'a' (b's own label is ignored).
    const result = await new Trainer({ model, optimizer: recorder, labels: { b: 'a' } }).step(batch);
    const expected = tidy(() => {
      const out = model.forward(tensor(batch.num, { shape: [batch.size, batch.nNum] }));
      const y = tensor(batch.labels.a),
        m = tensor(batch.masks.a);
      return [bceWithLogits(out.a, y, { mask: m }).dataSync()[0], bceWithLogits(out.b, y, { mask: m }).dataSync()[0]];
    });
    expect(result.losses.a).toBeCloseTo(expected[0], 5);
    expect(result.losses.b).toBeCloseTo(expected[1], 5);
  });

  it('names the missing label and the task when a table lacks it', async () => {
    const model = new TinyTwoTask(4);
    const trainer = new Trainer({ model, optimizer: new GradientRecorder(model.parameters()), labels: { b: 'buy' } });
    await expect(trainer.fit(table)).rejects.toThrow(/no label 'buy' for task 'b' of 'tiny'/);
    expect(
      () => new Trainer({ model, optimizer: new GradientRecorder(model.parameters()), labels: { c: 'a' } }),
    ).toThrow(/labels maps 'c', which is not a task of 'tiny'/);
  });
});

/** A click → conversion table: click and conversion (= click ∧ purchase) on every impression, no cvr label. */
function cascade(n: number, seed: number) {
  const gen = generateClickConversion({ n, seed, categoricalFields: 3, vocabularySize: 6, numericFeatures: 3 });
  const t = gen.table;
  const table = new EncodedTable({
    size: t.size,
    nCat: t.nCat,
    nNum: t.nNum,
    cat: t.cat,
    num: t.num,
    labels: { click: t.labels.click, conversion: t.labels.conversion },
  });
  const features = {
    categorical: gen.categoricalSizes.map((v, i) => ({ name: `c${i}`, vocabularySize: v })),
    numeric: Array.from({ length: t.nNum }, (_, i) => ({ name: `x${i}` })),
    embeddingDim: 4,
  };
  return { table, features };
}

describe('zoo models with their own objectives through the Trainer', () => {
  it('ESMM: ctr ← click, ctcvr ← conversion, cvr needs no label; per-task groups skip the empty ctcvr group', async () => {
    const { table, features } = cascade(4000, 11);
    const rows = (a: number, b: number) => table.subset(Int32Array.from({ length: b - a }, (_, i) => a + i));
    manualSeed(1);
    const model = createModel('esmm', { features, ctrTowerDims: [16], cvrTowerDims: [16] });
    const groups = optimizerGroups(model, { lr: 0.02, lrs: { 'task:cvr': 0.01 } });
    expect(groups.map((g) => g.name)).toEqual(['shared', 'task:ctr', 'task:cvr']);
    expect(() => optimizerGroups(model, { lr: 0.02, lrs: { 'task:ctcvr': 0.1 } })).toThrow(
      /no parameter group 'task:ctcvr' in 'esmm' \(it has: shared, task:ctr, task:cvr\)/,
    );
    const labels = { ctr: 'click', ctcvr: 'conversion', cvr: { label: 'conversion', where: 'click' } };
    const trainer = new Trainer({
      model,
      optimizer: new Adam(groups, { lr: 0.02 }),
      labels,
      epochs: 2,
      batchSize: 256,
    });
    expect(trainer.lossTasks).toEqual(['ctr', 'ctcvr']);
    const validation = rows(3000, 4000);
    const history = await trainer.fit(rows(0, 3000), validation);
    expect(Object.keys(history.steps[0].losses)).toEqual(['ctr', 'ctcvr']);
    const last = history.epochs[1].validation!;
    // cvr is not trained on its own, but scored on the clicked impressions only.
    expect(Object.keys(last)).toEqual(['ctr', 'cvr', 'ctcvr']);
    expect(last.cvr.count).toBe(validation.labels.click.reduce((s, v) => s + v, 0));
    expect(last.cvr.count).toBeLessThan(1000);
    expect(last.ctr.auc).toBeGreaterThan(0.7);
    expect(last.ctcvr.auc).toBeGreaterThan(0.7);
    model.dispose();
  });

  it('AITM: the calibrator is part of the objective the Trainer differentiates', async () => {
    const { table, features } = cascade(600, 12);
    manualSeed(2);
    const model = createModel('aitm', {
      features,
      tasks: [{ name: 'click' }, { name: 'conversion' }],
      towerDims: [8, 4],
      calibratorWeight: 5,
    });
    const recorder = new GradientRecorder(model.parameters());
    const b = table.gather(Int32Array.from({ length: 128 }, (_, i) => i));
    const result = await new Trainer({ model, optimizer: recorder }).step(b);
    // total = L_click + L_conversion + α·calibrator, and the calibrator is ≥ 0.
    const calibrator = tidy(() => {
      const input = {
        cat: tensor(b.cat, { dtype: 'int32', shape: [b.size, b.nCat] }),
        num: tensor(b.num, { shape: [b.size, b.nNum] }),
      };
      return model.regularization(model.forward(input), {})!.dataSync()[0];
    });
    expect(calibrator).toBeGreaterThan(0);
    expect(result.total).toBeCloseTo(result.losses.click + result.losses.conversion + calibrator, 5);
    model.dispose();
  });

  it('RnR: user–item rows from categorical columns 0 and 1, rating weight λ and ℓ2 in the objective, rating masked', async () => {
    const n = 200;
    const cat = new Int32Array(n * 2);
    const rank = new Float32Array(n),
      rating = new Float32Array(n),
      ratingMask = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      cat[2 * i] = 1 + (i % 9);
      cat[2 * i + 1] = 1 + ((i * 7) % 11);
      rank[i] = i % 2;
      rating[i] = i % 2 ? 1 + (i % 5) : 0;
      ratingMask[i] = i % 2;
    }
    const rows = new EncodedTable({
      size: n,
      nCat: 2,
      nNum: 0,
      cat,
      num: new Float32Array(0),
      labels: { watched: rank, stars: rating },
      masks: { stars: ratingMask },
    });
    manualSeed(4);
    const model = createModel('rnr', { numUsers: 10, numItems: 12, embeddingDim: 4, ratingWeight: 0.5, l2: 0.01 });
    const recorder = new GradientRecorder(model.parameters());
    const trainer = new Trainer({ model, optimizer: recorder, labels: { rank: 'watched', rating: 'stars' } });
    const result = await trainer.step(rows.gather(Int32Array.from({ length: n }, (_, i) => i)));
    const l2 = tidy(() => {
      const out = model.forward({
        user: tensor(Int32Array.from({ length: n }, (_, i) => cat[2 * i])),
        item: tensor(Int32Array.from({ length: n }, (_, i) => cat[2 * i + 1])),
      });
      return model.regularization(out)!.dataSync()[0];
    });
    expect(result.total).toBeCloseTo(result.losses.rank + 0.5 * result.losses.rating + l2, 4);
    // A tabular table (numeric columns only) does not fit: one error naming the model and the input it expects.
    const tabular = tinyTable(8, 1);
    await expect(
      new Trainer({ model, optimizer: recorder, labels: { rank: 'a', rating: 'b' } }).fit(tabular),
    ).rejects.toThrow(
      /^rnr: expects a user–item input \(\{ user: int32 \[B\], item: int32 \[B\] \}\) \(categorical columns 0 and 1: user and item ids\), but the data has 0 categorical and 4 numeric columns$/,
    );
    model.dispose();
  });
});
