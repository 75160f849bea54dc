/**
 * Scoring encoded rows in batches: forward with recording off, binary outputs through a sigmoid, everything read
 * back into one Float32Array per task. Shared by training-time evaluation and by the inference entry, so both see
 * exactly the same numbers. Optionally averages the gate weights over all rows (expert utilisation).
 */
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { sigmoid } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { inputFromColumns, type EncodedColumns } from '../models/inputs.js';
import type { TaskModel } from '../models/task-model.js';
import type { TaskKind } from '../models/tasks.js';

/** Encoded rows (the loaders' typed arrays); the model's input is built from them for its inputSpec. */
export type EncodedRows = EncodedColumns;

export interface ScoreOptions {
  batchSize?: number;
  /** Also return the mean gate weight per expert, per gate, over all rows. */
  gates?: boolean;
  /**
   * Score through the model's predict with mt.compile (default: on, unless MTGRAD_COMPILE=0 or
   * setCompileDefault(false)); false runs every batch eagerly. The numbers are the same either way.
   */
  compile?: boolean;
}

export interface Scores {
  /** Task → one value per row: a probability for binary tasks, the prediction for regression tasks. */
  outputs: Record<string, Float32Array>;
  /** Gate → mean weight per expert (only when asked for and the model has [B, experts] gates). */
  gateMeans?: Record<string, number[]>;
}

/** Task → kind, in output order. */
export function taskKindsOf(model: Pick<TaskModel, 'tasks'>): Record<string, TaskKind> {
  return Object.fromEntries(model.tasks.map((t) => [t.name, t.kind]));
}

export async function scoreRows(model: TaskModel, rows: EncodedRows, options: ScoreOptions = {}): Promise<Scores> {
  const batchSize = options.batchSize ?? 4096;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`scoreRows: batchSize must be a positive integer, got ${batchSize}`);
  const kinds = taskKindsOf(model);
  const tasks = model.tasks.map((t) => t.name);
  const outputs: Record<string, Float32Array> = Object.fromEntries(tasks.map((t) => [t, new Float32Array(rows.size)]));
  const gateSums = new Map<string, Float64Array>();
  const wasTraining = model.training;
  model.eval();
  try {
    for (let start = 0; start < rows.size; start += batchSize) {
      const n = Math.min(batchSize, rows.size - start);
      const batch = tidy(() =>
        noGrad(() => {
          // Borrowed: the rows are read in place, and this tidy disposes the input before scoreRows returns.
          const input = inputFromColumns(model.modelName, model.inputSpec, rows, start, n, true);
          // The model's predict (compiled by default) is forward + σ on binary tasks, as below.
          const predicted = model.predict ? model.predict(input, { compile: options.compile }) : null;
          const out = predicted ?? model.forward(input);
          const values: Record<string, Tensor> = {};
          for (const task of tasks) {
            const o = out[task];
            if (!o) throw new Error(`model produced no output for task '${task}'`);
            if (o.size !== n) throw new Error(`output of task '${task}' has ${o.size} values for a batch of ${n} rows`);
            values[task] = predicted || kinds[task] !== 'binary' ? o : sigmoid(o);
          }
          const gates: Record<string, Tensor> = {};
          // Expert gates are [B, experts]; other maps a model may record (MRAN's attention, [B, n, n]) are not utilisation.
          if (options.gates)
            for (const [name, g] of Object.entries(model.lastGates())) if (g.ndim === 2) gates[name] = sum(g, 0);
          return { values, gates };
        }),
      );
      for (const task of tasks) {
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
    result.gateMeans = Object.fromEntries(
      [...gateSums].map(([name, s]) => [name, Array.from(s, (v) => v / Math.max(rows.size, 1))]),
    );
  }
  return result;
}
