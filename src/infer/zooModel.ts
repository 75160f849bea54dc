/**
 * Adapts a model of the zoo (src/models: forward(FeatureBatch) → {task: [B]}, taskLosses(outputs, labels, masks),
 * paramGroups()) to the narrow interfaces scoring, checkpoints and the Trainer use: task names as strings, a loss
 * taking the whole batch, shared parameters for the gradient-conflict probe.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { OutputKind, ScoringModel } from './score.js';
import type { StatefulModel } from './checkpointFormat.js';

/** The part of src/models' MultiTaskModel this adapter relies on (structural, so no import of the zoo's classes). */
export interface ZooModel {
  readonly modelName: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly { name: string; type: OutputKind }[];
  training: boolean;
  forward(input: { cat?: Tensor; num?: Tensor }): Record<string, Tensor>;
  taskLosses(outputs: Record<string, Tensor>, labels: Record<string, Tensor>, masks?: Record<string, Tensor>): Record<string, Tensor>;
  regularization(outputs: Record<string, Tensor>, labels: Record<string, Tensor>, masks?: Record<string, Tensor>): Tensor | null;
  lastGates(): Record<string, Tensor>;
  paramGroups(): { shared: Tensor[]; tasks: Record<string, Tensor[]>; gates: Tensor[] };
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  eval(): unknown;
  stateDict(): Record<string, Tensor>;
  loadStateDict(state: Readonly<Record<string, Tensor>>, opts?: { strict?: boolean }): unknown;
  numParams(): number;
  dispose(): void;
}

interface BatchLike {
  labels: Record<string, Tensor>;
  masks: Record<string, Tensor>;
}

export class ZooModelAdapter implements ScoringModel, StatefulModel {
  readonly tasks: string[];

  constructor(readonly inner: ZooModel) {
    this.tasks = inner.tasks.map((t) => t.name);
  }

  get name(): string { return this.inner.modelName; }
  get training(): boolean { return this.inner.training; }

  forward(inputs: { cat?: Tensor; num?: Tensor }): Record<string, Tensor> {
    return this.inner.forward(inputs);
  }

  loss(outputs: Record<string, Tensor>, batch: BatchLike): Record<string, Tensor> {
    return this.inner.taskLosses(outputs, batch.labels, batch.masks);
  }

  regularization(outputs: Record<string, Tensor>, batch: BatchLike): Tensor | null {
    return this.inner.regularization(outputs, batch.labels, batch.masks);
  }

  taskKinds(): Record<string, OutputKind> {
    return Object.fromEntries(this.inner.tasks.map((t) => [t.name, t.type]));
  }

  lastGates(): Record<string, Tensor> { return this.inner.lastGates(); }
  sharedParameters(): Tensor[] { return this.inner.paramGroups().shared; }
  parameters(): Tensor[] { return this.inner.parameters(); }
  train(mode = true): unknown { return this.inner.train(mode); }
  eval(): unknown { return this.inner.eval(); }
  stateDict(): Record<string, Tensor> { return this.inner.stateDict(); }
  loadStateDict(state: Readonly<Record<string, Tensor>>, opts?: { strict?: boolean }): unknown { return this.inner.loadStateDict(state, opts); }
}
