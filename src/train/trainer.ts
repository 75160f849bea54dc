/**
 * The Trainer: epochs of shuffled mini-batches, one tidy per step (so live tensors stay flat however long the run),
 * per-task validation metrics over the whole split after every epoch, early stopping on one task's metric (with
 * the best weights restored), gradient clipping, a NaN/Inf guard that stops before the optimizer applies a bad
 * step, and a sampled probe of task-gradient conflict on the shared parameters.
 *
 * Reproducibility: fit() seeds the engine's random stream (dropout) and derives each epoch's shuffle from the seed,
 * so the same seed, data, model initialisation and backend give the same metrics.
 */
import type { Tensor } from '../tensor/tensor.js';
import { dispose, tidy } from '../tensor/scope.js';
import { manualSeed } from '../tensor/engine.js';
import { add } from '../ops/elementwise.js';
import { backward } from '../autograd/backward.js';
import { noGrad } from '../autograd/mode.js';
import { concat, reshape } from '../ops/shape.js';
import type { EncodedTable } from '../data/table.js';
import { clipGradNorm } from '../optim/clip.js';
import { scoreRows } from '../infer/score.js';
import { toTensorBatch } from './batchTensors.js';
import { EarlyStopping, type EarlyStoppingOptions } from './earlyStopping.js';
import { gradientConflict } from '../mtl/gradient-conflict.js';
import { taskGradients } from '../mtl/task-gradients.js';
import { assertFiniteLosses, NonFiniteLossError } from './nonFinite.js';
import { computeTaskMetrics, type MetricsByTask } from './taskMetrics.js';
import type { EpochRecord, StopReason, TrainerEvent, TrainingHistory } from './events.js';
import type { GradientRouting, LossStrategy, OptimizerLike, TaskKind, TrainableModel } from './types.js';

export interface TrainerOptions {
  model: TrainableModel;
  optimizer: OptimizerLike;
  /** How task losses combine (default: their plain sum). Its own parameters must be in the optimizer. */
  weighting?: LossStrategy;
  /**
   * Route task gradients instead of differentiating one combined loss (e.g. keep the CVR loss out of the CTR
   * tower). Exclusive with `weighting`; the model's regularization, if any, reaches every parameter.
   */
  routing?: GradientRouting;
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
}

export interface EvaluationResult {
  metrics: MetricsByTask;
  gates: Record<string, number[]> | null;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`Trainer: ${name} must be a positive integer, got ${value}`);
  return value;
}

export class Trainer {
  readonly model: TrainableModel;
  readonly tasks: string[];
  private readonly options: TrainerOptions;
  private readonly kinds: Record<string, TaskKind>;

  constructor(options: TrainerOptions) {
    this.options = options;
    this.model = options.model;
    this.tasks = [...options.model.tasks];
    if (this.tasks.length === 0) throw new Error('Trainer: the model has no tasks');
    const given = this.model.taskKinds?.() ?? {};
    this.kinds = Object.fromEntries(this.tasks.map((t) => [t, given[t] ?? 'binary']));
    positiveInteger('epochs', options.epochs ?? 1);
    positiveInteger('batchSize', options.batchSize ?? 1024);
    positiveInteger('evalBatchSize', options.evalBatchSize ?? 8192);
    if (options.maxSteps !== undefined) positiveInteger('maxSteps', options.maxSteps);
    if (options.clipGradNorm !== undefined && !(options.clipGradNorm > 0)) throw new RangeError(`Trainer: clipGradNorm must be > 0, got ${options.clipGradNorm}`);
    const every = options.gradientProbeEvery ?? 0;
    if (!Number.isInteger(every) || every < 0) throw new RangeError(`Trainer: gradientProbeEvery must be a non-negative integer, got ${every}`);
    if (every > 0 && !this.model.sharedParameters) throw new Error('Trainer: gradientProbeEvery needs a model with sharedParameters()');
    if (options.routing && options.weighting) throw new Error('Trainer: give either a weighting strategy or gradient routing, not both');
  }

  /** Metrics over a whole split (and mean gate weights), with recording off. */
  async evaluate(table: EncodedTable, options: { gates?: boolean } = {}): Promise<EvaluationResult> {
    const scores = await scoreRows(this.model, table, { batchSize: this.options.evalBatchSize ?? 8192, gates: options.gates ?? false });
    return { metrics: computeTaskMetrics(this.kinds, table.labels, table.masks, scores.outputs), gates: scores.gateMeans ?? null };
  }

  async fit(train: EncodedTable, validation?: EncodedTable): Promise<TrainingHistory> {
    const { model, optimizer, weighting } = this;
    const epochs = this.options.epochs ?? 1;
    const batchSize = this.options.batchSize ?? 1024;
    const seed = this.options.seed ?? 0;
    const probeEvery = this.options.gradientProbeEvery ?? 0;
    const emit = this.options.onEvent ?? (() => undefined);
    if (train.size === 0) throw new Error('Trainer.fit: the training split is empty');
    for (const task of this.tasks) if (!train.labels[task]) throw new Error(`Trainer.fit: the training split has no labels for task '${task}'`);
    const stopper = this.options.earlyStopping ? new EarlyStopping(this.options.earlyStopping) : null;
    if (stopper && !validation) throw new Error('Trainer.fit: early stopping needs a validation split');
    const restoreBest = stopper !== null && (this.options.restoreBest ?? true) && !!model.stateDict && !!model.loadStateDict;

    const stepsPerEpoch = Math.ceil(train.size / batchSize);
    const totalSteps = Math.min(epochs * stepsPerEpoch, this.options.maxSteps ?? Infinity);
    const trainable = [...model.parameters(), ...(weighting?.parameters() ?? [])];
    // Gradient-based strategies (GradNorm, PCGrad, MGDA) and the probe work on the shared parameters.
    const shared = model.sharedParameters?.() ?? [];
    const history: TrainingHistory = { tasks: [...this.tasks], steps: [], epochs: [], gradientCosines: [], stopReason: 'completed', bestEpoch: null, trainSeconds: 0 };
    let best: Record<string, Tensor> | null = null;

    manualSeed(seed);
    model.train(true);
    emit({ type: 'start', tasks: [...this.tasks], epochs, stepsPerEpoch, totalSteps, trainSize: train.size, batchSize });

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
        for (const batch of train.batches({ batchSize, shuffle: true, seed: seed * 1_000_003 + epoch })) {
          const t0 = performance.now();
          step++;
          // Without shared parameters (independent single-task networks) there is nothing to conflict over.
          const probe = probeEvery > 0 && shared.length > 0 && (step === 1 || step % probeEvery === 0);
          const result = tidy(() => {
            const tensors = toTensorBatch(batch, this.tasks);
            const outputs = model.forward(tensors.inputs);
            const losses = model.loss(outputs, tensors);
            const lossTasks = this.lossTasksOf(losses);
            // Task gradients for the conflict probe are taken before the step's backward (the graph is retained).
            const probeGrads = probe ? taskGradients(losses, shared) : null;
            const regularization = model.regularization?.(outputs, tensors) ?? null;
            let total: Tensor;
            if (this.options.routing) {
              this.options.routing.backward(regularization ? { ...losses, __regularization__: regularization } : losses);
              total = lossTasks.map((t) => losses[t]).reduce((a, b) => add(a, b));
              if (regularization) total = add(total, regularization);
            } else {
              total = weighting
                ? weighting.combine(losses, { step, epoch, sharedParams: shared })
                : lossTasks.map((t) => losses[t]).reduce((a, b) => add(a, b));
              if (regularization) total = add(total, regularization);
              backward(total);
            }
            // Every task loss and the total in one small tensor: one read-back per step, not T + 1.
            const readout = noGrad(() => concat([...lossTasks.map((t) => reshape(losses[t], [1])), reshape(total, [1])], 0));
            return { readout, probeGrads, lossTasks };
          });
          let gradNorm: number | undefined;
          // Events go out after the step's tensors are released, so listeners see the steady state.
          const pending: TrainerEvent[] = [];
          try {
            // Host-solved strategies read their K×K numbers asynchronously here and rewrite the shared gradients.
            if (!this.options.routing) await weighting?.finishBackward?.();
            const readout = await result.readout.data();
            const values: Record<string, number> = Object.fromEntries(result.lossTasks.map((t, k) => [t, readout[k]]));
            assertFiniteLosses(step, values);
            const total = readout[result.lossTasks.length];
            if (!Number.isFinite(total)) throw new NonFiniteLossError(step, '(combined)', total);
            if (this.options.clipGradNorm !== undefined) {
              const norm = clipGradNorm(trainable, this.options.clipGradNorm);
              gradNorm = (await norm.data())[0];
              norm.dispose();
              if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(step, '(combined)', gradNorm, 'gradient norm');
            }
            optimizer.step();
            trainMs += performance.now() - t0;
            samples += batch.size;
            epochSamples += batch.size;
            for (const task of result.lossTasks) lossSums[task] = (lossSums[task] ?? 0) + values[task] * batch.size;
            history.steps.push({ step, epoch, losses: values, total });
            if (result.probeGrads) {
              const { cosine: cosines, norms } = await gradientConflict(result.probeGrads);
              const weights = (await weighting?.appliedWeights?.()) ?? undefined;
              history.gradientCosines.push({ step, epoch, cosines, norms, weights });
              pending.push({ type: 'gradient-probe', step, epoch, tasks: [...result.lossTasks], cosines, norms, weights });
            }
            pending.push({
              type: 'step', step, epoch, epochSamples, samples, losses: values, total, gradNorm,
              samplesPerSecond: samples / Math.max(trainMs / 1000, 1e-9),
              lrs: optimizer.paramGroups.map((g) => g.lr),
            });
          } finally {
            dispose(result);
            optimizer.zeroGrad();
            for (const p of trainable) if (p.grad) { p.grad.dispose(); p.grad = null; }
          }
          for (const event of pending) emit(event);
          if (this.options.maxSteps !== undefined && step >= this.options.maxSteps) { reason = 'max-steps'; break; }
        }
        const trainSeconds = (performance.now() - epochStart) / 1000;

        const evalStart = performance.now();
        const evaluation = validation ? await this.evaluate(validation, { gates: this.options.recordGates ?? true }) : null;
        let improved = false;
        if (stopper && evaluation) {
          improved = stopper.update(epoch, evaluation.metrics);
          if (improved && restoreBest) {
            dispose(best);
            best = model.stateDict!();
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
      if (best) model.loadStateDict!(best);
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

  /**
   * The tasks the model returned a loss for, in task order. A task may have an output but no loss of its own (ESMM's
   * CVR head is trained only through the CTCVR loss, as in the paper); a loss for an unknown task is an error.
   */
  private lossTasksOf(losses: Record<string, Tensor>): string[] {
    for (const name of Object.keys(losses)) {
      if (!this.tasks.includes(name)) throw new Error(`model.loss returned a loss for '${name}', which is not one of the tasks (${this.tasks.join(', ')})`);
    }
    const present = this.tasks.filter((t) => losses[t]);
    if (present.length === 0) throw new Error(`model.loss returned no task loss (tasks: ${this.tasks.join(', ')})`);
    return present;
  }

  private get optimizer(): OptimizerLike { return this.options.optimizer; }
  private get weighting(): LossStrategy | undefined { return this.options.weighting; }
}
