/**
 * The Trainer: epochs of shuffled mini-batches, one tidy per step (so live tensors stay flat however long the run),
 * per-task validation metrics over the whole split after every epoch, early stopping on one task's metric (with
 * the best weights restored), gradient clipping, a NaN/Inf guard that stops before the optimizer applies a bad
 * step, and a sampled probe of task-gradient conflict on the shared parameters.
 *
 * It trains any TaskModel (every model of the zoo) on the model's own objective: `step` is one update —
 * forward → the model's task losses → × each task's `weight` → the weighting strategy's combination (a plain sum
 * by default) + the model's regularization → backward → probe → clip → optimizer.step — and `fit` runs epochs,
 * validation and early stopping around it. Tasks without a loss of their own (ESMM's cvr) need no label; the
 * `labels` option maps a task to the table label it reads, so one label can feed several tasks.
 *
 * Hooks for diagnostics: `onEvent` receives start / step / gradient-probe / epoch / end events (events.ts); the
 * probe's task gradients are those of the unweighted task losses on paramGroups().shared (cosines do not depend on
 * positive task weights, and a task of weight 0 still has a direction).
 *
 * Reproducibility: fit() seeds the engine's random stream (dropout) and derives each epoch's shuffle from the seed,
 * so the same seed, data, model initialisation and backend give the same metrics.
 */
import type { Tensor } from '../tensor/tensor.js';
import { dispose, keep, tidy } from '../tensor/scope.js';
import { manualSeed } from '../tensor/engine.js';
import { add } from '../ops/elementwise.js';
import { backward } from '../autograd/backward.js';
import { noGrad } from '../autograd/mode.js';
import { concat, reshape } from '../ops/shape.js';
import type { Batch, EncodedTable } from '../data/table.js';
import { clipGradNorm } from '../optim/clip.js';
import { scoreRows } from '../infer/score.js';
import { supervisedTasks, sumObjective, weightTaskLosses, type TaskModel } from '../models/task-model.js';
import { toTensorBatch } from './batch-tensors.js';
import { EarlyStopping, type EarlyStoppingOptions } from './early-stopping.js';
import { gradientConflict } from '../mtl/gradient-conflict.js';
import { taskGradients } from '../mtl/task-gradients.js';
import { assertFiniteLosses, NonFiniteLossError } from './non-finite.js';
import type { MetricsByTask } from './task-metrics.js';
import { tableMetrics } from './table-metrics.js';
import { sourceColumns, type LabelSource } from '../infer/label-source.js';
import type { EpochRecord, StopReason, TrainerEvent, TrainingHistory } from './events.js';
import type { GradientRouting, LossStrategy, OptimizerLike, TensorBatch } from './types.js';
import { compileByDefault } from '../compile/default.js';
import { compile, type CompiledFunction } from '../compile/index.js';
import { flattenInput, rebuildInput, type FlatInput } from '../models/compiled-predict.js';
import { Module } from '../nn/module.js';
import { FeatureEncoder, type FeatureBatch } from '../nn/feature-encoder.js';
import { isLazyRows, paddedTouchedRows, setRowInput, touchedRowCount } from '../nn/sparse-rows.js';
import { tensor } from '../ops/creation.js';

export interface TrainerOptions {
  model: TaskModel;
  optimizer: OptimizerLike;
  /**
   * How the (task-weighted) task losses combine (default: their plain sum, the paper's objective). Its tasks are
   * the model's supervised tasks; its own parameters must be in the optimizer.
   */
  weighting?: LossStrategy;
  /**
   * Route task gradients instead of differentiating one combined loss (e.g. keep the CVR loss out of the CTR
   * tower). Exclusive with `weighting`; the model's regularization, if any, reaches every parameter.
   */
  routing?: GradientRouting;
  /**
   * Which table label each task reads: { task: label }. Default: the label named like the task. One label may feed
   * several tasks (e.g. { ctr: 'click', ctcvr: 'conversion' } for ESMM on a click/conversion table); a label may be
   * restricted to the rows where another is 1 ({ cvr: { label: 'conversion', where: 'click' } }: CVR on clicks).
   */
  labels?: Readonly<Record<string, LabelSource>>;
  /** Default 1. */
  epochs?: number;
  /** Stop after this many steps in total, even mid-epoch. */
  maxSteps?: number;
  /** Default 1024. */
  batchSize?: number;
  /** Batch size for evaluation (no gradients, so it can be larger). Default 8192. */
  evalBatchSize?: number;
  /** Default 0. */
  seed?: number;
  /** Clip the global gradient norm to this value before each step. */
  clipGradNorm?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Reload the weights of the best epoch when early stopping watches a metric (default true). */
  restoreBest?: boolean;
  /** Measure task-gradient cosines on the shared parameters every N steps (0: never; default 0). */
  gradientProbeEvery?: number;
  /** Also record mean gate weights over the validation split each epoch (default true). */
  recordGates?: boolean;
  onEvent?: (event: TrainerEvent) => void;
  /**
   * Capture and replay the step with mt.compile (default: on, unless MTGRAD_COMPILE=0 or setCompileDefault(false)).
   * Two programs per step: forward → losses → backward (→ clipping; at probe steps, a program of its own that also
   * returns the per-task gradients), whose losses and gradient norm are read and checked on the host as in eager
   * mode, then the optimizer update (lazy embedding rows included: their row lists are inputs). The numbers are
   * those of the eager step. Parts that need the host in the middle run eagerly: weighting strategies and routing
   * (their backward), an update whose optimizer reads host state (amsgrad), and an update after its
   * hyperparameters change (recaptured; eager for good after 3 changes: an LR schedule).
   */
  compile?: boolean;
}

/** Where a step falls in the run: what weighting strategies (DWA, decays) and the probe read. */
export interface StepContext {
  /** 1-based global step. */
  step: number;
  epoch: number;
  /** Also take per-task gradients on the shared parameters and return their cosines. */
  probe?: boolean;
}

/** What one step did, read back to the host. */
export interface StepResult {
  /** The unweighted loss of every supervised task. */
  losses: Record<string, number>;
  /** The combined objective that was differentiated (weighted, combined, plus regularization). */
  total: number;
  /** The global gradient norm before clipping, when clipping is on. */
  gradNorm?: number;
  /** cos(∇L_i, ∇L_j) on the shared parameters over `tasks`, when the step probed. */
  cosines?: number[][];
  /** ‖∇L_i‖ on the shared parameters, when the step probed. */
  norms?: number[];
  /** The task weights the strategy applied at this step (when it reports them), when the step probed. */
  weights?: number[];
  /** The tasks of `losses`, in order. */
  tasks: string[];
}

export interface EvaluationResult {
  metrics: MetricsByTask;
  gates: Record<string, number[]> | null;
}

/**
 * A compiled forward → backward program; `owners`: the parameters its gradients belong to; `probeTasks`: on a
 * probe step's program, the tasks whose gradients on the shared parameters follow the gradients (in this order).
 */
interface BackwardProgram {
  fn: CompiledFunction<Tensor[], Tensor[]>;
  owners: Tensor[];
  probeTasks: string[];
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`Trainer: ${name} must be a positive integer, got ${value}`);
  return value;
}

export class Trainer {
  readonly model: TaskModel;
  /** Every task of the model, in output order (metrics are reported for those the data has labels for). */
  readonly tasks: string[];
  /** The tasks with a loss of their own: the ones that need a label and that the weighting combines. */
  readonly lossTasks: string[];
  /** Task → the table label it reads (supervised tasks only). */
  readonly labelOf: Readonly<Record<string, LabelSource>>;
  private readonly options: TrainerOptions;
  private trainableCache: Tensor[] | null = null;
  private sharedCache: Tensor[] | null = null;
  private readonly compileOn: boolean;
  /** Compiled forward → backward (→ clip), per input layout; `owners`: the parameters its gradients belong to. */
  private readonly backwardPrograms = new Map<string, BackwardProgram>();
  /** Compiled optimizer update, valid for these gradient owners and hyperparameters. */
  private update: { fn: CompiledFunction<Tensor[], Tensor[]>; owners: string; hyper: string } | null = null;
  private updateRecaptures = 0;
  /** The batch's categorical ids on the host while a compiled backward runs (lazy embedding rows). */
  private hostCat: ArrayLike<number> | undefined;
  private encoderCache: { encoder: FeatureEncoder | null; why: string | null } | null = null;

  constructor(options: TrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.tasks = options.model.tasks.map((t) => t.name);
    if (this.tasks.length === 0) throw new Error(`Trainer: the model '${this.model.modelName}' has no tasks`);
    this.lossTasks = supervisedTasks(options.model.tasks);
    if (this.lossTasks.length === 0)
      throw new Error(
        `Trainer: no task of '${this.model.modelName}' has a loss of its own (tasks: ${this.tasks.join(', ')})`,
      );
    for (const task of Object.keys(options.labels ?? {})) {
      if (!this.tasks.includes(task))
        throw new Error(
          `Trainer: labels maps '${task}', which is not a task of '${this.model.modelName}' (tasks: ${this.tasks.join(', ')})`,
        );
    }
    this.labelOf = Object.fromEntries(this.lossTasks.map((t) => [t, options.labels?.[t] ?? t]));
    positiveInteger('epochs', options.epochs ?? 1);
    positiveInteger('batchSize', options.batchSize ?? 1024);
    positiveInteger('evalBatchSize', options.evalBatchSize ?? 8192);
    if (options.maxSteps !== undefined) positiveInteger('maxSteps', options.maxSteps);
    if (options.clipGradNorm !== undefined && !(options.clipGradNorm > 0))
      throw new RangeError(`Trainer: clipGradNorm must be > 0, got ${options.clipGradNorm}`);
    const every = options.gradientProbeEvery ?? 0;
    if (!Number.isInteger(every) || every < 0)
      throw new RangeError(`Trainer: gradientProbeEvery must be a non-negative integer, got ${every}`);
    if (options.routing && options.weighting)
      throw new Error('Trainer: give either a weighting strategy or gradient routing, not both');
    this.compileOn = options.compile ?? compileByDefault();
  }

  /**
   * Why the backward pass runs eagerly at every step, or null when it is compiled (probe steps included, through
   * a program of their own). The optimizer update is compiled whenever `compile` is on and the optimizer has advanceSteps.
   */
  get eagerBackwardReason(): string | null {
    if (!this.compileOn) return 'compile is off';
    if (this.options.routing) return 'gradient routing runs its own backward';
    if (this.options.weighting) return `weighting '${this.options.weighting.name}' combines on its own terms`;
    return this.lazyRowEncoder().why;
  }

  /** What the compiled step has done: per program, compile's stats (for tests and diagnostics). */
  compileStats(): {
    /** Every backward program (per input layout; probe steps' programs included). */
    backward: ReturnType<CompiledFunction<Tensor[], Tensor[]>['stats']>[];
    /** The probe steps' backward programs alone. */
    probe: ReturnType<CompiledFunction<Tensor[], Tensor[]>['stats']>[];
    update: ReturnType<CompiledFunction<Tensor[], Tensor[]>['stats']> | null;
  } {
    const programs = [...this.backwardPrograms.entries()];
    return {
      backward: programs.map(([, p]) => p.fn.stats()),
      probe: programs.filter(([key]) => key.endsWith('|probe')).map(([, p]) => p.fn.stats()),
      update: this.update?.fn.stats() ?? null,
    };
  }

  /** Frees the compiled programs (their native plans' arenas); the next step captures again. */
  disposeCompiled(): void {
    for (const p of this.backwardPrograms.values()) p.fn.dispose();
    this.backwardPrograms.clear();
    this.update?.fn.dispose();
    this.update = null;
  }

  /**
   * Lazily updated embedding tables need the rows each batch looks up, which a replay (no model JavaScript) does
   * not record: the Trainer records them from the host ids through the model's one FeatureEncoder.
   */
  private lazyRowEncoder(): { encoder: FeatureEncoder | null; why: string | null } {
    if (!this.encoderCache) {
      const lazy = this.trainable.some((p) => isLazyRows(p));
      const encoders =
        this.model instanceof Module
          ? this.model
              .namedModules()
              .map(([, m]) => m)
              .filter((m): m is FeatureEncoder => m instanceof FeatureEncoder)
          : [];
      this.encoderCache =
        !lazy || encoders.length === 1
          ? { encoder: encoders[0] ?? null, why: null }
          : {
              encoder: null,
              why: 'lazily updated parameters outside one FeatureEncoder (their rows are read on the host)',
            };
    }
    return this.encoderCache;
  }

  /** Metrics over a whole split (and mean gate weights), with recording off, for every task the split has labels for. */
  async evaluate(table: EncodedTable, options: { gates?: boolean } = {}): Promise<EvaluationResult> {
    const scores = await scoreRows(this.model, table, {
      batchSize: this.options.evalBatchSize ?? 8192,
      gates: options.gates ?? false,
      compile: this.compileOn,
    });
    return {
      metrics: tableMetrics(this.model, table, scores.outputs, this.options.labels),
      gates: scores.gateMeans ?? null,
    };
  }

  private get trainable(): Tensor[] {
    this.trainableCache ??= [...this.model.parameters(), ...(this.options.weighting?.parameters() ?? [])];
    return this.trainableCache;
  }

  /** The shared parameters (the probe's and gradient-based strategies' domain), looked up once. */
  private get shared(): Tensor[] {
    this.sharedCache ??= this.model.paramGroups().shared;
    return this.sharedCache;
  }

  /**
   * forward → task losses → × task weights → combine (+ regularization) → backward, inside one tidy: leaves the
   * gradients in .grad and returns the losses (one small tensor to read back) and, when probing, the per-task
   * gradients on the shared parameters.
   */
  private backwardPass(
    batch: Batch,
    at: StepContext,
  ): { readout: Tensor; norm: Tensor | null; probeGrads: Record<string, Tensor[]> | null } {
    return tidy(() => ({ ...this.backwardOn(this.batchTensors(batch), at), norm: null }));
  }

  /** The batch on the backend; feature batches carry their host ids (lazy embedding rows without a readback). */
  private batchTensors(batch: Batch): TensorBatch {
    const tensors = toTensorBatch(batch, this.model, this.labelOf);
    const input = tensors.input as FeatureBatch;
    if (this.model.inputSpec.kind === 'features' && input.cat)
      input.catHost = batch.cat.subarray(0, batch.size * batch.nCat);
    return tensors;
  }

  private backwardOn(
    tensors: TensorBatch,
    at: StepContext,
  ): { readout: Tensor; probeGrads: Record<string, Tensor[]> | null } {
    const { model, shared } = this;
    const outputs = model.forward(tensors.input);
    const losses = model.taskLosses(outputs, tensors.labels, tensors.masks);
    this.checkLosses(losses);
    const weighted = weightTaskLosses(model.tasks, losses);
    // Task gradients for the conflict probe are taken before the step's backward (the graph is retained).
    const probeGrads = at.probe && shared.length > 0 ? taskGradients(losses, shared) : null;
    const regularization = model.regularization(outputs, tensors.labels, tensors.masks);
    let total: Tensor;
    if (this.options.routing) {
      this.options.routing.backward(regularization ? { ...weighted, __regularization__: regularization } : weighted);
      total = sumObjective(model.tasks, weighted, regularization, 'Trainer');
    } else {
      const { weighting } = this.options;
      const combined = weighting
        ? weighting.combine(weighted, { step: at.step, epoch: at.epoch, sharedParams: shared })
        : sumObjective(model.tasks, weighted, null, 'Trainer');
      total = regularization ? add(combined, regularization) : combined;
      backward(total);
    }
    // Every task loss (unweighted) and the total in one small tensor: one read-back per step, not T + 1.
    const readout = noGrad(() =>
      concat([...this.lossTasks.map((t) => reshape(losses[t], [1])), reshape(total, [1])], 0),
    );
    return { readout, probeGrads };
  }

  /**
   * The same pass through a compiled program (captured per input layout and shape, then replayed): inputs are the
   * batch tensors, outputs the readout, the gradient norm before clipping (when clipping) and the gradients, which
   * become the parameters' .grad as backward would leave them; on a probe step (a program of its own) also the
   * per-task gradients on the shared parameters. Null when the batch cannot be flattened.
   */
  private compiledBackwardPass(
    batch: Batch,
    probe: boolean,
  ): { readout: Tensor; norm: Tensor | null; probeGrads: Record<string, Tensor[]> | null } | null {
    const tensors = tidy(() => this.batchTensors(batch));
    const flat = flattenInput(tensors.input);
    if (!flat) {
      dispose(tensors);
      return null;
    }
    const program = this.backwardProgram(flat, probe);
    const args = [
      ...flat.tensors,
      ...this.lossTasks.map((t) => tensors.labels[t]),
      ...this.lossTasks.map((t) => tensors.masks[t]),
    ];
    this.hostCat = (tensors.input as FeatureBatch).catHost;
    let out: Tensor[];
    try {
      out = program.fn(...args);
    } finally {
      this.hostCat = undefined;
      dispose(tensors);
    }
    const clipping = this.options.clipGradNorm !== undefined;
    const readout = out[0];
    const norm = clipping ? out[1] : null;
    const first = clipping ? 2 : 1;
    const grads = out.slice(first, first + program.owners.length);
    let probeGrads: Record<string, Tensor[]> | null = null;
    if (program.probeTasks.length > 0) {
      const n = this.shared.length;
      const rest = out.slice(first + program.owners.length);
      probeGrads = Object.fromEntries(program.probeTasks.map((t, k) => [t, rest.slice(k * n, (k + 1) * n)]));
    }
    if (grads.length !== program.owners.length)
      throw new Error(
        `Trainer: the compiled backward returned ${grads.length} gradients for ${program.owners.length} parameters`,
      );
    program.owners.forEach((p, i) => {
      if (p.grad !== grads[i]) {
        p.grad?.dispose();
        p.grad = keep(grads[i]);
      }
    });
    // A replay ran no model code: record the embedding rows the batch looked up (a repeat after eager calls is harmless).
    const hostCat = (tensors.input as FeatureBatch).catHost;
    const encoder = this.lazyRowEncoder().encoder;
    if (encoder && hostCat) encoder.recordLookups(hostCat, batch.size);
    return { readout, norm, probeGrads };
  }

  private backwardProgram(flat: FlatInput, probe: boolean): BackwardProgram {
    const key = probe ? `${flat.layout}|probe` : flat.layout;
    let program = this.backwardPrograms.get(key);
    if (program) return program;
    const { layout } = flat;
    const nIn = flat.tensors.length;
    const T = this.lossTasks.length;
    const clip = this.options.clipGradNorm;
    const entry: BackwardProgram = {
      owners: [],
      probeTasks: [],
      fn: compile(
        (...ts: Tensor[]): Tensor[] =>
          tidy(() => {
            const input = rebuildInput(layout, ts.slice(0, nIn));
            if (this.hostCat && 'cat' in input) (input as FeatureBatch).catHost = this.hostCat;
            const labels = Object.fromEntries(this.lossTasks.map((t, k) => [t, ts[nIn + k]]));
            const masks = Object.fromEntries(this.lossTasks.map((t, k) => [t, ts[nIn + T + k]]));
            const { readout, probeGrads } = this.backwardOn(
              { size: ts[0].shape[0], input, labels, masks },
              { step: 0, epoch: 0, probe },
            );
            const norm = clip !== undefined ? clipGradNorm(this.trainable, clip) : null;
            entry.owners = this.trainable.filter((p) => p.grad !== null);
            entry.probeTasks = probeGrads ? Object.keys(probeGrads) : [];
            const perTask = probeGrads ? entry.probeTasks.flatMap((t) => probeGrads[t]!) : [];
            return [readout, ...(norm ? [norm] : []), ...entry.owners.map((p) => p.grad!), ...perTask];
          }),
        { fallback: 'eager', name: probe ? 'Trainer.probeBackward' : 'Trainer.backward' },
      ),
    };
    this.backwardPrograms.set(key, entry);
    program = entry;
    return program;
  }

  /**
   * The rows each lazily updated owner's lookups recorded, as int32 lists of a length fixed for this Trainer
   * (min(table rows, batchSize × lookups per example): sorted rows, then SKIP_ROW padding), uploaded: inputs of
   * the compiled update, so that a replay updates this step's rows (the same rows, the same numbers as the eager
   * update of the recorded set). Null when a list cannot be formed so (a table outside the model's one encoder,
   * no row or more rows than fit — a batch larger than batchSize): that step's update runs eagerly.
   */
  private rowLists(owners: readonly Tensor[]): Tensor[] | null {
    const lazy = owners.filter((p) => isLazyRows(p));
    if (lazy.length === 0) return [];
    const encoder = this.lazyRowEncoder().encoder;
    if (!encoder) return null;
    const batchSize = this.options.batchSize ?? 1024;
    const lengths: number[] = [];
    for (const p of lazy) {
      const length = Math.min(p.shape[0]!, batchSize * encoder.lookupsPerExample(p));
      const count = touchedRowCount(p);
      if (count === null || count === 0 || count > length) return null;
      lengths.push(length);
    }
    return lazy.map((p, i) => {
      const rows = paddedTouchedRows(p, lengths[i]!)!;
      const list = tensor(rows, { dtype: 'int32', backend: p.backendName });
      setRowInput(p, list);
      return list;
    });
  }

  /**
   * optimizer.step() through a compiled program whose inputs are the gradients (so it runs whatever produced
   * them: a compiled or an eager backward) and, for lazily updated embedding tables, their row lists (rowLists).
   * Every step of this Trainer goes through it, so the optimizer's step count it extrapolates stays the
   * optimizer's; afterReplay keeps the JavaScript-side count right too. A step that must update eagerly drops the
   * program (its extrapolated count would miss that step); the next steps capture it again.
   */
  private applyUpdate(): void {
    const { optimizer } = this.options;
    const advance = optimizer.advanceSteps?.bind(optimizer);
    if (!this.compileOn || !advance || this.updateRecaptures > 3) {
      optimizer.step();
      return;
    }
    const owners = this.trainable.filter((p) => p.grad !== null);
    const rowLists = this.rowLists(owners);
    if (rowLists === null) {
      this.update?.fn.dispose();
      this.update = null;
      optimizer.step();
      return;
    }
    try {
      this.compiledUpdate(owners, rowLists, advance);
    } finally {
      for (const p of owners) setRowInput(p, null);
      dispose(rowLists);
    }
  }

  private compiledUpdate(owners: Tensor[], rowLists: Tensor[], advance: (n: number) => void): void {
    const { optimizer } = this.options;
    const ownerKey = owners.map((p) => p.id).join(',');
    const hyper = JSON.stringify(optimizer.paramGroups.map(({ params: _params, ...h }) => h));
    if (this.update && (this.update.owners !== ownerKey || this.update.hyper !== hyper)) {
      this.update.fn.dispose();
      this.update = null;
      if (++this.updateRecaptures > 3) {
        optimizer.step();
        return;
      }
    }
    this.update ??= {
      fn: compile(
        (..._grads: Tensor[]): Tensor[] => {
          optimizer.step();
          return [];
        },
        { fallback: 'eager', name: 'Trainer.update', afterReplay: () => advance(1) },
      ),
      owners: ownerKey,
      hyper,
    };
    this.update.fn(...owners.map((p) => p.grad!), ...rowLists);
  }

  /**
   * One training step on a batch: the backward pass above, then the NaN/Inf guard (nothing is applied when a loss
   * or the gradient norm is not finite), clipping, optimizer.step(), and the gradients zeroed. Public so that a
   * custom loop (or a test) can drive it; fit() calls it for every batch.
   */
  async step(batch: Batch, at: StepContext = { step: 1, epoch: 0 }): Promise<StepResult> {
    const { optimizer } = this.options;
    const trainable = this.trainable;
    const pass =
      (this.eagerBackwardReason === null ? this.compiledBackwardPass(batch, at.probe === true) : null) ??
      this.backwardPass(batch, at);
    try {
      // Host-solved strategies read their K×K numbers asynchronously here and rewrite the shared gradients.
      if (!this.options.routing) await this.options.weighting?.finishBackward?.();
      const readout = await pass.readout.data();
      const losses: Record<string, number> = Object.fromEntries(this.lossTasks.map((t, k) => [t, readout[k]]));
      assertFiniteLosses(at.step, losses);
      const total = readout[this.lossTasks.length];
      if (!Number.isFinite(total)) throw new NonFiniteLossError(at.step, '(combined)', total);
      const result: StepResult = { losses, total, tasks: [...this.lossTasks] };
      if (this.options.clipGradNorm !== undefined) {
        // The compiled backward clipped already and returned the norm (the same kernels, the same numbers).
        pass.norm ??= clipGradNorm(trainable, this.options.clipGradNorm);
        result.gradNorm = (await pass.norm.data())[0];
        if (!Number.isFinite(result.gradNorm))
          throw new NonFiniteLossError(at.step, '(combined)', result.gradNorm, 'gradient norm');
      }
      this.applyUpdate();
      if (pass.probeGrads) {
        const { cosine, norms } = await gradientConflict(pass.probeGrads);
        result.cosines = cosine;
        result.norms = norms;
        result.weights = (await this.options.weighting?.appliedWeights?.()) ?? undefined;
      }
      return result;
    } finally {
      dispose(pass);
      optimizer.zeroGrad();
      for (const p of trainable)
        if (p.grad) {
          p.grad.dispose();
          p.grad = null;
        }
    }
  }

  async fit(train: EncodedTable, validation?: EncodedTable): Promise<TrainingHistory> {
    const { model, optimizer } = this.options;
    const epochs = this.options.epochs ?? 1;
    const batchSize = this.options.batchSize ?? 1024;
    const seed = this.options.seed ?? 0;
    const probeEvery = this.options.gradientProbeEvery ?? 0;
    const emit = this.options.onEvent ?? (() => undefined);
    if (train.size === 0) throw new Error('Trainer.fit: the training split is empty');
    for (const [task, source] of Object.entries(this.labelOf)) {
      const missing = sourceColumns(source).filter((column) => !train.labels[column]);
      if (missing.length) {
        throw new Error(
          `Trainer.fit: the training split has no label '${missing.join("', '")}' for task '${task}' of '${model.modelName}' (labels: ${train.tasks.join(', ') || 'none'}; map tasks to labels with the 'labels' option)`,
        );
      }
    }
    const stopper = this.options.earlyStopping ? new EarlyStopping(this.options.earlyStopping) : null;
    if (stopper && !validation) throw new Error('Trainer.fit: early stopping needs a validation split');
    const restoreBest = stopper !== null && (this.options.restoreBest ?? true);

    const stepsPerEpoch = Math.ceil(train.size / batchSize);
    const totalSteps = Math.min(epochs * stepsPerEpoch, this.options.maxSteps ?? Infinity);
    // Without shared parameters (independent single-task networks) there is nothing to conflict over.
    const canProbe = probeEvery > 0 && this.lossTasks.length > 1 && this.shared.length > 0;
    const history: TrainingHistory = {
      tasks: [...this.lossTasks],
      steps: [],
      epochs: [],
      gradientCosines: [],
      stopReason: 'completed',
      bestEpoch: null,
      trainSeconds: 0,
    };
    let best: Record<string, Tensor> | null = null;

    manualSeed(seed);
    model.train(true);
    emit({
      type: 'start',
      tasks: [...this.lossTasks],
      epochs,
      stepsPerEpoch,
      totalSteps,
      trainSize: train.size,
      batchSize,
    });

    let step = 0;
    let samples = 0;
    let trainMs = 0;
    let reason: StopReason = 'completed';
    try {
      for (let epoch = 0; epoch < epochs && reason === 'completed'; epoch++) {
        const epochStart = performance.now();
        const lossSums: Record<string, number> = {};
        let epochSamples = 0;
        // A different, seed-determined order every epoch.
        // Each batch is consumed (uploaded) before the next: one set of host arrays serves them all.
        const order = { batchSize, shuffle: true, seed: seed * 1_000_003 + epoch, reuse: true };
        for (const batch of train.batches(order)) {
          const t0 = performance.now();
          step++;
          const probe = canProbe && (step === 1 || step % probeEvery === 0);
          const result = await this.step(batch, { step, epoch, probe });
          trainMs += performance.now() - t0;
          samples += batch.size;
          epochSamples += batch.size;
          for (const task of result.tasks) lossSums[task] = (lossSums[task] ?? 0) + result.losses[task] * batch.size;
          history.steps.push({ step, epoch, losses: result.losses, total: result.total });
          // Events go out after the step's tensors are released, so listeners see the steady state.
          if (result.cosines) {
            const { cosines, norms, weights } = result;
            history.gradientCosines.push({ step, epoch, cosines, norms, weights });
            emit({ type: 'gradient-probe', step, epoch, tasks: [...result.tasks], cosines, norms, weights });
          }
          emit({
            type: 'step',
            step,
            epoch,
            epochSamples,
            samples,
            losses: result.losses,
            total: result.total,
            gradNorm: result.gradNorm,
            samplesPerSecond: samples / Math.max(trainMs / 1000, 1e-9),
            lrs: optimizer.paramGroups.map((g) => g.lr),
          });
          if (this.options.maxSteps !== undefined && step >= this.options.maxSteps) {
            reason = 'max-steps';
            break;
          }
        }
        const trainSeconds = (performance.now() - epochStart) / 1000;

        const evalStart = performance.now();
        const evaluation = validation
          ? await this.evaluate(validation, { gates: this.options.recordGates ?? true })
          : null;
        let improved = false;
        if (stopper && evaluation) {
          improved = stopper.update(epoch, evaluation.metrics);
          if (improved && restoreBest) {
            dispose(best);
            best = model.stateDict();
          }
          if (stopper.shouldStop && reason === 'completed') reason = 'early-stopping';
        }
        const record: EpochRecord = {
          epoch,
          trainLoss: Object.fromEntries(Object.keys(lossSums).map((t) => [t, lossSums[t] / Math.max(epochSamples, 1)])),
          validation: evaluation?.metrics ?? null,
          gates: evaluation?.gates ?? null,
          improved,
          trainSeconds,
          evalSeconds: (performance.now() - evalStart) / 1000,
        };
        history.epochs.push(record);
        emit({ type: 'epoch', ...record });
      }
      if (best) model.loadStateDict(best);
    } finally {
      dispose(best);
      model.train(true);
    }
    history.stopReason = reason;
    history.bestEpoch = stopper && stopper.bestEpoch >= 0 ? stopper.bestEpoch : null;
    history.trainSeconds = trainMs / 1000;
    emit({ type: 'end', reason, steps: step, bestEpoch: history.bestEpoch });
    return history;
  }

  /** The model's taskLosses must cover exactly its supervised tasks. */
  private checkLosses(losses: Record<string, Tensor>): void {
    const unknown = Object.keys(losses).filter((name) => !this.lossTasks.includes(name));
    if (unknown.length)
      throw new Error(
        `${this.model.modelName}.taskLosses returned a loss for ${unknown.map((n) => `'${n}'`).join(', ')}, which is not a supervised task (${this.lossTasks.join(', ')})`,
      );
    const missing = this.lossTasks.filter((t) => !losses[t]);
    if (missing.length)
      throw new Error(
        `${this.model.modelName}.taskLosses returned no loss for ${missing.map((n) => `'${n}'`).join(', ')}`,
      );
  }
}
