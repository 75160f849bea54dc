/**
 * Per-task metrics over a whole split (never averaged per batch): AUC, log loss and accuracy for binary tasks,
 * RMSE and MAE for regression tasks, each over the rows where the task's mask is set.
 */
import { rocAuc } from '../metrics/auc.js';
import { accuracy, logLoss } from '../metrics/classification.js';
import { mae, rmse } from '../metrics/regression.js';
import type { TaskKind } from '../models/tasks.js';

export type MetricName = 'auc' | 'logloss' | 'accuracy' | 'rmse' | 'mae';
export type TaskMetrics = Partial<Record<MetricName, number>> & { count: number };
export type MetricsByTask = Record<string, TaskMetrics>;

/** Whether a larger value of the metric is better (early stopping direction). */
export function higherIsBetter(metric: MetricName): boolean {
  return metric === 'auc' || metric === 'accuracy';
}

export const METRICS_BY_KIND: Record<TaskKind, MetricName[]> = {
  binary: ['auc', 'logloss', 'accuracy'],
  regression: ['rmse', 'mae'],
};

function maskedCount(mask: Float32Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

export function computeTaskMetrics(
  kinds: Record<string, TaskKind>,
  labels: Record<string, Float32Array>,
  masks: Record<string, Float32Array>,
  outputs: Record<string, Float32Array>,
): MetricsByTask {
  const result: MetricsByTask = {};
  for (const [task, kind] of Object.entries(kinds)) {
    const y = labels[task];
    const p = outputs[task];
    const mask = masks[task];
    if (!y || !p) throw new Error(`metrics: task '${task}' has no ${y ? 'predictions' : 'labels'}`);
    const count = mask ? maskedCount(mask) : y.length;
    if (count === 0) {
      result[task] = { count };
      continue;
    }
    result[task] =
      kind === 'binary'
        ? { count, auc: rocAuc(y, p, mask), logloss: logLoss(y, p, { mask }), accuracy: accuracy(y, p, { mask }) }
        : { count, rmse: rmse(y, p, mask), mae: mae(y, p, mask) };
  }
  return result;
}
