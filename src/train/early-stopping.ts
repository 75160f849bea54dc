/** Early stopping on one task's validation metric: stop after `patience` epochs without an improvement. */
import { higherIsBetter, type MetricName, type MetricsByTask } from './task-metrics.js';

export interface EarlyStoppingOptions {
  task: string;
  metric: MetricName;
  /** Epochs without improvement before stopping (default 2). */
  patience?: number;
  /** The smallest change that counts as an improvement (default 0). */
  minDelta?: number;
}

export class EarlyStopping {
  readonly patience: number;
  readonly minDelta: number;
  best = Number.NaN;
  bestEpoch = -1;
  private stale = 0;

  constructor(readonly options: EarlyStoppingOptions) {
    this.patience = options.patience ?? 2;
    this.minDelta = options.minDelta ?? 0;
    if (!Number.isInteger(this.patience) || this.patience < 1)
      throw new RangeError(`early stopping: patience must be a positive integer, got ${this.patience}`);
    if (!(this.minDelta >= 0)) throw new RangeError(`early stopping: minDelta must be >= 0, got ${this.minDelta}`);
  }

  /** Reads the watched metric; a missing task or metric is a configuration error, reported at the first epoch. */
  valueOf(metrics: MetricsByTask): number {
    const { task, metric } = this.options;
    const forTask = metrics[task];
    if (!forTask)
      throw new Error(`early stopping watches task '${task}', which is not one of: ${Object.keys(metrics).join(', ')}`);
    const value = forTask[metric];
    if (value === undefined)
      throw new Error(
        `early stopping watches '${metric}' of task '${task}', which is not computed for it (has: ${Object.keys(forTask)
          .filter((k) => k !== 'count')
          .join(', ')})`,
      );
    return value;
  }

  /** Records an epoch; returns whether it improved on the best so far. */
  update(epoch: number, metrics: MetricsByTask): boolean {
    const value = this.valueOf(metrics);
    const sign = higherIsBetter(this.options.metric) ? 1 : -1;
    const improved = Number.isFinite(value) && (Number.isNaN(this.best) || sign * (value - this.best) > this.minDelta);
    if (improved) {
      this.best = value;
      this.bestEpoch = epoch;
      this.stale = 0;
    } else {
      this.stale++;
    }
    return improved;
  }

  get shouldStop(): boolean {
    return this.stale >= this.patience;
  }
}
