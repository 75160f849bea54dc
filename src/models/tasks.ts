/**
 * Task declarations shared by the models: `tasks: [{ name, type?: 'binary' | 'regression', weight?: number }]` in
 * a model's JSON config (the key stays `type`, as in every saved checkpoint), read into TaskSpec objects.
 * A binary task's output is a logit (predict applies σ) and its loss is BCE on logits; a regression task's output
 * is the value itself and its loss is MSE. `weight` multiplies the task's loss in the objective (default 1): the
 * Trainer applies it, and so does MultiTaskModel.loss.
 */
import type { Tensor } from '../tensor/tensor.js';
import { bceWithLogits, mse } from '../ops/loss.js';
import { type ConfigReader, NAME_PATTERN, nestedReader } from './config.js';

/** How a task's output is read: a probability (σ of a logit) or a real value. The one name for it in mtgrad. */
export type TaskKind = 'binary' | 'regression';

export interface TaskSpec {
  name: string;
  kind: TaskKind;
  /** Multiplies the task's loss in the objective. */
  weight: number;
  /**
   * false for an output that has no loss of its own and so needs no label (ESMM's pCVR, learnt only through the
   * CTCVR loss). Absent means true.
   */
  supervised?: boolean;
}

/** Whether the task has a loss of its own (and so needs a label when training). */
export function isSupervised(task: TaskSpec): boolean {
  return task.supervised !== false;
}

/** The JSON form of tasks for a normalised config (`type` is the config key). */
export function taskConfig(tasks: readonly TaskSpec[]): { name: string; type: TaskKind; weight: number }[] {
  return tasks.map((t) => ({ name: t.name, type: t.kind, weight: t.weight }));
}

export function readTasks(r: ConfigReader, opts: { min?: number; kinds?: readonly TaskKind[] } = {}): TaskSpec[] {
  const min = opts.min ?? 1;
  const kinds = opts.kinds ?? ['binary', 'regression'];
  const v = r.raw('tasks');
  if (!Array.isArray(v) || v.length < min)
    r.fail('tasks', `an array of at least ${min} task objects { name, type?, weight? }`, v);
  const seen = new Set<string>();
  return v.map((item, i) => {
    const t: ConfigReader = nestedReader(r, `tasks[${i}]`, item);
    const name = t.raw('name');
    if (typeof name !== 'string' || !NAME_PATTERN.test(name))
      t.fail('name', 'a name of letters, digits and _ starting with a letter', name);
    if (seen.has(name)) t.fail('name', 'unique among the tasks', name);
    seen.add(name);
    const kind = t.oneOf('type', kinds, kinds[0]);
    const weight = t.number('weight', 1, { min: 0 });
    t.done();
    return { name, kind, weight };
  });
}

/** The task's loss on its output: BCE on logits (binary) or MSE (regression), masked where the label is undefined. */
export function taskLoss(task: Pick<TaskSpec, 'kind'>, output: Tensor, label: Tensor, mask?: Tensor): Tensor {
  const opts = mask ? { mask } : {};
  return task.kind === 'binary' ? bceWithLogits(output, label, opts) : mse(output, label, opts);
}
