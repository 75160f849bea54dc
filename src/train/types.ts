/**
 * The small interfaces the Trainer works against. They are deliberately narrower than the model zoo's classes, so
 * that anything with a forward and a per-task loss can be trained (and tested) without depending on the zoo.
 */
import type { Tensor } from '../tensor/tensor.js';

/** A batch moved onto the current backend: features for the model, labels and task masks for the loss. */
export interface TensorBatch {
  size: number;
  /** int32 [B, nCat] and float32 [B, nNum]; either may be absent when the data has no such columns. */
  inputs: { cat?: Tensor; num?: Tensor };
  /** float32 [B] per task. */
  labels: Record<string, Tensor>;
  /** float32 [B] per task: 1 where the task's label is defined. */
  masks: Record<string, Tensor>;
}

/** How a task's output is read: a binary probability (sigmoid of a logit) or a real value (regression). */
export type TaskKind = 'binary' | 'regression';

export interface TrainableModel {
  /** Task names, in output order. */
  readonly tasks: readonly string[];
  /** Task → logits [B] (or [B, 1]); for regression tasks the prediction itself. */
  forward(inputs: TensorBatch['inputs']): Record<string, Tensor>;
  /** Task → scalar loss for this batch (masks applied). */
  loss(outputs: Record<string, Tensor>, batch: TensorBatch): Record<string, Tensor>;
  /** The model's own extra loss term (AITM's calibrator, RnR's L2…), added to the combined loss; null for none. */
  regularization?(outputs: Record<string, Tensor>, batch: TensorBatch): Tensor | null;
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  eval(): unknown;
  /** Task kinds; every task is binary when absent. */
  taskKinds?(): Record<string, TaskKind>;
  /** Gate weights of the last forward, per gate (usually per task): [B, nExperts] each. */
  lastGates?(): Record<string, Tensor> | null;
  /** Parameters shared by several tasks (where task gradients can conflict). */
  sharedParameters?(): Tensor[];
  stateDict?(): Record<string, Tensor>;
  loadStateDict?(state: Readonly<Record<string, Tensor>>, opts?: { strict?: boolean }): unknown;
}

/** What the Trainer needs of an optimizer (the classes in src/optim fit it). */
export interface OptimizerLike {
  readonly paramGroups: ReadonlyArray<{ lr: number; params: Tensor[]; name?: string }>;
  step(): void;
  zeroGrad(): void;
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
