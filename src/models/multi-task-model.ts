/**
 * The base class of every model of the zoo: a Module built from a validated JSON config that implements the
 * TaskModel contract (task-model.ts) — forward(input) → { [task]: [B] }, its own per-task losses and
 * regularization, parameter groups — plus conveniences:
 *
 *  - predict(input): the outputs in no-grad and eval mode, as probabilities (σ of the logits) or values.
 *  - loss(outputs, labels, masks?) = Σ_k weight_k·L_k + regularization, the paper's objective (the same sum the
 *    Trainer differentiates with its default weighting).
 *  - lastGates(): per task [B, experts] gate weights of the last forward (MoE models), attention maps (MRAN), {}
 *    otherwise. They are detached copies owned by the model, valid until the next forward.
 *  - checkParamGroups(): that paramGroups() lists every parameter exactly once.
 */
import type { Storage } from '../backends/kernels.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { mul, sigmoid } from '../ops/elementwise.js';
import { Module } from '../nn/module.js';
import type { TensorPlacement } from '../nn/parameter.js';
import { isSupervised, taskLoss, type TaskSpec } from './tasks.js';
import type { InputSpec, ModelInput } from './inputs.js';
import { compileByDefault } from '../compile/default.js';
import type { CompileStats } from '../compile/index.js';
import { CompiledPredict, flattenInput, type PredictParts } from './compiled-predict.js';
import {
  sumObjective,
  weightTaskLosses,
  type ParamGroups,
  type PredictOptions,
  type TaskModel,
  type TaskTensors,
} from './task-model.js';

export type { ParamGroups, PredictOptions, TaskTensors } from './task-model.js';

/** Where a model creates its tensors (not part of the JSON config: a runtime choice). */
export type ModelPlacement = TensorPlacement;

export abstract class MultiTaskModel<Input extends ModelInput = ModelInput> extends Module implements TaskModel<Input> {
  /** The registry name ('mmoe', 'ple', ...). */
  abstract readonly modelName: string;
  /** The config with every default filled in (JSON-able: saved next to checkpoints). */
  abstract readonly config: Readonly<Record<string, unknown>>;
  /** The output heads, in order. */
  abstract readonly tasks: readonly TaskSpec[];
  /** The input forward takes. */
  abstract readonly inputSpec: InputSpec;

  private recordedGates: TaskTensors = {};

  abstract forward(input: Input): TaskTensors;

  /** Parameters by role; every parameter of the model appears exactly once. */
  abstract paramGroups(): ParamGroups;

  get taskNames(): string[] {
    return this.tasks.map((t) => t.name);
  }

  /**
   * Probabilities (binary tasks) or values (regression), without recording and in eval mode. By default through
   * mt.compile (captured once per input shape, then replayed: see compiled-predict.ts), with the same numbers as
   * the eager forward; `{ compile: false }` (or MTGRAD_COMPILE=0) runs it eagerly.
   */
  predict(input: Input, opts: PredictOptions = {}): TaskTensors {
    const wasTraining = this.training;
    this.eval();
    try {
      const flat = (opts.compile ?? compileByDefault()) ? flattenInput(input) : null;
      if (!flat) return this.predictParts(input).values;
      this.compiledPredict ??= new CompiledPredict(
        `${this.modelName}.predict`,
        (i) => this.predictParts(i as Input),
        () => this.stateStorages(),
      );
      const { values, gates } = this.compiledPredict.run(flat);
      this.adoptGates(gates);
      return values;
    } finally {
      this.train(wasTraining);
    }
  }

  /** What the compiled predict has done (one entry per input layout used), for tests and diagnostics. */
  predictStats(): CompileStats[] {
    return this.compiledPredict?.stats() ?? [];
  }

  private compiledPredict: CompiledPredict | null = null;

  private predictParts(input: Input): PredictParts {
    // tidy: the forward's intermediates go now (only the returned tensors live on), inside a caller's tidy or not.
    return tidy(() =>
      noGrad(() => {
        const out = this.forward(input);
        const values: TaskTensors = {};
        for (const t of this.tasks) values[t.name] = t.kind === 'binary' ? sigmoid(out[t.name]) : out[t.name];
        return { values, gates: { ...this.recordedGates } };
      }),
    );
  }

  private stateStorages(): Storage[] {
    return [...this.parameters(), ...this.buffers()].map((t) => t.storage);
  }

  /** After a replay the gate maps are new tensors (eager and traced calls return the recorded ones themselves). */
  private adoptGates(gates: TaskTensors): void {
    const old = this.recordedGates;
    const next: TaskTensors = {};
    for (const [k, g] of Object.entries(gates)) next[k] = g === old[k] ? g : keep(g);
    for (const [k, g] of Object.entries(old)) if (next[k] !== g) g.dispose();
    this.recordedGates = next;
  }

  /** Also frees what the compiled predict holds (its plans' arenas and constants). */
  override dispose(): void {
    this.compiledPredict?.dispose();
    this.compiledPredict = null;
    super.dispose();
  }

  /** One unweighted scalar loss per supervised task (masked means where a mask is given). */
  taskLosses(outputs: TaskTensors, labels: TaskTensors, masks: TaskTensors = {}): TaskTensors {
    const out: TaskTensors = {};
    for (const t of this.tasks) {
      if (!isSupervised(t)) continue;
      const o = this.outputOf(outputs, t.name);
      out[t.name] = taskLoss(t, o, this.labelOf(labels, t.name, o), masks[t.name]);
    }
    return out;
  }

  /** The model's extra loss term, if its paper has one. */
  regularization(_outputs: TaskTensors, _labels: TaskTensors, _masks: TaskTensors = {}): Tensor | null {
    return null;
  }

  /** The paper's objective: Σ_k weight_k · L_k (+ the model's regularization). */
  loss(outputs: TaskTensors, labels: TaskTensors, masks: TaskTensors = {}): Tensor {
    const weighted = weightTaskLosses(this.tasks, this.taskLosses(outputs, labels, masks));
    return sumObjective(this.tasks, weighted, this.regularization(outputs, labels, masks), `${this.modelName}.loss`);
  }

  /** Gate weights / attention maps of the last forward (detached copies, valid until the next forward). */
  lastGates(): TaskTensors {
    return { ...this.recordedGates };
  }

  /** Replaces the recorded gates: detached copies kept out of every tidy, the previous ones disposed. */
  protected recordGates(maps: TaskTensors): void {
    const copies: TaskTensors = {};
    noGrad(() => {
      for (const [k, v] of Object.entries(maps)) copies[k] = keep(mul(stopGradient(v), 1));
    });
    for (const v of Object.values(this.recordedGates)) v.dispose();
    this.recordedGates = copies;
  }

  protected outputOf(outputs: TaskTensors, name: string): Tensor {
    const o = outputs[name];
    if (!o)
      throw new Error(
        `${this.modelName}.loss: outputs have no '${name}' (got ${Object.keys(outputs).join(', ') || 'none'})`,
      );
    return o;
  }

  protected labelOf(labels: TaskTensors, name: string, like?: Tensor): Tensor {
    const l = labels[name];
    if (!l)
      throw new Error(
        `${this.modelName}.loss: labels have no '${name}' (got ${Object.keys(labels).join(', ') || 'none'})`,
      );
    if (like && (l.ndim !== like.ndim || l.shape.some((d, i) => d !== like.shape[i]))) {
      throw new Error(
        `${this.modelName}.loss: label '${name}' has shape ${fmt(l.shape)}, the output ${fmt(like.shape)}`,
      );
    }
    return l;
  }

  /** Checks that paramGroups covers every parameter exactly once (used by tests; cheap). */
  checkParamGroups(): void {
    const g = this.paramGroups();
    const listed = [...g.shared, ...Object.values(g.tasks).flat(), ...g.gates];
    const names = new Map(this.namedParameters().map(([n, t]) => [t, n]));
    const seen = new Set<Tensor>();
    for (const t of listed) {
      if (seen.has(t))
        throw new Error(`${this.modelName}.paramGroups: '${names.get(t) ?? t.toString()}' is listed twice`);
      seen.add(t);
    }
    const missing = [...names].filter(([t]) => !seen.has(t)).map(([, n]) => n);
    if (missing.length) throw new Error(`${this.modelName}.paramGroups: parameters in no group: ${missing.join(', ')}`);
    if (seen.size !== names.size)
      throw new Error(`${this.modelName}.paramGroups: lists tensors that are not parameters of the model`);
  }
}
