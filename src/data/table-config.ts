/**
 * A user's own table described in JSON (the `--config` file of `mtgrad train`, or `DatasetSpec.config`): which
 * columns are features, which are labels of which tasks, how tasks relate, and how to split the rows.
 *
 *   {
 *     "format":  { "delimiter": "\t", "header": true },                    optional; CSV with a header by default
 *     "columns": { "user": "categorical", "price": "numeric", "ts": "ignore",
 *                  "age": { "type": "numeric", "missing": ["?"], "standardize": true },
 *                  "shop": { "type": "categorical", "minFrequency": 5, "name": "shop_id" } },  unlisted: ignored
 *     "tasks": [ { "name": "click", "kind": "binary", "label": "clicked" },   0/1 labels: positive ["1"], negative ["0"]
 *                { "name": "buy", "kind": "binary", "label": "bought", "positive": ["yes"], "negative": ["no"] },
 *                { "name": "dwell", "kind": "regression", "label": "seconds", "missing": [""] } ],
 *     "relations": [ { "kind": "cascade", "parent": "click", "child": "buy" } ],  buy ⊂ click, checked per row
 *     "split": { "validation": 0.1, "test": 0.1, "seed": 0 }          seeded fractions of one file, or given files:
 *              { "train": "train.csv.gz", "validation": "val.csv", "test": ["test1.csv", "test2.csv"] },
 *     "minFrequency": 1, "badRows": "error"                               optional
 *   }
 *
 * Binary labels are checked at load: a value that is neither positive nor negative is a bad row naming file, line,
 * column and task. A binary task that lists positive values lists negative ones too, or says "negative": "rest"
 * (every value not positive is a 0, e.g. many marital statuses against "Never married"). Relative file paths are resolved
 * against `baseDir` (the config file's folder) by `resolveTableConfigPaths`. A feature is named after its column made
 * an identifier (`205` → f205, `unit price` → unit_price) unless it declares a "name"; two features with one name
 * are an error.
 */
import { isAbsolute, resolve } from 'node:path';
import {
  boolean,
  ConfigError,
  number,
  object,
  oneOf,
  string,
  strings,
  tokens,
  type JsonObject,
} from './config-check.js';
import { datasetTables, type DatasetTables } from './dataset-tables.js';
import type { ColumnSpec, LabelKind, TableSpec, TaskRelation, TextFormat, BadRowPolicy } from './schema.js';
import { fitTable, fitTableSplit, readTable } from './table-reader.js';

export type ColumnConfig =
  | 'categorical'
  | 'numeric'
  | 'ignore'
  | { type: 'categorical'; name?: string; minFrequency?: number }
  | { type: 'numeric'; name?: string; missing?: string[]; standardize?: boolean }
  | { type: 'ignore' };

export interface TaskConfig {
  name: string;
  kind: LabelKind;
  /** The column holding the label (several tasks may share one). */
  label: string;
  positive?: string[];
  negative?: string[] | 'rest';
  missing?: string[];
}

export type SplitConfig =
  | { validation: number; test: number; seed?: number }
  | { train: string[]; validation: string[]; test: string[] };

export interface TableConfig {
  format?: TextFormat;
  columns: Record<string, ColumnConfig>;
  tasks: TaskConfig[];
  relations?: TaskRelation[];
  split: SplitConfig;
  minFrequency?: number;
  badRows?: BadRowPolicy;
}

/** What a feature name must look like (model configs and JSON input rows key features by it). */
const FEATURE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A column's feature name: its `name`, else the column name made an identifier (`205` → f205, `unit price` → unit_price). */
export function featureNameOf(column: string, declared: string | undefined): string {
  if (declared !== undefined) return declared;
  const cleaned = column.replace(/[^A-Za-z0-9_]+/g, '_');
  return /^[A-Za-z]/.test(cleaned) ? cleaned : `f${cleaned}`;
}

export const TABLE_CONFIG_KEYS = [
  'format',
  'columns',
  'tasks',
  'relations',
  'split',
  'minFrequency',
  'badRows',
] as const;

function parseFormat(value: unknown, at: string): TextFormat {
  const o = object(value, at, ['delimiter', 'header', 'columnNames', 'trim', 'quote', 'encoding']);
  const format: TextFormat = {};
  if (o.delimiter !== undefined)
    format.delimiter = string(o.delimiter, `${at}.delimiter`, 'a delimiter such as "," or "\\t"');
  if (o.header !== undefined) format.header = boolean(o.header, `${at}.header`);
  if (o.columnNames !== undefined) format.columnNames = strings(o.columnNames, `${at}.columnNames`, 'a column name');
  if (o.trim !== undefined) format.trim = boolean(o.trim, `${at}.trim`);
  if (o.quote !== undefined)
    format.quote = o.quote === null ? null : string(o.quote, `${at}.quote`, 'a quote character or null');
  if (o.encoding !== undefined) format.encoding = oneOf(o.encoding, `${at}.encoding`, ['utf8', 'latin1'] as const);
  if (format.header === false && format.columnNames === undefined) {
    throw new ConfigError(
      `${at}.columnNames`,
      'expected the column names of a file without a header (format.header is false)',
    );
  }
  return format;
}

function parseColumn(value: unknown, at: string): ColumnConfig {
  if (typeof value === 'string') return oneOf(value, at, ['categorical', 'numeric', 'ignore'] as const);
  const o = object(value, at);
  const type = oneOf(o.type, `${at}.type`, ['categorical', 'numeric', 'ignore'] as const);
  const name = o.name === undefined ? undefined : string(o.name, `${at}.name`, 'a feature name');
  if (name !== undefined && !FEATURE_NAME.test(name))
    throw new ConfigError(`${at}.name`, 'expected letters, digits and _ starting with a letter', name);
  if (type === 'categorical') {
    object(value, at, ['type', 'name', 'minFrequency']);
    const minFrequency =
      o.minFrequency === undefined
        ? undefined
        : number(o.minFrequency, `${at}.minFrequency`, (n) => Number.isInteger(n) && n >= 1, 'an integer >= 1');
    return { type, ...(name !== undefined ? { name } : {}), ...(minFrequency !== undefined ? { minFrequency } : {}) };
  }
  if (type === 'numeric') {
    object(value, at, ['type', 'name', 'missing', 'standardize']);
    return {
      type,
      ...(name !== undefined ? { name } : {}),
      ...(o.missing !== undefined ? { missing: tokens(o.missing, `${at}.missing`) } : {}),
      ...(o.standardize !== undefined ? { standardize: boolean(o.standardize, `${at}.standardize`) } : {}),
    };
  }
  object(value, at, ['type']);
  return { type };
}

function parseTask(value: unknown, at: string, columns: Record<string, ColumnConfig>): TaskConfig {
  const o = object(value, at, ['name', 'kind', 'label', 'positive', 'negative', 'missing']);
  const name = string(o.name, `${at}.name`, 'a task name');
  const kind = oneOf(o.kind, `${at}.kind`, ['binary', 'regression'] as const);
  const label = string(o.label, `${at}.label`, 'a column name');
  if (columns[label] !== undefined && columns[label] !== 'ignore') {
    throw new ConfigError(
      `${at}.label`,
      `expected a label column, but "${label}" is declared as a feature in config.columns`,
    );
  }
  const task: TaskConfig = { name, kind, label };
  if (kind === 'binary') {
    if (o.positive !== undefined) task.positive = tokens(o.positive, `${at}.positive`);
    if (o.negative !== undefined) task.negative = o.negative === 'rest' ? 'rest' : tokens(o.negative, `${at}.negative`);
    if (task.positive?.length === 0) throw new ConfigError(`${at}.positive`, 'expected at least one value');
    if (task.negative !== undefined && task.positive === undefined) {
      throw new ConfigError(
        `${at}.positive`,
        'expected the values that mean 1 (negative values are listed, so positive ones must be too)',
      );
    }
    if (task.negative === undefined && task.positive !== undefined) {
      throw new ConfigError(
        `${at}.negative`,
        'expected the values that mean 0 (or "rest": every value not listed as positive)',
      );
    }
    if (task.positive === undefined) {
      task.positive = ['1'];
      task.negative = ['0'];
    }
  } else {
    for (const key of ['positive', 'negative'] as const) {
      if (o[key] !== undefined)
        throw new ConfigError(`${at}.${key}`, `applies to binary tasks only (this task's kind is "regression")`);
    }
  }
  if (o.missing !== undefined) task.missing = tokens(o.missing, `${at}.missing`);
  return task;
}

function parseSplit(value: unknown, at: string): SplitConfig {
  const o = object(value, at);
  if (o.train !== undefined) {
    object(value, at, ['train', 'validation', 'test']);
    return {
      train: strings(o.train, `${at}.train`, 'a file path'),
      validation: strings(o.validation, `${at}.validation`, 'a file path'),
      test: strings(o.test, `${at}.test`, 'a file path'),
    };
  }
  object(value, at, ['validation', 'test', 'seed']);
  const fraction = (key: 'validation' | 'test') =>
    number(
      o[key],
      `${at}.${key}`,
      (n) => n >= 0 && n < 1,
      'a fraction in [0, 1) (or give "train"/"validation"/"test" files)',
    );
  const split = { validation: fraction('validation'), test: fraction('test') };
  if (!(split.validation + split.test < 1))
    throw new ConfigError(
      `${at}.test`,
      `expected validation + test < 1 so that rows are left to train on`,
      split.validation + split.test,
    );
  if (split.test === 0)
    throw new ConfigError(`${at}.test`, 'expected a fraction > 0 (the test split would be empty)', 0);
  const seed =
    o.seed === undefined
      ? undefined
      : number(o.seed, `${at}.seed`, (n) => Number.isInteger(n) && n >= 0, 'a non-negative integer');
  return { ...split, ...(seed !== undefined ? { seed } : {}) };
}

/** Validates a table config (from a file or a checkpoint's metadata); `at` is the key path of `value`. */
export function parseTableConfig(value: unknown, at = 'config'): TableConfig {
  const o: JsonObject = object(value, at);
  const config: TableConfig = { columns: {}, tasks: [], split: { validation: 0.1, test: 0.1 } };
  if (o.format !== undefined) config.format = parseFormat(o.format, `${at}.format`);
  const columns = object(o.columns, `${at}.columns`);
  for (const [name, column] of Object.entries(columns))
    config.columns[name] = parseColumn(column, `${at}.columns.${name}`);
  if (!Object.values(config.columns).some((c) => c !== 'ignore' && (typeof c === 'string' || c.type !== 'ignore'))) {
    throw new ConfigError(`${at}.columns`, 'expected at least one categorical or numeric column');
  }
  if (!Array.isArray(o.tasks) || o.tasks.length === 0)
    throw new ConfigError(`${at}.tasks`, 'expected a non-empty list of tasks', o.tasks);
  const names = new Set<string>();
  o.tasks.forEach((task, i) => {
    const parsed = parseTask(task, `${at}.tasks[${i}]`, config.columns);
    if (names.has(parsed.name))
      throw new ConfigError(`${at}.tasks[${i}].name`, `expected a task name not used before, "${parsed.name}" is`);
    names.add(parsed.name);
    config.tasks.push(parsed);
  });
  if (o.relations !== undefined) {
    if (!Array.isArray(o.relations))
      throw new ConfigError(`${at}.relations`, 'expected a list of relations', o.relations);
    config.relations = o.relations.map((relation, i) => {
      const where = `${at}.relations[${i}]`;
      const r = object(relation, where, ['kind', 'parent', 'child']);
      const kind = oneOf(r.kind, `${where}.kind`, ['cascade'] as const);
      const endpoint = (key: 'parent' | 'child'): string => {
        const task = string(r[key], `${where}.${key}`, 'a task name');
        const declared = config.tasks.find((t) => t.name === task);
        if (!declared)
          throw new ConfigError(
            `${where}.${key}`,
            `expected one of the tasks (${config.tasks.map((t) => t.name).join(', ')})`,
            task,
          );
        if (declared.kind !== 'binary')
          throw new ConfigError(`${where}.${key}`, `expected a binary task, "${task}" is a regression task`);
        return task;
      };
      const parent = endpoint('parent');
      const child = endpoint('child');
      if (parent === child) throw new ConfigError(`${where}.child`, 'expected a task other than the parent', child);
      return { kind, parent, child };
    });
  }
  if (o.split === undefined)
    throw new ConfigError(
      `${at}.split`,
      'expected { "validation": 0.1, "test": 0.1 } or { "train": FILE, "validation": FILE, "test": FILE }',
    );
  config.split = parseSplit(o.split, `${at}.split`);
  if (o.minFrequency !== undefined)
    config.minFrequency = number(
      o.minFrequency,
      `${at}.minFrequency`,
      (n) => Number.isInteger(n) && n >= 1,
      'an integer >= 1',
    );
  if (o.badRows !== undefined) config.badRows = oneOf(o.badRows, `${at}.badRows`, ['error', 'skip'] as const);
  for (const key of Object.keys(o)) {
    if (!(TABLE_CONFIG_KEYS as readonly string[]).includes(key))
      throw new ConfigError(`${at}.${key}`, `unknown key (expected one of ${TABLE_CONFIG_KEYS.join(', ')})`);
  }
  return config;
}

/** The config with its split files made absolute against `baseDir` (so it can be stored and reloaded anywhere). */
export function resolveTableConfigPaths(config: TableConfig, baseDir: string): TableConfig {
  if (!('train' in config.split)) return config;
  const absolute = (paths: string[]) => paths.map((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));
  const { train, validation, test } = config.split;
  return { ...config, split: { train: absolute(train), validation: absolute(validation), test: absolute(test) } };
}

/** The reader's TableSpec: features in the order of `columns`, then one label column per task. */
export function tableSpecFromConfig(config: TableConfig): TableSpec {
  const columns: ColumnSpec[] = [];
  for (const [column, c] of Object.entries(config.columns)) {
    const type = typeof c === 'string' ? c : c.type;
    if (type === 'ignore') {
      columns.push({ column, role: 'ignore' });
    } else if (type === 'categorical') {
      const categorical = typeof c === 'object' && c.type === 'categorical' ? c : { type: 'categorical' as const };
      const name = featureNameOf(column, categorical.name);
      columns.push({
        column,
        role: 'categorical',
        ...(name !== column ? { name } : {}),
        ...(categorical.minFrequency !== undefined ? { minFrequency: categorical.minFrequency } : {}),
      });
    } else {
      const numeric = typeof c === 'object' && c.type === 'numeric' ? c : { type: 'numeric' as const };
      const name = featureNameOf(column, numeric.name);
      columns.push({
        column,
        role: 'numeric',
        ...(name !== column ? { name } : {}),
        ...(numeric.missing ? { missing: numeric.missing } : {}),
        ...(numeric.standardize !== undefined ? { standardize: numeric.standardize } : {}),
      });
    }
  }
  const labelled = new Set(config.tasks.map((t) => t.label));
  // A column declared "ignore" and used as a label is a label (declaring it ignored keeps it out of the features).
  const kept = columns.filter((c) => !(c.role === 'ignore' && typeof c.column === 'string' && labelled.has(c.column)));
  for (const task of config.tasks) {
    const binary = task.kind === 'binary';
    const positive = binary ? task.positive : undefined;
    const negative = binary && task.negative !== 'rest' ? task.negative : undefined;
    kept.push({
      column: task.label,
      role: 'label',
      task: task.name,
      kind: task.kind,
      ...(positive ? { positive } : {}),
      ...(negative ? { negative } : {}),
      ...(task.missing ? { missing: task.missing } : {}),
    });
  }
  return {
    ...(config.format ? { format: config.format } : {}),
    columns: kept,
    ...(config.relations ? { relations: config.relations } : {}),
    ...(config.minFrequency ? { minFrequency: config.minFrequency } : {}),
  };
}

/**
 * Loads the table a config describes. With fraction splits, `path` (one file, or several read as one) is split by a
 * seeded draw per row; with given files, `path` must be absent.
 */
export async function loadTableDataset(config: TableConfig, path?: string | string[]): Promise<DatasetTables> {
  const spec = tableSpecFromConfig(config);
  const options = { onBadRow: config.badRows ?? 'error' };
  if ('train' in config.split) {
    if (path !== undefined)
      throw new Error(
        `table: config.split names its own files, so a data path (${String(path)}) is not used; remove one of them`,
      );
    const { schema, table: train } = await fitTable(config.split.train, spec, options);
    const { table: validation } = await readTable(config.split.validation, schema, options);
    const { table: test } = await readTable(config.split.test, schema, options);
    return datasetTables(schema, train, validation, test);
  }
  if (path === undefined)
    throw new Error(
      'table: config.split gives fractions, so a data file is needed (--data PATH or "data": PATH in the config)',
    );
  const { schema, train, validation, test } = await fitTableSplit(path, spec, config.split, options);
  return datasetTables(schema, train, validation, test);
}
