/** Building a weighting strategy from a plain config (CLI flags, experiment files). */
import type { LossWeighting } from './weighting.js';
import { FixedWeighting } from './fixed.js';
import { UncertaintyWeighting, type TaskKind } from './uncertainty.js';
import { DynamicWeightAverage } from './dwa.js';
import { GradNorm } from './gradnorm.js';
import { PCGrad } from './pcgrad.js';
import { MGDA, type GradientNormalization } from './mgda.js';
import { PLEDecayWeighting } from './ple-decay.js';
import { CAGrad } from './cagrad.js';
import { NashMTL } from './nash-mtl.js';
import { IMTL, type IMTLVariant } from './imtl.js';
import { GradVac } from './gradvac.js';
import { AlignedMTL } from './aligned-mtl.js';
import { RandomLossWeighting } from './rlw.js';
import { DBMTL } from './db-mtl.js';
import { FAMO } from './famo.js';
import { GradDrop } from './graddrop.js';
import type { TensorPlacement } from '../nn/index.js';

export type WeightingConfig =
  | { kind: 'fixed'; weights: Record<string, number> }
  | { kind: 'uncertainty'; tasks: Record<string, TaskKind> }
  | { kind: 'dwa'; tasks: string[]; temperature?: number }
  | { kind: 'gradnorm'; tasks: string[]; alpha?: number }
  | { kind: 'pcgrad'; tasks: string[]; seed?: number; reduction?: 'sum' | 'mean' }
  | { kind: 'mgda'; tasks: string[]; normalization?: GradientNormalization }
  | { kind: 'pleDecay'; initial: Record<string, number>; decay?: Record<string, number> }
  | { kind: 'cagrad'; tasks: string[]; c?: number; rescale?: 0 | 1 | 2 }
  | { kind: 'nashmtl'; tasks: string[]; gramNormalization?: 'none' | 'frobenius' }
  | { kind: 'imtl'; tasks: string[]; variant?: IMTLVariant; placement?: TensorPlacement }
  | { kind: 'gradvac'; tasks: string[]; beta?: number; seed?: number }
  | { kind: 'alignedmtl'; tasks: string[]; preferences?: Record<string, number> }
  | { kind: 'rlw'; tasks: string[]; seed?: number }
  | { kind: 'dbmtl'; tasks: string[]; beta?: number; sigma?: number }
  | { kind: 'famo'; tasks: string[]; lr?: number; gamma?: number; placement?: TensorPlacement }
  | { kind: 'graddrop'; tasks: string[]; leak?: number };

/** Every kind createWeighting accepts. */
export const WEIGHTING_KINDS = [
  'fixed',
  'uncertainty',
  'dwa',
  'gradnorm',
  'pcgrad',
  'mgda',
  'pleDecay',
  'cagrad',
  'nashmtl',
  'imtl',
  'gradvac',
  'alignedmtl',
  'rlw',
  'dbmtl',
  'famo',
  'graddrop',
] as const;

export function createWeighting(cfg: WeightingConfig): LossWeighting {
  switch (cfg.kind) {
    case 'fixed':
      return new FixedWeighting(cfg.weights);
    case 'uncertainty':
      return new UncertaintyWeighting(cfg.tasks);
    case 'dwa':
      return new DynamicWeightAverage(cfg.tasks, cfg.temperature);
    case 'gradnorm':
      return new GradNorm(cfg.tasks, cfg.alpha);
    case 'pcgrad':
      return new PCGrad(cfg.tasks, { seed: cfg.seed, reduction: cfg.reduction });
    case 'mgda':
      return new MGDA(cfg.tasks, cfg.normalization);
    case 'pleDecay':
      return new PLEDecayWeighting(cfg.initial, cfg.decay);
    case 'cagrad':
      return new CAGrad(cfg.tasks, { c: cfg.c, rescale: cfg.rescale });
    case 'nashmtl':
      return new NashMTL(cfg.tasks, { gramNormalization: cfg.gramNormalization });
    case 'imtl':
      return new IMTL(cfg.tasks, cfg.variant, cfg.placement);
    case 'gradvac':
      return new GradVac(cfg.tasks, { beta: cfg.beta, seed: cfg.seed });
    case 'alignedmtl':
      return new AlignedMTL(cfg.tasks, { preferences: cfg.preferences });
    case 'rlw':
      return new RandomLossWeighting(cfg.tasks, { seed: cfg.seed });
    case 'dbmtl':
      return new DBMTL(cfg.tasks, { beta: cfg.beta, sigma: cfg.sigma });
    case 'famo':
      return new FAMO(cfg.tasks, { lr: cfg.lr, gamma: cfg.gamma, ...cfg.placement });
    case 'graddrop':
      return new GradDrop(cfg.tasks, { leak: cfg.leak });
    default:
      throw new Error(
        `createWeighting: unknown kind '${String((cfg as { kind: unknown }).kind)}' (expected ${WEIGHTING_KINDS.join(', ')})`,
      );
  }
}
