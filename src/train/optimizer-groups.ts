/**
 * Optimizer parameter groups from a model's roles: one group for the shared parameters, one for the gates, one per
 * task ('task:<name>'), and optionally one for a weighting strategy's own parameters — each with the base LR unless
 * `lrs` overrides it by group name. Empty groups are left out (ESMM's ctcvr output owns no parameters; an
 * optimizer rejects a group without any), and an override naming no group is an error listing the groups there are.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { TaskModel } from '../models/task-model.js';

export interface OptimizerGroup {
  name: string;
  params: Tensor[];
  lr: number;
}

export function optimizerGroups(
  model: Pick<TaskModel, 'paramGroups' | 'modelName'>,
  options: { lr: number; lrs?: Readonly<Record<string, number>>; weightingParams?: Tensor[] },
): OptimizerGroup[] {
  const roles = model.paramGroups();
  const groups = [
    { name: 'shared', params: roles.shared },
    { name: 'gates', params: roles.gates },
    ...Object.entries(roles.tasks).map(([task, params]) => ({ name: `task:${task}`, params })),
    { name: 'weighting', params: options.weightingParams ?? [] },
  ].filter((g) => g.params.length > 0);
  const known = new Set(groups.map((g) => g.name));
  for (const group of Object.keys(options.lrs ?? {})) {
    if (!known.has(group))
      throw new Error(
        `optimizerGroups: no parameter group '${group}' in '${model.modelName}' (it has: ${[...known].join(', ')})`,
      );
  }
  return groups.map((g) => ({ name: g.name, params: g.params, lr: options.lrs?.[g.name] ?? options.lr }));
}
