/** Metrics of a model's outputs on a table, for every task the table has a label for (through a task → label map). */
import type { TaskModel } from '../models/task-model.js';
import type { TaskKind } from '../models/tasks.js';
import { computeTaskMetrics, type MetricsByTask } from './task-metrics.js';
import { resolveLabel, type LabelColumns, type LabelSource } from '../infer/label-source.js';

export type LabelledRows = LabelColumns;

/**
 * Task → label source for every task of the model whose label (its mapped source, else its own name) the table
 * has. A task without a loss of its own is scored too where the table labels it (ESMM's cvr: conversion where click).
 */
export function labelledTasks(
  model: Pick<TaskModel, 'tasks'>,
  table: LabelledRows,
  labels: Readonly<Record<string, LabelSource>> = {},
): Record<string, LabelSource> {
  const out: Record<string, LabelSource> = {};
  for (const t of model.tasks) {
    const source = labels[t.name] ?? t.name;
    if (resolveLabel(table, source)) out[t.name] = source;
  }
  return out;
}

/** Per-task metrics (AUC/logloss/accuracy or RMSE/MAE, masked) of `outputs` on the table's labels. */
export function tableMetrics(
  model: Pick<TaskModel, 'tasks'>,
  table: LabelledRows,
  outputs: Record<string, Float32Array>,
  labels: Readonly<Record<string, LabelSource>> = {},
): MetricsByTask {
  const kinds: Record<string, TaskKind> = {};
  const y: Record<string, Float32Array> = {};
  const masks: Record<string, Float32Array> = {};
  for (const [task, source] of Object.entries(labelledTasks(model, table, labels))) {
    const resolved = resolveLabel(table, source)!;
    kinds[task] = model.tasks.find((t) => t.name === task)!.kind;
    y[task] = resolved.label;
    if (resolved.mask) masks[task] = resolved.mask;
  }
  return computeTaskMetrics(kinds, y, masks, outputs);
}
