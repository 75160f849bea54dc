/**
 * What the Trainer works with besides the model (which is a TaskModel, src/models/task-model.ts): a batch on the
 * backend, the optimizer, the loss-combination strategy and gradient routing, each stated structurally so that
 * the Trainer depends on their shape, not on any one implementation.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { ModelInput } from '../models/inputs.js';

/** Re-exported from the models (the one name for a task's kind), for code that imports it from here. */
export type { TaskKind } from '../models/tasks.js';

/** A batch moved onto the current backend: the model's input, and labels and masks per supervised task. */
export interface TensorBatch {
  size: number;
  /** Built for the model's inputSpec (dense tensor, feature batch or user–item ids). */
  input: ModelInput;
  /** float32 [B] per supervised task (read from the table label the task maps to). */
  labels: Record<string, Tensor>;
  /** float32 [B] per supervised task: 1 where the task's label is defined. */
  masks: Record<string, Tensor>;
}

/** What the Trainer needs of an optimizer (the classes in src/optim fit it). */
export interface OptimizerLike {
  readonly paramGroups: ReadonlyArray<{ lr: number; params: Tensor[]; name?: string }>;
  step(): void;
  zeroGrad(): void;
  /**
   * Advances the step count of every parameter's state by n without updating (src/optim's optimizers have it):
   * the Trainer's compiled update calls it after each replay. Without it the update runs eagerly.
   */
  advanceSteps?(n: number): void;
}

/**
 * How task losses become one scalar to differentiate: structurally the loss-weighting interface of src/mtl
 * (fixed, uncertainty, DWA, GradNorm, PCGrad, MGDA all implement it), restated here so that the Trainer depends on
 * the shape of a strategy, not on any one of them. Gradient-surgery strategies return a surrogate whose backward
 * produces their projected gradients.
 */
export interface LossStrategy {
  readonly name: string;
  combine(
    taskLosses: Readonly<Record<string, Tensor>>,
    context?: { step?: number; epoch?: number; sharedParams?: readonly Tensor[] },
  ): Tensor;
  /** Parameters the strategy learns itself (uncertainty weighting's log-variances): optimised with the model. */
  parameters(): Tensor[];
  /** Host-solved strategies (MGDA, CAGrad, Nash-MTL…): awaited after backward, before clipping and the step. */
  finishBackward?(): Promise<void>;
  /** Per-task weights of the latest step (for diagnostics); null when the method has none. */
  appliedWeights?(): Promise<number[] | null>;
}

/**
 * Gradient routing (src/mtl's GradientRouter fits): accumulates into .grad each task's gradient on only the
 * parameters that task may reach. Used instead of a weighting strategy's single backward.
 */
export interface GradientRouting {
  backward(taskLosses: Readonly<Record<string, Tensor>>): void;
}
