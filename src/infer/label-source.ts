/**
 * Where a task's label comes from: a table label by name, or a label restricted to the rows where another
 * (binary) label is 1 — e.g. CVR = conversion where click, the conversion rate measured on clicked impressions
 * (ESMM's pCVR is evaluated so; a naive CVR model is trained so).
 */
export type LabelSource = string | { label: string; where: string };

export interface LabelColumns {
  labels: Record<string, Float32Array>;
  masks: Record<string, Float32Array>;
}

/** The names a source reads. */
export function sourceColumns(source: LabelSource): string[] {
  return typeof source === 'string' ? [source] : [source.label, source.where];
}

export function describeSource(source: LabelSource): string {
  return typeof source === 'string' ? source : `${source.label} where ${source.where}`;
}

/** The label values and mask of a source (the mask restricted by `where`), or null when a column is missing. */
export function resolveLabel(
  rows: LabelColumns,
  source: LabelSource,
): { label: Float32Array; mask: Float32Array | undefined } | null {
  if (typeof source === 'string')
    return rows.labels[source] ? { label: rows.labels[source], mask: rows.masks[source] } : null;
  const label = rows.labels[source.label],
    where = rows.labels[source.where];
  if (!label || !where) return null;
  const own = rows.masks[source.label],
    whereMask = rows.masks[source.where];
  const mask = new Float32Array(label.length);
  for (let i = 0; i < mask.length; i++)
    mask[i] = where[i] === 1 && (own?.[i] ?? 1) !== 0 && (whereMask?.[i] ?? 1) !== 0 ? 1 : 0;
  return { label, mask };
}

/** Validates a JSON value as { task: LabelSource } (checkpoint metadata), naming what is wrong. */
export function isLabelSources(value: unknown): value is Record<string, LabelSource> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (v) =>
      typeof v === 'string' ||
      (typeof v === 'object' &&
        v !== null &&
        typeof (v as { label?: unknown }).label === 'string' &&
        typeof (v as { where?: unknown }).where === 'string'),
  );
}
