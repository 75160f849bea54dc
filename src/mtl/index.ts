/**
 * mtgrad.mtl — the multi-task toolkit: loss weighting strategies behind one interface (combine), per-task
 * gradients and conflict diagnostics, gradient routing, stopGradient feeding between tasks, task-space masks.
 */
export { type LossWeighting, type CombineContext, weightedSum } from './weighting.js';
export { FixedWeighting } from './fixed.js';
export { UncertaintyWeighting, type TaskKind } from './uncertainty.js';
export { DynamicWeightAverage } from './dwa.js';
export { GradNorm } from './gradnorm.js';
export { PCGrad, projectConflicting } from './pcgrad.js';
export { MGDA, type GradientNormalization } from './mgda.js';
export { minNormSolver, minNormOfTwo, type MinNormOptions } from './min-norm-solver.js';
export { PLEDecayWeighting } from './ple-decay.js';
export { createWeighting, type WeightingConfig } from './factory.js';
export { taskGradients, flattenGradients, unflattenLike } from './task-gradients.js';
export { gradientConflict, type GradientConflict } from './gradient-conflict.js';
export { routeGradients, GradientRouter, type RouteRule, type ParamSource } from './routing.js';
export { feedPrediction } from './feed.js';
export { labelMask, maskedMean } from './masks.js';
