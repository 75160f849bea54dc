/** Small configs, inputs and labels for every model, and a tiny training loop, shared by the model tests. */
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import {
  createModel,
  type ModelName,
  type ModelOf,
  type MultiTaskModel,
  type TaskTensors,
} from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';

export const IN = 6;
export const TWO_TASKS = [{ name: 'a' }, { name: 'b', type: 'regression' }];

export const SMALL_CONFIGS: Record<ModelName, Record<string, unknown>> = {
  singleTask: { inputDim: IN, tasks: TWO_TASKS, hiddenDims: [8] },
  sharedBottom: { inputDim: IN, tasks: TWO_TASKS, bottomDims: [8], towerDims: [4] },
  omoe: { inputDim: IN, tasks: TWO_TASKS, numExperts: 3, expertDims: [5], towerDims: [4] },
  mmoe: { inputDim: IN, tasks: TWO_TASKS, numExperts: 3, expertDims: [5], towerDims: [4] },
  cgc: { inputDim: IN, tasks: TWO_TASKS, specificExperts: 2, sharedExperts: 1, expertDims: [5], towerDims: [4] },
  ple: {
    inputDim: IN,
    tasks: TWO_TASKS,
    levels: 2,
    specificExperts: 2,
    sharedExperts: 1,
    expertDims: [5],
    towerDims: [4],
  },
  esmm: { inputDim: IN, ctrTowerDims: [8], cvrTowerDims: [8] },
  aitm: { inputDim: IN, tasks: [{ name: 'click' }, { name: 'buy' }, { name: 'repeat' }], towerDims: [8, 4] },
  rnr: { numUsers: 10, numItems: 12, embeddingDim: 4 },
  mran: { inputDim: IN, tasks: TWO_TASKS, tokenDim: 4, towerDims: [4] },
};

// biome-ignore lint/suspicious/noExplicitAny: any of the ten models, whatever its config type
export type AnyModel = MultiTaskModel<any>;

export function makeModel<N extends ModelName>(
  name: N,
  overrides: Record<string, unknown> = {},
  place: { backend?: string; dtype?: 'float32' | 'float64' } = {},
): ModelOf<N> {
  return createModel(name, { ...SMALL_CONFIGS[name], ...overrides }, place);
}

/** A model's input for a batch of B rows (dense, or user/item ids for rnr). */
export function makeInput(
  name: ModelName,
  B: number,
  place: { backend?: string; dtype?: 'float32' | 'float64' } = {},
): unknown {
  if (name === 'rnr') {
    return {
      user: mt.tensor(
        Int32Array.from({ length: B }, (_, i) => 1 + (i % 9)),
        { backend: place.backend },
      ),
      item: mt.tensor(
        Int32Array.from({ length: B }, (_, i) => 1 + ((i * 7) % 11)),
        { backend: place.backend },
      ),
    };
  }
  return mt.randn([B, IN], place);
}

/** Labels of the right kind for every task (0/1 for binary, N(0,1) for regression), deterministic. */
export function makeLabels(
  model: AnyModel,
  B: number,
  place: { backend?: string; dtype?: 'float32' | 'float64' } = {},
): TaskTensors {
  const labels: TaskTensors = {};
  for (const t of model.tasks) {
    const v = Float64Array.from({ length: B }, (_, i) =>
      t.kind === 'binary' ? ((i * 37 + t.name.length) % 3 === 0 ? 1 : 0) : Math.sin(i + t.name.length),
    );
    labels[t.name] = mt.tensor(v, { shape: [B], backend: place.backend, dtype: place.dtype ?? 'float32' });
  }
  return labels;
}

/** Adam steps on `lossOf` (each step in its own tidy); returns the loss of every step. */
export function fit(model: AnyModel, steps: number, lr: number, lossOf: (step: number) => Tensor): number[] {
  const opt = new Adam(model.parameters(), { lr });
  const losses: number[] = [];
  model.train();
  for (let s = 0; s < steps; s++) {
    mt.tidy(() => {
      opt.zeroGrad();
      const loss = lossOf(s);
      loss.backward();
      opt.step();
      losses.push(loss.itemSync());
    });
  }
  return losses;
}

export function meanOf(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
}

/** Rows [start, start + size) of a flat row-major array as a tensor [size, width] (on `backend`, default js). */
export function rowsOf(data: Float32Array, width: number, start: number, size: number, backend?: string): Tensor {
  return mt.tensor(data.subarray(start * width, (start + size) * width), { shape: [size, width], backend });
}
