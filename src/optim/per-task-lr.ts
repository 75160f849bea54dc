/**
 * Per-task learning rates, the recipe the MTL literature recommends when tasks learn at different speeds: one
 * optimizer, one parameter group for the shared part (embeddings, experts, gates) and one per task tower, each
 * with its own LR (and any other hyper-parameter). Schedulers then scale every group from its own base LR.
 *
 *   const groups = perTaskParamGroups({
 *     shared: { params: [...model.encoder.parameters(), ...model.experts.parameters()], lr: 1e-3 },
 *     tasks: { ctr: { params: model.towers.get('ctr').parameters(), lr: 1e-2 },
 *              cvr: { params: model.towers.get('cvr').parameters(), lr: 3e-3 } },
 *   });
 *   const opt = new Adam(groups);            // groups are named 'shared', 'task:ctr', 'task:cvr'
 *   new CosineAnnealingLR(opt, epochs);      // each group anneals from its own LR
 *
 * Any parameter left out of every group is not trained; a parameter listed twice is an error naming it.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { BaseHyper, GroupSpec } from './optimizer.js';

export type GroupOptions<H extends BaseHyper> = Partial<H> & { params: Iterable<Tensor> };

export function perTaskParamGroups<H extends BaseHyper = BaseHyper>(spec: {
  shared?: GroupOptions<H>;
  tasks: Readonly<Record<string, GroupOptions<H>>>;
}): GroupSpec<H>[] {
  const groups: GroupSpec<H>[] = [];
  if (spec.shared) groups.push({ ...spec.shared, name: 'shared' });
  for (const [task, g] of Object.entries(spec.tasks)) groups.push({ ...g, name: `task:${task}` });
  if (groups.length === 0) throw new Error('perTaskParamGroups: no groups (give shared and/or tasks)');
  return groups;
}
