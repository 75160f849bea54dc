/**
 * The optimizer the command trains with: one parameter group per role the model reports (shared, gates, one per
 * task tower) plus one for the weighting strategy's own parameters, each with the base LR unless `--group-lr`
 * overrides it (e.g. `--group-lr task:income=0.01`). Empty groups are left out.
 */
import type { Tensor } from '../tensor/tensor.js';
import { Adam, AdamW, SGD, Adagrad } from '../optim/index.js';
import type { OptimizerLike } from '../train/types.js';
import type { TaskModel } from '../models/task-model.js';
import { optimizerGroups } from '../train/optimizer-groups.js';
import { UsageError } from './args.js';

export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export function parseGroupLrs(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const lr = Number(v.slice(eq + 1));
    if (eq <= 0 || !(lr >= 0) || v.slice(eq + 1).trim() === '')
      throw new UsageError(`--group-lr must look like GROUP=LR (e.g. shared=0.001), got '${v}'`);
    out[v.slice(0, eq)] = lr;
  }
  return out;
}

export function buildOptimizer(
  name: OptimizerName,
  model: TaskModel,
  weightingParams: Tensor[],
  lr: number,
  groupLrs: Record<string, number>,
): OptimizerLike {
  let specs;
  try {
    specs = optimizerGroups(model, { lr, lrs: groupLrs, weightingParams });
  } catch (error) {
    throw new UsageError(`--group-lr: ${(error as Error).message.replace(/^optimizerGroups: /, '')}`);
  }
  switch (name) {
    case 'adam':
      return new Adam(specs, { lr });
    case 'adamw':
      return new AdamW(specs, { lr });
    case 'sgd':
      return new SGD(specs, { lr, momentum: 0.9 });
    case 'adagrad':
      return new Adagrad(specs, { lr });
    default:
      throw new UsageError(`--optimizer must be one of ${OPTIMIZERS.join(', ')}, got '${String(name)}'`);
  }
}
