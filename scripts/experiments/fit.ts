/**
 * A small, explicit training loop for the experiments (ESMM, AITM, RnR, and the naive clicked-only CVR baseline):
 * shuffled mini-batches, Adam, the model's own objective (`model.loss`, the paper's loss including its
 * regularization), a validation score after every epoch, early stopping with the best epoch's weights restored.
 * It predates the Trainer's task → label map (src/train's Trainer now trains ESMM, AITM and RnR as the CLI does);
 * the published experiment figures were produced with this loop, so it stays until they are re-run on the Trainer.
 */
import { backward } from '../../src/autograd/backward.js';
import { manualSeed } from '../../src/tensor/engine.js';
import { dispose, tidy } from '../../src/tensor/scope.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { tensor } from '../../src/ops/creation.js';
import { Adam } from '../../src/optim/index.js';
import type { Batch, EncodedTable } from '../../src/data/table.js';
import type { MultiTaskModel, TaskTensors } from '../../src/models/multi-task-model.js';

// biome-ignore lint/suspicious/noExplicitAny: any of the ten models, whatever its config type
export type AnyModel = MultiTaskModel<any>;
export type InputsOf = (batch: Batch) => unknown;

/** The default input: the FeatureEncoder batch { cat, num }. */
export const featureInputs: InputsOf = (batch) => ({
  ...(batch.nCat > 0 ? { cat: tensor(batch.cat, { dtype: 'int32', shape: [batch.size, batch.nCat] }) } : {}),
  ...(batch.nNum > 0 ? { num: tensor(batch.num, { dtype: 'float32', shape: [batch.size, batch.nNum] }) } : {}),
});

/** Predictions (probabilities / values, from model.predict) for every row of a table, per output head. */
export function predictAll(
  model: AnyModel,
  table: EncodedTable,
  inputsOf: InputsOf = featureInputs,
  batchSize = 8192,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  let offset = 0;
  for (const batch of table.batches({ batchSize })) {
    const values = tidy(() => {
      const p = model.predict(inputsOf(batch));
      return Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v.dataSync() as Float32Array]));
    });
    for (const [k, v] of Object.entries(values)) {
      out[k] ??= new Float32Array(table.size);
      out[k].set(v, offset);
    }
    offset += batch.size;
  }
  return out;
}

export interface FitOptions {
  /** Label keys fed to model.loss (with their masks). */
  labels: string[];
  inputsOf?: InputsOf;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  patience: number;
  /** Higher is better; evaluated after every epoch. */
  validate: () => number;
}

export interface FitResult {
  epochsRun: number;
  bestEpoch: number;
  bestScore: number;
  trainSeconds: number;
  validation: number[];
}

export async function fitModel(model: AnyModel, train: EncodedTable, o: FitOptions): Promise<FitResult> {
  const inputsOf = o.inputsOf ?? featureInputs;
  const optimizer = new Adam(model.parameters(), { lr: o.lr });
  manualSeed(o.seed);
  let best: Record<string, Tensor> | null = null;
  let bestScore = -Infinity;
  let bestEpoch = -1;
  const validation: number[] = [];
  let trainMs = 0;
  let epoch = 0;
  for (; epoch < o.epochs; epoch++) {
    const t0 = performance.now();
    model.train(true);
    for (const batch of train.batches({ batchSize: o.batchSize, shuffle: true, seed: o.seed * 1_000_003 + epoch })) {
      const loss = tidy(() => {
        const labels: TaskTensors = {};
        const masks: TaskTensors = {};
        for (const k of o.labels) {
          labels[k] = tensor(batch.labels[k], { dtype: 'float32', shape: [batch.size] });
          masks[k] = tensor(batch.masks[k], { dtype: 'float32', shape: [batch.size] });
        }
        const total = model.loss(model.forward(inputsOf(batch)), labels, masks);
        backward(total);
        return total.dataSync()[0];
      });
      if (!Number.isFinite(loss)) throw new Error(`${model.modelName}: loss ${loss} at epoch ${epoch + 1}`);
      optimizer.step();
      optimizer.zeroGrad();
    }
    trainMs += performance.now() - t0;
    const score = o.validate();
    validation.push(score);
    if (score > bestScore) {
      bestScore = score;
      bestEpoch = epoch;
      dispose(best);
      best = model.stateDict();
    } else if (epoch - bestEpoch >= o.patience) {
      epoch++;
      break;
    }
  }
  if (best) {
    model.loadStateDict(best);
    dispose(best);
  }
  model.train(true);
  return { epochsRun: epoch, bestEpoch, bestScore, trainSeconds: trainMs / 1000, validation };
}
