/**
 * The report's diagnostics section (src/train/diagnostics.ts): warnings first, in words; then per-task gradient
 * norms and their ratio, the strategy's weights per probe step, the cosine summary and the expert-usage table.
 */
import type { TrainingDiagnostics } from '../../train/diagnostics.js';
import { escapeXml, lineChart, type Series } from './svg.js';

export function diagnosticsWarnings(d: TrainingDiagnostics): string {
  if (d.warnings.length === 0) return '';
  return `<div class="warning"><strong>Warnings</strong><ul>${d.warnings.map((w) => `<li>${escapeXml(w)}</li>`).join('')}</ul></div>`;
}

export function diagnosticsSection(d: TrainingDiagnostics): string {
  const parts: string[] = [];
  if (d.gradientNorms.length) {
    const series: Series[] = d.tasks.map((t, k) => ({
      name: t,
      points: d.gradientNorms.map((g) => [g.step, g.norms[k]] as [number, number]),
    }));
    parts.push(
      lineChart({ title: 'Task-gradient norm on the shared parameters', xLabel: 'step', yLabel: '‖∇L‖', series }),
    );
    const ratio = d.gradientNorms.filter((g) => Number.isFinite(g.ratio));
    if (ratio.length)
      parts.push(
        lineChart({
          title: 'Largest / smallest task-gradient norm',
          xLabel: 'step',
          yLabel: 'ratio',
          series: [{ name: 'max/min', points: ratio.map((g) => [g.step, g.ratio] as [number, number]) }],
          reference: 1,
        }),
      );
  } else parts.push('<p class="muted">Gradient norms were not sampled (--probe-every 0, or a single task).</p>');
  if (d.weights.length) {
    const series: Series[] = d.tasks.map((t, k) => ({
      name: t,
      points: d.weights.map((w) => [w.step, w.weights[k]] as [number, number]),
    }));
    parts.push(
      lineChart({
        title: 'Weight (or gradient coefficient) the strategy assigned per task',
        xLabel: 'step',
        yLabel: 'weight',
        series,
      }),
    );
  } else
    parts.push(
      '<p class="muted">The loss combination assigns no per-task weights (plain sum, PCGrad, GradDrop) or they were not sampled.</p>',
    );
  if (d.cosines.length) {
    const rows = d.cosines
      .map(
        (c) =>
          `<tr><td>${escapeXml(c.pair.join(' · '))}</td><td>${c.mean.toFixed(3)}</td><td>${(100 * c.negativeFraction).toFixed(0)}%</td><td>${c.last.toFixed(3)}</td></tr>`,
      )
      .join('');
    parts.push(
      `<table><tr><th>task pair</th><th>mean cosine</th><th>probes in conflict (&lt; 0)</th><th>last</th></tr>${rows}</table>`,
    );
  }
  if (d.experts) {
    const rows = d.experts.gates
      .map(
        (g) =>
          `<tr><td>${escapeXml(g.gate)}</td><td>${g.used.length} of ${g.experts}</td><td>${g.used.map((e) => `e${e}`).join(' ')}</td><td>${(100 * g.usedShare).toFixed(0)}%</td></tr>`,
      )
      .join('');
    const idle =
      d.experts.idle === null
        ? ''
        : `<p>Idle experts (used by no gate): ${d.experts.idle.length ? d.experts.idle.map((e) => `e${e}`).join(', ') : 'none'}.</p>`;
    parts.push(
      `<table><tr><th>gate</th><th>experts used (≥ half the uniform share)</th><th>which</th><th>their share</th></tr>${rows}</table>${idle}`,
    );
  }
  return parts.join('');
}
