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

/** How a label is read: a 0/1 target (binary) or a real value (regression). Same values as the Trainer's TaskKind. */
export type LabelKind = 'binary' | 'regression';

export interface LabelColumn {
  role: 'label';
  column: ColumnRef;
  /** The task this label belongs to; one label column per task (a column may feed several tasks). */
  task: string;
  /**
   * 'binary' checks every value at load: it must be one of `positive`/`negative` or, without `positive`, the number
   * 0 or 1; anything else (2, -1, 0.5) is a bad row naming file, line, column and task. Absent: binary when
   * `positive` is given, else any finite number is accepted.
   */
  kind?: LabelKind;
  /** Binary task: the label is 1 when the value is one of these. Without it the value is parsed as a number. */
  positive?: string[];
  /** Binary task with `positive`: the values that mean 0; any other value is a bad row. Absent: every value not in `positive` is 0. */
  negative?: string[];
  /** Tokens that mean "no label here": the task mask is 0 for that row (task-space masking). */
  missing?: string[];
}

export interface IgnoredColumn {
  role: 'ignore';
  column: ColumnRef;
}

export type ColumnSpec = CategoricalColumn | NumericColumn | LabelColumn | IgnoredColumn;

/**
 * A cascade: the child task's positives are a subset of the parent's (conversion ⊂ click), as ESMM and AITM assume.
 * Both tasks are binary; a row whose child label is 1 while the parent's is 0 (or missing) is a bad row.
 */
export interface TaskRelation {
  kind: 'cascade';
  parent: string;
  child: string;
}

export interface TableSpec {
  format?: TextFormat;
  /** Columns not listed here are ignored. */
  columns: ColumnSpec[];
  /** Relations between the tasks of the label columns, checked on every row. */
  relations?: TaskRelation[];
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
export function resolveFormat(
  format: TextFormat | undefined,
): Required<Omit<TextFormat, 'columnNames'>> & { columnNames?: string[] } {
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
  const labelColumns = new Set<string>();
  const roleOf = new Map<string, string>();
  const binaryTasks = new Set<string>();
  for (const column of spec.columns) {
    const key = typeof column.column === 'number' ? `#${column.column}` : `name:${column.column}`;
    if (typeof column.column === 'number' && !(Number.isInteger(column.column) && column.column >= 0)) {
      throw new Error(`schema: column index ${column.column} must be a non-negative integer`);
    }
    // A label column may feed several tasks; any other column is listed once, and never also as a label.
    const display = columnDisplayName(column.column);
    if (column.role === 'label') {
      if (seenColumns.has(key))
        throw new Error(
          `schema: column ${display} is the label of task "${column.task}" and also listed as ${roleOf.get(key)}`,
        );
      labelColumns.add(key);
    } else {
      if (seenColumns.has(key)) throw new Error(`schema: column ${display} is listed twice`);
      if (labelColumns.has(key))
        throw new Error(`schema: column ${display} is a label and also listed as ${column.role}`);
      seenColumns.add(key);
      roleOf.set(key, column.role);
    }
    if (column.role === 'label') {
      if (seenTasks.has(column.task)) throw new Error(`schema: task "${column.task}" has two label columns`);
      seenTasks.add(column.task);
      if (column.kind !== undefined && column.kind !== 'binary' && column.kind !== 'regression') {
        throw new Error(
          `schema: task "${column.task}": kind must be 'binary' or 'regression', got ${JSON.stringify(column.kind)}`,
        );
      }
      if (column.kind === 'regression' && (column.positive !== undefined || column.negative !== undefined)) {
        throw new Error(
          `schema: task "${column.task}" is a regression task: positive/negative values apply to binary tasks only`,
        );
      }
      if (column.negative !== undefined && column.positive === undefined) {
        throw new Error(`schema: task "${column.task}": negative values need positive values too`);
      }
      const overlap = column.negative?.find((v) => column.positive?.includes(v));
      if (overlap !== undefined)
        throw new Error(`schema: task "${column.task}": "${overlap}" is both a positive and a negative value`);
      if (labelKind(column) === 'binary') binaryTasks.add(column.task);
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
  if (spec.minFrequency !== undefined && !(spec.minFrequency >= 1))
    throw new Error('schema: minFrequency must be >= 1');
  for (const relation of spec.relations ?? []) {
    if (relation.kind !== 'cascade')
      throw new Error(`schema: relation kind must be 'cascade', got ${JSON.stringify(relation.kind)}`);
    for (const task of [relation.parent, relation.child]) {
      if (!seenTasks.has(task))
        throw new Error(`schema: cascade ${relation.parent} → ${relation.child}: no label column for task "${task}"`);
      if (!binaryTasks.has(task))
        throw new Error(`schema: cascade ${relation.parent} → ${relation.child}: task "${task}" must be binary`);
    }
    if (relation.parent === relation.child)
      throw new Error(`schema: cascade ${relation.parent} → ${relation.child}: a task cannot be its own parent`);
  }
}

/** The kind of a label column: declared, else binary when it lists positive values, else regression. */
export function labelKind(column: LabelColumn): LabelKind {
  return column.kind ?? (column.positive !== undefined ? 'binary' : 'regression');
}
