/**
 * Minimal inline-SVG charts for the self-contained report: line charts with axes and a legend, and a heatmap with
 * a value in every cell. No scripts, no fonts beyond the system's, no network.
 */

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export interface Series {
  name: string;
  points: [number, number][];
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel?: string;
  series: Series[];
  /** Draw a dashed line at this y (e.g. 0 for cosines). */
  reference?: number;
  /** Fixed y range; otherwise fitted to the data. */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

/** 1, 2 or 5 × 10^k ticks covering [lo, hi]. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function label(v: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 560;
  const height = options.height ?? 300;
  const margin = { left: 60, right: 16, top: 30, bottom: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const finite = options.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const title = `<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeXml(options.title)}</text>`;
  if (finite.length === 0) {
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img">${title}` +
      `<text x="${width / 2}" y="${height / 2}" text-anchor="middle" class="muted">no data</text></svg>`
    );
  }
  let [xMin, xMax] = [Math.min(...finite.map((p) => p[0])), Math.max(...finite.map((p) => p[0]))];
  let [yMin, yMax] = options.yRange ?? [Math.min(...finite.map((p) => p[1])), Math.max(...finite.map((p) => p[1]))];
  if (options.reference !== undefined && !options.yRange) {
    yMin = Math.min(yMin, options.reference);
    yMax = Math.max(yMax, options.reference);
  }
  if (xMax === xMin) {
    xMin -= 1;
    xMax += 1;
  }
  if (yMax === yMin) {
    const pad = Math.abs(yMin) * 0.05 || 1;
    yMin -= pad;
    yMax += pad;
  }
  const sx = (x: number) => margin.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y: number) => margin.top + (1 - (y - yMin) / (yMax - yMin)) * plotH;
  const parts: string[] = [title];
  for (const t of ticks(yMin, yMax)) {
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${margin.left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${label(t)}</text>`,
    );
  }
  for (const t of ticks(xMin, xMax)) {
    parts.push(
      `<text x="${sx(t).toFixed(1)}" y="${margin.top + plotH + 16}" text-anchor="middle" class="tick">${label(t)}</text>`,
    );
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" class="frame"/>`);
  if (options.reference !== undefined) {
    const y = sy(options.reference).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" class="reference"/>`);
  }
  options.series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 1) {
      parts.push(`<circle cx="${sx(pts[0][0]).toFixed(1)}" cy="${sy(pts[0][1]).toFixed(1)}" r="3" fill="${colour}"/>`);
    } else if (pts.length > 1) {
      const d = pts.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.6"/>`);
      if (pts.length <= 30)
        for (const [x, y] of pts)
          parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${colour}"/>`);
    }
    const lx = margin.left + (i % 3) * Math.floor(plotW / 3);
    const ly = height - 12 - Math.floor(i / 3) * 14;
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="10" fill="${colour}"/><text x="${lx + 14}" y="${ly + 1}" class="legend">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push(
    `<text x="${margin.left + plotW / 2}" y="${margin.top + plotH + 32}" text-anchor="middle" class="axis">${escapeXml(options.xLabel)}</text>`,
  );
  if (options.yLabel) {
    parts.push(
      `<text transform="translate(14 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle" class="axis">${escapeXml(options.yLabel)}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}

export interface HeatmapOptions {
  title: string;
  rowLabels: string[];
  columnLabels: string[];
  /** values[row][column], expected in [0, max]. */
  values: number[][];
  max?: number;
}

/** White → blue cells, each labelled with its value. */
export function heatmap(options: HeatmapOptions): string {
  const cell = 44;
  const left = 12 + Math.max(...options.rowLabels.map((l) => l.length), 4) * 7;
  const top = 44;
  const width = left + options.columnLabels.length * cell + 16;
  const height = top + options.rowLabels.length * cell + 16;
  const max = options.max ?? Math.max(1e-12, ...options.values.flat().filter(Number.isFinite));
  const parts = [`<text x="${width / 2}" y="18" text-anchor="middle" class="title">${escapeXml(options.title)}</text>`];
  options.columnLabels.forEach((c, j) => {
    parts.push(
      `<text x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle" class="tick">${escapeXml(c)}</text>`,
    );
  });
  options.rowLabels.forEach((r, i) => {
    parts.push(
      `<text x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${escapeXml(r)}</text>`,
    );
    options.values[i].forEach((v, j) => {
      const t = Math.max(0, Math.min(1, v / max));
      const fill = `rgb(${Math.round(255 - t * 224)},${Math.round(255 - t * 136)},${Math.round(255 - t * 75)})`;
      const text = t > 0.55 ? '#fff' : '#222';
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"><title>${escapeXml(`${r}, ${options.columnLabels[j]}: ${v.toFixed(4)}`)}</title></rect>`,
      );
      parts.push(
        `<text x="${left + j * cell + cell / 2 - 1}" y="${top + i * cell + cell / 2 + 3}" text-anchor="middle" class="cell" fill="${text}">${v.toFixed(2)}</text>`,
      );
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img">${parts.join('')}</svg>`;
}
