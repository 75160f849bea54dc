/**
 * The declarative description of a delimited text file: how to split it and what each column is for.
 * It is plain JSON on purpose: the fitted schema (vocabularies, normalisation) is saved next to a model and must
 * reproduce the exact encoding at inference time, so no functions live in here.
 */

/** A column by header name (or `format.columnNames` for headerless files) or by 0-based position. */
export type ColumnRef = string | number;

export interface TextFormat {
  /** Field separator. Default ','. Use '\t' for TSV. */
  delimiter?: string;
  /** Whether the first non-empty line holds the column names. Default true. */
  header?: boolean;
  /** Names for a headerless file, so columns can be referred to by name. */
  columnNames?: string[];
  /** Trim spaces around every field (needed for files that separate with ", "). Default true. */
  trim?: boolean;
  /** Quote character for fields containing the delimiter (RFC 4180 style, "" escapes a quote); null turns quoting off. Default '"'. Quoted fields cannot span lines. */
  quote?: string | null;
  /** Text encoding of the (decompressed) file. Default 'utf8'. */
  encoding?: 'utf8' | 'latin1';
}

export interface CategoricalColumn {
  role: 'categorical';
  column: ColumnRef;
  /** Feature name in the fitted schema; defaults to the column name. */
  name?: string;
  /** Values seen fewer times than this in the training split map to the OOV id 0. Overrides the table default. */
  minFrequency?: number;
}

export interface NumericColumn {
  role: 'numeric';
  column: ColumnRef;
  name?: string;
  /** Tokens that mean "missing" (e.g. '?', ''): they are imputed with the training mean. Any other non-number is a bad row. */
  missing?: string[];
  /** Standardise to zero mean and unit variance with training statistics. Default true. */
  standardize?: boolean;
}

export interface LabelColumn {
  role: 'label';
  column: ColumnRef;
  /** The task this label belongs to; one label column per task. */
  task: string;
  /** Binary task: the label is 1 when the value is one of these, else 0. Without it the value is parsed as a number. */
  positive?: string[];
  /** Tokens that mean "no label here": the task mask is 0 for that row (task-space masking). */
  missing?: string[];
}

export interface IgnoredColumn {
  role: 'ignore';
  column: ColumnRef;
}

export type ColumnSpec = CategoricalColumn | NumericColumn | LabelColumn | IgnoredColumn;

export interface TableSpec {
  format?: TextFormat;
  /** Columns not listed here are ignored. */
  columns: ColumnSpec[];
  /** Default minimum frequency for categorical vocabularies. Default 1 (every value seen in training). */
  minFrequency?: number;
}

export type BadRowPolicy = 'error' | 'skip';

export function columnDisplayName(ref: ColumnRef): string {
  return typeof ref === 'number' ? `#${ref}` : ref;
}

export function featureName(spec: CategoricalColumn | NumericColumn): string {
  return spec.name ?? (typeof spec.column === 'number' ? `col${spec.column}` : spec.column);
}

/** Resolved text format with defaults filled in. */
export function resolveFormat(format: TextFormat | undefined): Required<Omit<TextFormat, 'columnNames'>> & { columnNames?: string[] } {
  return {
    delimiter: format?.delimiter ?? ',',
    header: format?.header ?? true,
    columnNames: format?.columnNames,
    trim: format?.trim ?? true,
    quote: format?.quote === undefined ? '"' : format.quote,
    encoding: format?.encoding ?? 'utf8',
  };
}

/** Catches spec mistakes before any file is opened. */
export function validateSpec(spec: TableSpec): void {
  const seenColumns = new Set<string>();
  const seenTasks = new Set<string>();
  const seenFeatures = new Set<string>();
  for (const column of spec.columns) {
    const key = typeof column.column === 'number' ? `#${column.column}` : `name:${column.column}`;
    if (typeof column.column === 'number' && !(Number.isInteger(column.column) && column.column >= 0)) {
      throw new Error(`schema: column index ${column.column} must be a non-negative integer`);
    }
    if (seenColumns.has(key)) throw new Error(`schema: column ${columnDisplayName(column.column)} is listed twice`);
    seenColumns.add(key);
    if (column.role === 'label') {
      if (seenTasks.has(column.task)) throw new Error(`schema: task "${column.task}" has two label columns`);
      seenTasks.add(column.task);
    } else if (column.role === 'categorical' || column.role === 'numeric') {
      const name = featureName(column);
      if (seenFeatures.has(name)) throw new Error(`schema: feature name "${name}" is used twice`);
      seenFeatures.add(name);
      if (column.role === 'categorical' && column.minFrequency !== undefined && !(column.minFrequency >= 1)) {
        throw new Error(`schema: minFrequency of "${name}" must be >= 1`);
      }
    } else if (column.role !== 'ignore') {
      throw new Error(`schema: unknown role ${JSON.stringify((column as { role: unknown }).role)}`);
    }
  }
  if (spec.minFrequency !== undefined && !(spec.minFrequency >= 1)) throw new Error('schema: minFrequency must be >= 1');
}
