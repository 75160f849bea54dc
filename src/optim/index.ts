/**
 * mtgrad.optim — optimizers over parameter groups (SGD, Adam, AdamW, Adagrad) running the backends' fused
 * in-place update kernels, LR schedulers acting per group, gradient clipping and the per-task-LR recipe.
 */
export {
  Optimizer,
  type BaseHyper,
  type GroupSpec,
  type ParamGroup,
  type ParamsArg,
  type ParamState,
  type OptimizerStateDict,
  type HyperValue,
} from './optimizer.js';
export { SGD, type SGDHyper } from './sgd.js';
export { Adam, AdamW, type AdamHyper } from './adam.js';
export { Adagrad, type AdagradHyper } from './adagrad.js';
export {
  LRScheduler,
  type Schedule,
  StepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  LambdaLR,
  type SchedulerStateDict,
} from './lr-scheduler.js';
export { clipGradNorm, clipGradValue } from './clip.js';
export { perTaskParamGroups, type GroupOptions } from './per-task-lr.js';
