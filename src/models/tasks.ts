/**
 * Task declarations shared by the models: `tasks: [{ name, type?: 'binary' | 'regression', weight?: number }]`.
 * A binary task's output is a logit (predict applies σ) and its loss is BCE on logits; a regression task's output
 * is the value itself and its loss is MSE. `weight` multiplies the task's loss in the model's total (default 1).
 */
import type { Tensor } from '../tensor/tensor.js';
import { bceWithLogits, mse } from '../ops/loss.js';
import { ConfigReader, NAME_PATTERN, nestedReader } from './config.js';

export type TaskType = 'binary' | 'regression';

export interface TaskSpec {
  name: string;
  type: TaskType;
  weight: number;
}

export function readTasks(r: ConfigReader, opts: { min?: number; types?: readonly TaskType[] } = {}): TaskSpec[] {
  const min = opts.min ?? 1;
  const types = opts.types ?? ['binary', 'regression'];
  const v = r.raw('tasks');
  if (!Array.isArray(v) || v.length < min) r.fail('tasks', `an array of at least ${min} task objects { name, type?, weight? }`, v);
  const seen = new Set<string>();
  return v.map((item, i) => {
    const t: ConfigReader = nestedReader(r, `tasks[${i}]`, item);
    const name = t.raw('name');
    if (typeof name !== 'string' || !NAME_PATTERN.test(name)) t.fail('name', 'a name of letters, digits and _ starting with a letter', name);
    if (seen.has(name)) t.fail('name', 'unique among the tasks', name);
    seen.add(name);
    const type = t.oneOf('type', types, types[0]);
    const weight = t.number('weight', 1, { min: 0 });
    t.done();
    return { name, type, weight };
  });
}

/** The task's loss on its output: BCE on logits (binary) or MSE (regression), masked where the label is undefined. */
export function taskLoss(task: TaskSpec, output: Tensor, label: Tensor, mask?: Tensor): Tensor {
  const opts = mask ? { mask } : {};
  return task.type === 'binary' ? bceWithLogits(output, label, opts) : mse(output, label, opts);
}
