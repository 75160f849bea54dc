/** Building a weighting strategy from a plain config (CLI flags, experiment files). */
import type { LossWeighting } from './weighting.js';
import { FixedWeighting } from './fixed.js';
import { UncertaintyWeighting, type TaskKind } from './uncertainty.js';
import { DynamicWeightAverage } from './dwa.js';
import { GradNorm } from './gradnorm.js';
import { PCGrad } from './pcgrad.js';
import { MGDA, type GradientNormalization } from './mgda.js';
import { PLEDecayWeighting } from './ple-decay.js';

export type WeightingConfig =
  | { kind: 'fixed'; weights: Record<string, number> }
  | { kind: 'uncertainty'; tasks: Record<string, TaskKind> }
  | { kind: 'dwa'; tasks: string[]; temperature?: number }
  | { kind: 'gradnorm'; tasks: string[]; alpha?: number }
  | { kind: 'pcgrad'; tasks: string[]; seed?: number; reduction?: 'sum' | 'mean' }
  | { kind: 'mgda'; tasks: string[]; normalization?: GradientNormalization }
  | { kind: 'pleDecay'; initial: Record<string, number>; decay?: Record<string, number> };

export function createWeighting(cfg: WeightingConfig): LossWeighting {
  switch (cfg.kind) {
    case 'fixed': return new FixedWeighting(cfg.weights);
    case 'uncertainty': return new UncertaintyWeighting(cfg.tasks);
    case 'dwa': return new DynamicWeightAverage(cfg.tasks, cfg.temperature);
    case 'gradnorm': return new GradNorm(cfg.tasks, cfg.alpha);
    case 'pcgrad': return new PCGrad(cfg.tasks, { seed: cfg.seed, reduction: cfg.reduction });
    case 'mgda': return new MGDA(cfg.tasks, cfg.normalization);
    case 'pleDecay': return new PLEDecayWeighting(cfg.initial, cfg.decay);
    default: throw new Error(`createWeighting: unknown kind '${String((cfg as { kind: unknown }).kind)}' (expected fixed, uncertainty, dwa, gradnorm, pcgrad, mgda or pleDecay)`);
  }
}
