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
export { createWeighting, WEIGHTING_KINDS, type WeightingConfig } from './factory.js';
export { HostSolvedWeighting } from './host-solved.js';
export { CAGrad, cagradDual, type CAGradOptions } from './cagrad.js';
export { NashMTL, nashBargaining, type NashMTLOptions } from './nash-mtl.js';
export { IMTL, imtlGradientWeights, type IMTLVariant } from './imtl.js';
export { GradVac } from './gradvac.js';
export { AlignedMTL, alignedCoefficients } from './aligned-mtl.js';
export { RandomLossWeighting } from './rlw.js';
export { DBMTL } from './db-mtl.js';
export { FAMO, type FAMOOptions } from './famo.js';
export { GradDrop, gradDropCombine } from './graddrop.js';
export { solveLinear, symmetricEigen, projectToSimplex } from './small-linalg.js';
export { taskGradients, flattenGradients, unflattenLike } from './task-gradients.js';
export { gradientConflict, type GradientConflict } from './gradient-conflict.js';
export { routeGradients, GradientRouter, type RouteRule, type ParamSource } from './routing.js';
export { feedPrediction } from './feed.js';
export { routeGradient, routeExperts, routeParameters, type RouteOptions } from './example-routing.js';
export { labelMask, maskedMean } from './masks.js';
