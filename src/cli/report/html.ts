/**
 * The training report: one self-contained HTML file (inline CSS and SVG, no scripts, nothing fetched) with the run's
 * settings, test and per-epoch validation metrics, training-loss and validation-metric curves per task, the
 * expert-utilisation heatmap per task (mean gate weight per expert on the validation split), and the cosine
 * similarity of task gradients on the shared parameters over training.
 */
import type { TrainingHistory } from '../../train/events.js';
import type { MetricName, MetricsByTask } from '../../train/task-metrics.js';
import { escapeXml, heatmap, lineChart, type Series } from './svg.js';
import { trainingDiagnostics } from '../../train/diagnostics.js';
import { diagnosticsSection, diagnosticsWarnings } from './diagnostics.js';

export interface ReportInput {
  title: string;
  /** Shown as a key/value table (model, dataset, backend, flags…). */
  settings: Record<string, string | number | boolean>;
  /** The full model config (JSON). */
  modelConfig: unknown;
  history: TrainingHistory;
  test: MetricsByTask | null;
}

const METRIC_LABELS: Record<MetricName, string> = {
  auc: 'AUC',
  logloss: 'log loss',
  accuracy: 'accuracy',
  rmse: 'RMSE',
  mae: 'MAE',
};

/** Moving average over a window, so that per-step losses read as a curve. */
function smooth(points: [number, number][], window: number): [number, number][] {
  if (window <= 1) return points;
  const out: [number, number][] = [];
  let sum = 0;
  for (let i = 0; i < points.length; i++) {
    sum += points[i][1];
    if (i >= window) sum -= points[i - window][1];
    out.push([points[i][0], sum / Math.min(i + 1, window)]);
  }
  return out;
}

/** At most `max` evenly spaced points (a long run has hundreds of thousands of steps). */
function thin(points: [number, number][], max = 400): [number, number][] {
  if (points.length <= max) return points;
  const stride = points.length / max;
  const out: [number, number][] = [];
  for (let k = 0; k < max; k++) out.push(points[Math.floor(k * stride)]);
  out.push(points[points.length - 1]);
  return out;
}

function metricsTableHtml(metrics: MetricsByTask): string {
  const tasks = Object.keys(metrics);
  const names = (Object.keys(METRIC_LABELS) as MetricName[]).filter((m) =>
    tasks.some((t) => metrics[t][m] !== undefined),
  );
  const head = `<tr><th>task</th>${names.map((m) => `<th>${METRIC_LABELS[m]}</th>`).join('')}<th>rows</th></tr>`;
  const rows = tasks.map(
    (t) =>
      `<tr><td>${escapeXml(t)}</td>${names.map((m) => `<td>${metrics[t][m] === undefined ? '' : metrics[t][m]!.toFixed(4)}</td>`).join('')}<td>${metrics[t].count}</td></tr>`,
  );
  return `<table>${head}${rows.join('')}</table>`;
}

function lossCharts(history: TrainingHistory): string {
  const window = Math.max(1, Math.round(history.steps.length / 50));
  const series: Series[] = history.tasks.map((task) => ({
    name: task,
    points: thin(
      smooth(
        history.steps.map((s) => [s.step, s.losses[task]] as [number, number]),
        window,
      ),
    ),
  }));
  const epochSeries: Series[] = history.tasks.map((task) => ({
    name: task,
    points: history.epochs.map((e) => [e.epoch + 1, e.trainLoss[task]] as [number, number]),
  }));
  return (
    lineChart({
      title: `Training loss per task (moving average over ${window} steps)`,
      xLabel: 'step',
      yLabel: 'loss',
      series,
    }) + lineChart({ title: 'Mean training loss per epoch', xLabel: 'epoch', yLabel: 'loss', series: epochSeries })
  );
}

function metricCharts(history: TrainingHistory): string {
  const charts: string[] = [];
  for (const metric of Object.keys(METRIC_LABELS) as MetricName[]) {
    const series: Series[] = history.tasks
      .map((task) => ({
        name: task,
        points: history.epochs
          .filter((e) => e.validation?.[task]?.[metric] !== undefined)
          .map((e) => [e.epoch + 1, e.validation![task][metric]!] as [number, number]),
      }))
      .filter((s) => s.points.length > 0);
    if (series.length)
      charts.push(
        lineChart({
          title: `Validation ${METRIC_LABELS[metric]} per task`,
          xLabel: 'epoch',
          yLabel: METRIC_LABELS[metric],
          series,
        }),
      );
  }
  return charts.join('') || '<p class="muted">No validation split was evaluated.</p>';
}

function gateHeatmaps(history: TrainingHistory): string {
  const withGates = history.epochs.filter((e) => e.gates && Object.keys(e.gates).length > 0);
  if (withGates.length === 0) return '<p class="muted">This model has no gates (no expert utilisation to show).</p>';
  const last = withGates[withGates.length - 1];
  const gates = last.gates!;
  const rows = Object.keys(gates);
  const experts = Math.max(...rows.map((r) => gates[r].length));
  const final = heatmap({
    title: `Mean gate weight per expert, epoch ${last.epoch + 1} (validation split)`,
    rowLabels: rows,
    columnLabels: Array.from({ length: experts }, (_, e) => `e${e}`),
    values: rows.map((r) => Array.from({ length: experts }, (_, e) => gates[r][e] ?? 0)),
  });
  // How utilisation moved over training: one heatmap per task, epochs × experts.
  const perTask = rows.map((r) =>
    heatmap({
      title: `${r}: gate weight per expert by epoch`,
      rowLabels: withGates.map((e) => `epoch ${e.epoch + 1}`),
      columnLabels: Array.from({ length: experts }, (_, e) => `e${e}`),
      values: withGates.map((e) => Array.from({ length: experts }, (_, k) => e.gates![r]?.[k] ?? 0)),
    }),
  );
  return final + perTask.join('');
}

function conflictChart(history: TrainingHistory): string {
  if (history.gradientCosines.length === 0)
    return '<p class="muted">Gradient similarity was not sampled (--probe-every 0, or a single task).</p>';
  const series: Series[] = [];
  const T = history.tasks.length;
  for (let i = 0; i < T; i++) {
    for (let j = i + 1; j < T; j++) {
      series.push({
        name: `${history.tasks[i]} · ${history.tasks[j]}`,
        points: history.gradientCosines.map((p) => [p.step, p.cosines[i][j]] as [number, number]),
      });
    }
  }
  return lineChart({
    title: 'Cosine similarity of task gradients on the shared parameters',
    xLabel: 'step',
    yLabel: 'cosine',
    series,
    reference: 0,
  });
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f4f4f4}.muted{color:#777}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
svg{margin:6px 12px 6px 0;vertical-align:top}svg .title{font-size:13px;font-weight:600}svg .tick,svg .legend,svg .axis{font-size:11px;fill:#444}
.warning{background:#fff4e5;border:1px solid #f0b429;padding:6px 12px;margin:12px 0}
svg .cell{font-size:10px}svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg .reference{stroke:#999;stroke-dasharray:4 3}svg .muted{fill:#777}
`;

export function renderReport(input: ReportInput): string {
  const { history } = input;
  const diagnostics = trainingDiagnostics(history);
  const settings = Object.entries(input.settings)
    .map(([k, v]) => `<tr><td>${escapeXml(k)}</td><td>${escapeXml(String(v))}</td></tr>`)
    .join('');
  const epochs = history.epochs
    .map((e) => {
      const validation = e.validation ? metricsTableHtml(e.validation) : '<p class="muted">no validation</p>';
      return `<h3>Epoch ${e.epoch + 1}${e.improved ? ' (best so far)' : ''} <span class="muted">train ${e.trainSeconds.toFixed(1)} s, eval ${e.evalSeconds.toFixed(1)} s</span></h3>${validation}`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(input.title)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeXml(input.title)}</h1>
<p class="muted">Stopped: ${escapeXml(history.stopReason)} after ${history.steps.length} steps; training time ${history.trainSeconds.toFixed(1)} s${history.bestEpoch !== null ? `; best epoch ${history.bestEpoch + 1}` : ''}.</p>
${diagnosticsWarnings(diagnostics)}
<h2>Settings</h2><table>${settings}</table>
<h2>Test metrics</h2>${input.test ? metricsTableHtml(input.test) : '<p class="muted">not evaluated</p>'}
<h2>Loss curves</h2>${lossCharts(history)}
<h2>Validation metrics</h2>${metricCharts(history)}
<h2>Expert utilisation</h2>${gateHeatmaps(history)}
<h2>Task-gradient conflict</h2>${conflictChart(history)}
<h2>Gradient diagnostics</h2>${diagnosticsSection(diagnostics)}
<h2>Validation by epoch</h2>${epochs}
<h2>Model config</h2><pre>${escapeXml(JSON.stringify(input.modelConfig, null, 2))}</pre>
</body></html>
`;
}
