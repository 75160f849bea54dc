/**
 * TaskModel: the one contract for "a model" in mtgrad. Every model of the zoo implements it (through the
 * MultiTaskModel base class), and the Trainer, scoring (mtgrad/infer), checkpoints, the command line and the
 * benchmarks take it as it is — no adapter, no casts. A model of your own can implement it directly.
 *
 *  - tasks: { name, kind, weight, supervised? } in output order. `weight` multiplies the task's loss in the
 *    objective; a task with `supervised: false` (ESMM's CVR) has an output but no loss of its own, so it needs no
 *    label.
 *  - inputSpec: which input forward takes (dense / features / userItem, see inputs.ts); the Trainer and scoring
 *    build it from encoded rows with inputFromColumns, so a table that does not fit is one clear error.
 *  - forward(input) → { [task]: [B] } logits (binary) or values (regression).
 *  - taskLosses(outputs, labels, masks) → one unweighted scalar per supervised task.
 *  - regularization(outputs, labels, masks) → the model's own extra term (AITM's calibrator, RnR's ℓ2, MRAN's
 *    relation penalty) or null.
 *    The paper's objective is Σ_k weight_k · L_k + regularization (taskObjective below; the Trainer passes the
 *    weighted losses through its weighting strategy, which for a plain sum gives exactly that).
 *  - paramGroups() → { shared, tasks: { [task]: [...] }, gates }: every parameter once (per-task learning rates,
 *    gradient routing, the conflict probe on `shared`). A group may be empty (ESMM's ctcvr): optimizers skip it.
 *  - lastGates() → gate weights / attention maps of the last forward ({} when the model has none).
 *  - the Module side: parameters, train/eval, stateDict/loadStateDict (checkpoints), numParams, dispose.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, mul } from '../ops/elementwise.js';
import type { InputSpec, ModelInput } from './inputs.js';
import { isSupervised, type TaskSpec } from './tasks.js';

export type TaskTensors = Record<string, Tensor>;

export interface ParamGroups {
  shared: Tensor[];
  tasks: Record<string, Tensor[]>;
  gates: Tensor[];
}

export interface PredictOptions {
  /** Capture and replay the forward with mt.compile (default: on, unless MTGRAD_COMPILE=0 / setCompileDefault(false)). */
  compile?: boolean;
}

export interface TaskModel<Input = ModelInput> {
  /** The registry name ('mmoe', 'ple', ...): createModel(modelName, config) rebuilds the model. */
  readonly modelName: string;
  /** The config with every default filled in (JSON-able: saved in checkpoints). */
  readonly config: Readonly<Record<string, unknown>>;
  readonly tasks: readonly TaskSpec[];
  readonly inputSpec: InputSpec;
  readonly training: boolean;
  forward(input: Input): TaskTensors;
  /**
   * Optional: the outputs as probabilities (binary) or values, recording off, eval mode (MultiTaskModel's, compiled
   * by default). Scoring uses it when present, else forward + σ.
   */
  predict?(input: Input, opts?: PredictOptions): TaskTensors;
  taskLosses(outputs: TaskTensors, labels: TaskTensors, masks?: TaskTensors): TaskTensors;
  regularization(outputs: TaskTensors, labels: TaskTensors, masks?: TaskTensors): Tensor | null;
  paramGroups(): ParamGroups;
  lastGates(): TaskTensors;
  parameters(): Tensor[];
  train(mode?: boolean): unknown;
  eval(): unknown;
  stateDict(): Record<string, Tensor>;
  loadStateDict(state: Readonly<Record<string, Tensor>>, opts?: { strict?: boolean }): unknown;
  numParams(): number;
  dispose(): void;
}

/** The names of the tasks that have a loss of their own, in task order. */
export function supervisedTasks(tasks: readonly TaskSpec[]): string[] {
  return tasks.filter(isSupervised).map((t) => t.name);
}

/**
 * Each task loss times its task's weight (a weight of 1 passes the loss through unchanged). What the Trainer gives
 * its weighting strategy, so `tasks[].weight` counts under every strategy.
 */
export function weightTaskLosses(tasks: readonly TaskSpec[], losses: Readonly<TaskTensors>): TaskTensors {
  const out: TaskTensors = {};
  for (const t of tasks) {
    const l = losses[t.name];
    if (l) out[t.name] = t.weight === 1 ? l : mul(l, t.weight);
  }
  return out;
}

/** Σ of the (already weighted) task losses in task order, plus the regularization: the paper's objective. */
export function sumObjective(
  tasks: readonly TaskSpec[],
  weighted: Readonly<TaskTensors>,
  regularization: Tensor | null,
  where: string,
): Tensor {
  let total: Tensor | null = null;
  for (const t of tasks) {
    const l = weighted[t.name];
    if (l) total = total ? add(total, l) : l;
  }
  if (regularization) total = total ? add(total, regularization) : regularization;
  if (!total) throw new Error(`${where}: no task loss to sum (tasks: ${tasks.map((t) => t.name).join(', ')})`);
  return total;
}
