/** Metrics of a model's outputs on a table, for every task the table has a label for (through a task → label map). */
import type { TaskModel } from '../models/task-model.js';
import type { TaskKind } from '../models/tasks.js';
import { computeTaskMetrics, type MetricsByTask } from './taskMetrics.js';

export interface LabelledRows {
  labels: Record<string, Float32Array>;
  masks: Record<string, Float32Array>;
}

/**
 * Task → table label for every task of the model whose label (its mapped name, else its own name) the table has.
 * A task without a loss of its own is scored too where the table happens to label it.
 */
export function labelledTasks(model: Pick<TaskModel, 'tasks'>, table: LabelledRows, labels: Readonly<Record<string, string>> = {}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of model.tasks) {
    const column = labels[t.name] ?? t.name;
    if (table.labels[column]) out[t.name] = column;
  }
  return out;
}

/** Per-task metrics (AUC/logloss/accuracy or RMSE/MAE, masked) of `outputs` on the table's labels. */
export function tableMetrics(
  model: Pick<TaskModel, 'tasks'>, table: LabelledRows, outputs: Record<string, Float32Array>, labels: Readonly<Record<string, string>> = {},
): MetricsByTask {
  const kinds: Record<string, TaskKind> = {};
  const y: Record<string, Float32Array> = {};
  const masks: Record<string, Float32Array> = {};
  for (const [task, column] of Object.entries(labelledTasks(model, table, labels))) {
    kinds[task] = model.tasks.find((t) => t.name === task)!.kind;
    y[task] = table.labels[column];
    masks[task] = table.masks[column];
  }
  return computeTaskMetrics(kinds, y, masks, outputs);
}
