/**
 * mtgrad's training layer: the Trainer (epochs, validation metrics over whole splits, early stopping, clipping,
 * NaN/Inf guard, gradient-conflict probe), task metrics, and checkpoints.
 */
export { Trainer, type TrainerOptions, type EvaluationResult, type StepContext, type StepResult } from './trainer.js';
export type { TensorBatch, OptimizerLike, LossStrategy, GradientRouting, TaskKind } from './types.js';
export type { TaskModel } from '../models/task-model.js';
export { optimizerGroups, type OptimizerGroup } from './optimizer-groups.js';
export type {
  TrainerEvent,
  StartEvent,
  StepEvent,
  EpochEvent,
  EndEvent,
  GradientProbeEvent,
  EpochRecord,
  TrainingHistory,
  StopReason,
} from './events.js';
export { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
export { NonFiniteLossError } from './non-finite.js';
export {
  computeTaskMetrics,
  higherIsBetter,
  METRICS_BY_KIND,
  type MetricName,
  type TaskMetrics,
  type MetricsByTask,
} from './task-metrics.js';
export { toTensorBatch } from './batch-tensors.js';
export { tableMetrics, labelledTasks } from './table-metrics.js';
export { resolveLabel, describeSource, type LabelSource } from '../infer/label-source.js';
export {
  saveCheckpoint,
  checkpointBytes,
  readCheckpoint,
  parseCheckpoint,
  restoreWeights,
  CheckpointError,
  type SaveCheckpointOptions,
  type Checkpoint,
  type CheckpointMeta,
  type ModelSpec,
} from './checkpoint.js';
