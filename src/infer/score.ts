/**
 * Scoring encoded rows in batches: forward with recording off, binary outputs through a sigmoid, everything read
 * back into one Float32Array per task. Shared by training-time evaluation and by the inference entry, so both see
 * exactly the same numbers. Optionally averages the gate weights over all rows (expert utilisation).
 */
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { tensor } from '../ops/creation.js';
import { sigmoid } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

export type OutputKind = 'binary' | 'regression';

/** What scoring needs of a model. */
export interface ScoringModel {
  readonly tasks: readonly string[];
  forward(inputs: { cat?: Tensor; num?: Tensor }): Record<string, Tensor>;
  eval(): unknown;
  train(mode?: boolean): unknown;
  taskKinds?(): Record<string, OutputKind>;
  lastGates?(): Record<string, Tensor> | null;
}

export interface EncodedRows {
  size: number;
  nCat: number;
  nNum: number;
  cat: Int32Array;
  num: Float32Array;
}

export interface ScoreOptions {
  batchSize?: number;
  /** Also return the mean gate weight per expert, per gate, over all rows. */
  gates?: boolean;
}

export interface Scores {
  /** Task → one value per row: a probability for binary tasks, the prediction for regression tasks. */
  outputs: Record<string, Float32Array>;
  /** Gate → mean weight per expert (only when asked for and the model has [B, experts] gates). */
  gateMeans?: Record<string, number[]>;
}

export function taskKindsOf(model: ScoringModel): Record<string, OutputKind> {
  const given = model.taskKinds?.() ?? {};
  return Object.fromEntries(model.tasks.map((t) => [t, given[t] ?? 'binary']));
}

export async function scoreRows(model: ScoringModel, rows: EncodedRows, options: ScoreOptions = {}): Promise<Scores> {
  const batchSize = options.batchSize ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`scoreRows: batchSize must be a positive integer, got ${batchSize}`);
  const kinds = taskKindsOf(model);
  const outputs: Record<string, Float32Array> = Object.fromEntries(model.tasks.map((t) => [t, new Float32Array(rows.size)]));
  const gateSums = new Map<string, Float64Array>();
  const wasTraining = (model as { training?: boolean }).training ?? true;
  model.eval();
  try {
    for (let start = 0; start < rows.size; start += batchSize) {
      const n = Math.min(batchSize, rows.size - start);
      const batch = tidy(() => noGrad(() => {
        const inputs: { cat?: Tensor; num?: Tensor } = {};
        if (rows.nCat > 0) inputs.cat = tensor(rows.cat.subarray(start * rows.nCat, (start + n) * rows.nCat), { dtype: 'int32', shape: [n, rows.nCat] });
        if (rows.nNum > 0) inputs.num = tensor(rows.num.subarray(start * rows.nNum, (start + n) * rows.nNum), { dtype: 'float32', shape: [n, rows.nNum] });
        const out = model.forward(inputs);
        const values: Record<string, Tensor> = {};
        for (const task of model.tasks) {
          const o = out[task];
          if (!o) throw new Error(`model produced no output for task '${task}'`);
          if (o.size !== n) throw new Error(`output of task '${task}' has ${o.size} values for a batch of ${n} rows`);
          values[task] = kinds[task] === 'binary' ? sigmoid(o) : o;
        }
        const gates: Record<string, Tensor> = {};
        // Expert gates are [B, experts]; other maps a model may record (MRAN's attention, [B, n, n]) are not utilisation.
        if (options.gates) for (const [name, g] of Object.entries(model.lastGates?.() ?? {})) if (g.ndim === 2) gates[name] = sum(g, 0);
        return { values, gates };
      }));
      for (const task of model.tasks) {
        outputs[task].set(await batch.values[task].data(), start);
        batch.values[task].dispose();
      }
      for (const [name, g] of Object.entries(batch.gates)) {
        const data = await g.data();
        g.dispose();
        const acc = gateSums.get(name) ?? new Float64Array(data.length);
        for (let e = 0; e < data.length; e++) acc[e] += data[e];
        gateSums.set(name, acc);
      }
    }
  } finally {
    model.train(wasTraining);
  }
  const result: Scores = { outputs };
  if (options.gates && gateSums.size > 0) {
    result.gateMeans = Object.fromEntries([...gateSums].map(([name, s]) => [name, Array.from(s, (v) => v / Math.max(rows.size, 1))]));
  }
  return result;
}
