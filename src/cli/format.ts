/** Plain-text formatting for the terminal: durations, rates, aligned tables of per-task metrics. */
import type { MetricsByTask } from '../train/task-metrics.js';

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(1)}M`;
  if (perSecond >= 1e4) return `${(perSecond / 1e3).toFixed(0)}k`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

export function formatNumber(value: number | undefined, digits = 4): string {
  if (value === undefined) return '';
  return Number.isNaN(value) ? 'NaN' : value.toFixed(digits);
}

/** Columns padded to their widest cell; numbers right-aligned. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const COLUMNS = [
  ['auc', 'AUC'],
  ['logloss', 'log loss'],
  ['accuracy', 'accuracy'],
  ['rmse', 'RMSE'],
  ['mae', 'MAE'],
] as const;

/** One row per task, one column per metric any task has, plus the number of labelled rows. */
export function metricsTable(metrics: MetricsByTask): string {
  const tasks = Object.keys(metrics);
  const present = COLUMNS.filter(([key]) => tasks.some((t) => metrics[t][key] !== undefined));
  const header = ['task', ...present.map(([, label]) => label), 'rows'];
  const rows = tasks.map((t) => [
    t,
    ...present.map(([key]) => formatNumber(metrics[t][key])),
    String(metrics[t].count),
  ]);
  return renderTable(header, rows);
}
