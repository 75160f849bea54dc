/** `--weighting`: how task losses combine, as src/mtl's strategies (sum = plain sum, no strategy object). */
import { createWeighting, WEIGHTING_KINDS } from '../mtl/factory.js';
import type { LossStrategy, TaskKind } from '../train/types.js';
import { UsageError } from './args.js';

/** The CLI's names: src/mtl's kinds, with `sum` for `fixed` at weight 1 and without `pleDecay` (a PLE-only schedule). */
export type WeightingName = 'sum' | Exclude<(typeof WEIGHTING_KINDS)[number], 'fixed' | 'pleDecay'>;
export const WEIGHTINGS: readonly WeightingName[] = [
  'sum',
  ...WEIGHTING_KINDS.filter((k): k is Exclude<typeof k, 'fixed' | 'pleDecay'> => k !== 'fixed' && k !== 'pleDecay'),
];

export function buildWeighting(name: string, kinds: Record<string, TaskKind>, seed: number): LossStrategy | undefined {
  const tasks = Object.keys(kinds);
  switch (name) {
    case 'sum':
      return undefined;
    case 'uncertainty':
      return createWeighting({
        kind: 'uncertainty',
        tasks: Object.fromEntries(tasks.map((t) => [t, kinds[t] === 'binary' ? 'classification' : 'regression'])),
      });
    case 'dwa':
      return createWeighting({ kind: 'dwa', tasks });
    case 'gradnorm':
      return createWeighting({ kind: 'gradnorm', tasks });
    case 'pcgrad':
      return createWeighting({ kind: 'pcgrad', tasks, seed });
    case 'mgda':
      return createWeighting({ kind: 'mgda', tasks });
    case 'gradvac':
    case 'rlw':
      return createWeighting({ kind: name, tasks, seed });
    case 'cagrad':
    case 'nashmtl':
    case 'imtl':
    case 'alignedmtl':
    case 'dbmtl':
    case 'famo':
    case 'graddrop':
      return createWeighting({ kind: name, tasks });
    default:
      throw new UsageError(`--weighting must be one of ${WEIGHTINGS.join(', ')}, got '${name}'`);
  }
}
