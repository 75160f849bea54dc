/**
 * `mtgrad compare RUN_DIR...`: runs written by `mtgrad train` side by side — the settings that differ, the test
 * metrics (with training time per step), and the curves of every run overlaid per task (training loss per epoch,
 * validation metric per epoch, training loss per step). A table on stdout and one self-contained HTML page.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { TrainingHistory } from '../../train/events.js';
import type { MetricName, MetricsByTask } from '../../train/task-metrics.js';
import { Flags, parseCommand, UsageError, type CommandSpec } from '../args.js';
import { formatNumber, renderTable } from '../format.js';
import { println, type CommandIO } from '../io.js';
import { escapeXml, lineChart, type Series } from '../report/svg.js';

export const compareSpec: CommandSpec = {
  name: 'compare',
  summary:
    'Put training runs side by side: settings that differ, test metrics, curves overlaid (table on stdout + one HTML page).',
  usage: 'mtgrad compare RUN_DIR RUN_DIR... [--out compare.html]',
  options: {
    out: { type: 'string', value: 'FILE', help: 'the HTML page to write', default: 'compare.html' },
  },
  notes: ['Each RUN_DIR is an --out folder of mtgrad train (it reads RUN_DIR/metrics.json).'],
};

export interface RunRecord {
  label: string;
  dir: string;
  settings: Record<string, string | number | boolean>;
  test: MetricsByTask;
  history: TrainingHistory;
}

/** Measurements, not settings: shown with the metrics instead of as differences. */
const MEASURED = new Set(['training seconds', 'wall seconds', 'epochs run', 'stopped']);
const METRICS: [MetricName, string][] = [
  ['auc', 'AUC'],
  ['logloss', 'log loss'],
  ['accuracy', 'accuracy'],
  ['rmse', 'RMSE'],
  ['mae', 'MAE'],
];

export async function readRun(dir: string): Promise<Omit<RunRecord, 'label'>> {
  const file = join(dir, 'metrics.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(
      `${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass --out folders of mtgrad train`,
    );
  }
  let json: { settings?: RunRecord['settings']; test?: MetricsByTask; history?: TrainingHistory };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!json.settings || !json.test || !json.history)
    throw new Error(`${file}: expected the settings, test and history that mtgrad train writes`);
  return { dir, settings: json.settings, test: json.test, history: json.history };
}

function labels(dirs: string[]): string[] {
  const names = dirs.map((d) => basename(resolve(d)));
  return names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? `${n}#${i + 1}` : n));
}

export function differingSettings(runs: readonly RunRecord[]): { differ: string[]; same: string[] } {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.settings)))].filter((k) => !MEASURED.has(k));
  const differ = keys.filter((k) => new Set(runs.map((r) => JSON.stringify(r.settings[k] ?? null))).size > 1);
  return { differ, same: keys.filter((k) => !differ.includes(k)) };
}

/** Metric columns: task · metric for every metric any run has for the task. */
function metricColumns(runs: readonly RunRecord[]): [string, MetricName, string][] {
  const tasks = [...new Set(runs.flatMap((r) => Object.keys(r.test)))];
  return tasks.flatMap((t) =>
    METRICS.filter(([m]) => runs.some((r) => r.test[t]?.[m] !== undefined)).map(
      ([m, label]) => [t, m, `${t} ${label}`] as [string, MetricName, string],
    ),
  );
}

function secondsPerStep(r: RunRecord): number | undefined {
  const steps = r.history.steps.length;
  return steps > 0 && r.history.trainSeconds > 0 ? r.history.trainSeconds / steps : undefined;
}

export function compareTables(runs: readonly RunRecord[]): string {
  const { differ } = differingSettings(runs);
  const settings = differ.length
    ? renderTable(
        ['setting', ...runs.map((r) => r.label)],
        differ.map((k) => [k, ...runs.map((r) => String(r.settings[k] ?? '—'))]),
      )
    : '(every setting is the same)';
  const cols = metricColumns(runs);
  const metrics = renderTable(
    ['run', ...cols.map(([, , l]) => l), 'ms/step'],
    runs.map((r) => [
      r.label,
      ...cols.map(([t, m]) => formatNumber(r.test[t]?.[m])),
      formatNumber(secondsPerStep(r) === undefined ? undefined : secondsPerStep(r)! * 1000, 1),
    ]),
  );
  return `settings that differ:\n${settings}\n\ntest metrics:\n${metrics}`;
}

function curves(runs: readonly RunRecord[]): string {
  const tasks = [...new Set(runs.flatMap((r) => r.history.tasks))];
  const out: string[] = [];
  for (const task of tasks) {
    const perEpoch: Series[] = runs.map((r) => ({
      name: r.label,
      points: r.history.epochs
        .filter((e) => e.trainLoss[task] !== undefined)
        .map((e) => [e.epoch + 1, e.trainLoss[task]] as [number, number]),
    }));
    out.push(
      lineChart({
        title: `${task}: mean training loss per epoch`,
        xLabel: 'epoch',
        yLabel: 'loss',
        series: perEpoch.filter((s) => s.points.length),
      }),
    );
    for (const [m, label] of METRICS) {
      const series = runs
        .map((r) => ({
          name: r.label,
          points: r.history.epochs
            .filter((e) => e.validation?.[task]?.[m] !== undefined)
            .map((e) => [e.epoch + 1, e.validation![task][m]!] as [number, number]),
        }))
        .filter((s) => s.points.length);
      if (series.length && (m === 'auc' || m === 'rmse'))
        out.push(
          lineChart({ title: `${task}: validation ${label} per epoch`, xLabel: 'epoch', yLabel: label, series }),
        );
    }
    const steps: Series[] = runs.map((r) => {
      const pts = r.history.steps
        .filter((s) => s.losses[task] !== undefined)
        .map((s) => [s.step, s.losses[task]] as [number, number]);
      const window = Math.max(1, Math.round(pts.length / 50));
      const smoothed: [number, number][] = [];
      let acc = 0;
      pts.forEach((p, i) => {
        acc += p[1];
        if (i >= window) acc -= pts[i - window][1];
        smoothed.push([p[0], acc / Math.min(i + 1, window)]);
      });
      const stride = Math.max(1, Math.floor(smoothed.length / 300));
      return { name: r.label, points: smoothed.filter((_, i) => i % stride === 0 || i === smoothed.length - 1) };
    });
    out.push(
      lineChart({
        title: `${task}: training loss per step (moving average)`,
        xLabel: 'step',
        yLabel: 'loss',
        series: steps.filter((s) => s.points.length),
      }),
    );
  }
  return out.join('');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1180px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
th{background:#f4f4f4}.best{font-weight:700;background:#eef7ee}.muted{color:#777}
svg{margin:6px 12px 6px 0;vertical-align:top}svg .title{font-size:13px;font-weight:600}svg .tick,svg .legend,svg .axis{font-size:11px;fill:#444}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg .reference{stroke:#999;stroke-dasharray:4 3}svg .muted{fill:#777}`;

export function compareHtml(runs: readonly RunRecord[]): string {
  const { differ, same } = differingSettings(runs);
  const head = `<tr><th></th>${runs.map((r) => `<th>${escapeXml(r.label)}</th>`).join('')}</tr>`;
  const settings = differ.length
    ? `<table>${head}${differ.map((k) => `<tr><td>${escapeXml(k)}</td>${runs.map((r) => `<td>${escapeXml(String(r.settings[k] ?? '—'))}</td>`).join('')}</tr>`).join('')}</table>`
    : '<p class="muted">Every setting is the same.</p>';
  const common = same.length
    ? `<p class="muted">Same in every run: ${same.map((k) => `${escapeXml(k)} = ${escapeXml(String(runs[0].settings[k]))}`).join('; ')}.</p>`
    : '';
  const cols = metricColumns(runs);
  const lowerBetter = new Set<MetricName>(['logloss', 'rmse', 'mae']);
  const best = cols.map(([t, m]) => {
    const vals = runs.map((r) => r.test[t]?.[m]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    return vals.length ? (lowerBetter.has(m) ? Math.min(...vals) : Math.max(...vals)) : undefined;
  });
  const metricRows = runs
    .map(
      (r) =>
        `<tr><td>${escapeXml(r.label)}</td>${cols
          .map(([t, m], c) => {
            const v = r.test[t]?.[m];
            return `<td${v !== undefined && v === best[c] && runs.length > 1 ? ' class="best"' : ''}>${formatNumber(v)}</td>`;
          })
          .join(
            '',
          )}<td>${formatNumber(secondsPerStep(r) === undefined ? undefined : secondsPerStep(r)! * 1000, 1)}</td></tr>`,
    )
    .join('');
  const metrics = `<table><tr><th>run</th>${cols.map(([, , l]) => `<th>${escapeXml(l)}</th>`).join('')}<th>ms / step</th></tr>${metricRows}</table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mtgrad compare</title><style>${STYLE}</style></head>
<body>
<h1>${runs.length} runs compared</h1>
<p class="muted">${runs.map((r) => `${escapeXml(r.label)}: ${escapeXml(r.dir)}`).join('<br>')}</p>
<h2>Settings that differ</h2>${settings}${common}
<h2>Test metrics</h2>${metrics}<p class="muted">Best per column in bold. ms / step is training time over steps, as measured by each run on its machine at the time.</p>
<h2>Curves</h2>${curves(runs)}
</body></html>
`;
}

export async function compareCommand(argv: string[], io: CommandIO): Promise<number> {
  const parsed = parseCommand(compareSpec, argv, (t) => io.stdout.write(t));
  if (!parsed) return 0;
  const f = new Flags('compare', parsed.values);
  const dirs = parsed.positionals;
  if (dirs.length < 2) throw new UsageError(`give at least two run folders to compare, got ${dirs.length}`);
  const names = labels(dirs);
  const runs: RunRecord[] = [];
  for (const [i, dir] of dirs.entries()) runs.push({ label: names[i], ...(await readRun(dir)) });
  println(io.stdout, compareTables(runs));
  const out = resolve(f.string('out')!);
  await writeFile(out, compareHtml(runs));
  println(io.stderr, `wrote ${out}`);
  return 0;
}
