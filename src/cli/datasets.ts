/**
 * The datasets the command knows, each as train/validation/test tables plus what a model needs to read them
 * (feature fields, task kinds, task relations) and what a checkpoint needs to encode raw rows later (the schema).
 *
 * Contract (shared with `train`, `eval`, `predict` and checkpoints):
 *  - `DatasetSpec` is plain JSON: it is stored in a checkpoint's metadata, and `loadDataset(spec)` on the stored
 *    spec gives the same splits, encoded the same way, wherever it runs (paths in it are absolute).
 *  - `Dataset` = { name, tasks, kinds, schema, train, validation, test, relations? }. `tasks` are the label names
 *    in table order; a model's own task names are mapped onto them by the caller. `relations` lists cascades
 *    (child ⊂ parent: every child positive is a parent positive), checked on every row at load.
 *  - `datasetSpecFromArgs(values, run)` turns `mtgrad train` flags (and a `--config` run file) into a spec.
 *
 * Datasets (`name`):
 *  - census: Census-Income (KDD), the MMoE paper's benchmark; `group` 1 (income, never_married) or 2 (education,
 *    never_married). The bundled copy, else `dir` (downloaded there from UCI once, sha256-verified).
 *  - synthetic: the MMoE paper's two regression tasks (task1, task2) with correlation `correlation`, drawn from `seed`.
 *  - aliccp: Ali-CCP (ESMM) from `dir`; tasks click, conversion (= click ∧ purchase, entire space); conversion ⊂ click.
 *  - aliexpress: AliExpress (AITM/MTReclib) from `dir`, one `country` (NL, ES, FR, US, RU) or the files in `dir`;
 *    tasks click, conversion; conversion ⊂ click; validation = seeded 10% of train (test = the test file).
 *  - movielens: MovieLens 100K from `dir`, for RnR; tasks interact (binary: ratings + `negatives` sampled items
 *    per rating) and rating (regression, masked on the negatives); categorical user and item (the dataset's ids).
 *  - table: the user's file(s), `path` (CSV/TSV, gzipped or not) described by `config` (see data/table-config.ts).
 *  `limit` keeps the first N rows of each split (quick runs, tests).
 *
 * A run file (`mtgrad train --config FILE`) is JSON: the table keys (format, columns, tasks, relations, split,
 * minFrequency, badRows), the dataset keys (data: a name or a file path, dataDir, group, country, negatives,
 * correlation, limit) and "train": { any `mtgrad train` flag by its name: value }. Relative paths in it are read
 * from the file's folder; flags given on the command line override it.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { bundledCensusDir, loadCensus } from '../data/census/load-census.js';
import { fetchCensus, UCI_CENSUS_BASE_URL } from '../data/census/fetch-census.js';
import { CENSUS_TRAIN_FILE } from '../data/census/census-columns.js';
import { generateMmoeSynthetic } from '../data/synthetic/mmoe-synthetic.js';
import { loadAliCcp } from '../data/ecommerce/ali-ccp.js';
import { ALIEXPRESS_COUNTRIES, loadAliExpress } from '../data/ecommerce/ali-express.js';
import { loadMovieLensDataset } from '../data/movielens/movie-lens-dataset.js';
import {
  loadTableDataset,
  parseTableConfig,
  resolveTableConfigPaths,
  TABLE_CONFIG_KEYS,
  type TableConfig,
} from '../data/table-config.js';
import { ConfigError, isObject, number, object, string } from '../data/config-check.js';
import { FittedSchema } from '../data/fitted-schema.js';
import type { DatasetTables } from '../data/dataset-tables.js';
import type { EncodedTable } from '../data/table.js';
import type { TableSpec, TaskRelation } from '../data/schema.js';
import type { TaskKind } from '../train/types.js';
import { UsageError, type ParsedValues } from './args.js';

export const DATASET_NAMES = ['census', 'synthetic', 'aliccp', 'aliexpress', 'movielens', 'table'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** What to load, as plain JSON (stored in checkpoints). Keys a dataset does not use are ignored by it. */
export interface DatasetSpec {
  name: DatasetName;
  /** census (optional), aliccp, aliexpress, movielens: the data folder (absolute once built by datasetSpecFromArgs). */
  dir?: string;
  /** table: the file(s) split by `config.split` fractions (absent when the config names its split files). */
  path?: string | string[];
  /** census: task group 1 or 2 (default 1). */
  group?: number;
  /** aliexpress: NL, ES, FR, US or RU (the subfolder AliExpress_XX of `dir`). */
  country?: string;
  /** table: the validated table config (columns, tasks, relations, split). */
  config?: TableConfig;
  /** Keep the first N rows of each split. */
  limit?: number;
  /** synthetic: the draw; aliexpress: the validation hold-out; movielens: negative sampling. Default 0. */
  seed?: number;
  /** synthetic: task correlation in [-1, 1] (default 0.5). */
  correlation?: number;
  /** movielens: sampled negatives per rating (default 4). */
  negatives?: number;
  /** census: mirror to download from when `dir` is empty. */
  url?: string;
}

export type TaskRelationSpec = { kind: 'cascade'; parent: string; child: string };

export interface Dataset {
  name: string;
  tasks: string[];
  kinds: Record<string, TaskKind>;
  schema: FittedSchema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
  /** Cascades between tasks: child ⊂ parent (ESMM/AITM's conversion ⊂ click). Absent or empty: none. */
  relations?: TaskRelationSpec[];
}

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export function defaultCensusCache(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mtgrad', 'census-income');
}

async function censusDir(spec: DatasetSpec): Promise<string> {
  if (spec.dir) {
    if (!existsSync(join(spec.dir, CENSUS_TRAIN_FILE.name)))
      await fetchCensus(spec.dir, spec.url ?? UCI_CENSUS_BASE_URL);
    return spec.dir;
  }
  const bundled = bundledCensusDir();
  if (bundled) return bundled;
  return fetchCensus(defaultCensusCache(), spec.url ?? UCI_CENSUS_BASE_URL);
}

function firstRows(table: EncodedTable, limit: number | undefined): EncodedTable {
  if (limit === undefined || limit >= table.size) return table;
  return table.subset(Int32Array.from({ length: limit }, (_, i) => i));
}

function fromTables(name: string, data: DatasetTables, limit: number | undefined): Dataset {
  return {
    name,
    tasks: data.tasks,
    kinds: data.kinds,
    schema: data.schema,
    train: firstRows(data.train, limit),
    validation: firstRows(data.validation, limit),
    test: firstRows(data.test, limit),
    relations: data.relations.map((r: TaskRelation) => ({ kind: r.kind, parent: r.parent, child: r.child })),
  };
}

async function census(spec: DatasetSpec): Promise<Dataset> {
  const group = spec.group ?? 1;
  if (group !== 1 && group !== 2) throw new UsageError(`--group must be 1 or 2 for census, got ${group}`);
  const data = await loadCensus({ group, dir: await censusDir(spec) });
  return {
    name: `census (group ${group})`,
    tasks: data.tasks,
    kinds: Object.fromEntries(data.tasks.map((t) => [t, 'binary' as const])),
    schema: data.schema,
    train: firstRows(data.train, spec.limit),
    validation: firstRows(data.validation, spec.limit),
    test: firstRows(data.test, spec.limit),
    relations: [],
  };
}

/** The synthetic inputs are already standard normal: a schema of pass-through numeric columns x0…x{d−1}. */
function syntheticSchema(d: number): FittedSchema {
  const spec: TableSpec = {
    columns: [
      ...Array.from({ length: d }, (_, k) => ({ role: 'numeric' as const, column: `x${k}`, standardize: false })),
      { role: 'label', column: 'task1', task: 'task1' },
      { role: 'label', column: 'task2', task: 'task2' },
    ],
  };
  return new FittedSchema(
    spec,
    [],
    Array.from({ length: d }, () => ({ count: 0, mean: 0, std: 1 })),
  );
}

function synthetic(spec: DatasetSpec): Dataset {
  const seed = spec.seed ?? 0;
  const p = spec.correlation ?? 0.5;
  if (!(p >= -1 && p <= 1)) throw new UsageError(`--correlation must be in [-1, 1], got ${p}`);
  const n = spec.limit ?? 20_000;
  const held = Math.max(1, Math.round(n / 4));
  // One draw split three ways: the task weights w1, w2 come from the seed, so every split must share it.
  const all = generateMmoeSynthetic({ n: n + 2 * held, p, seed }).table;
  const rows = (start: number, count: number) => all.subset(Int32Array.from({ length: count }, (_, i) => start + i));
  const train = rows(0, n);
  const tasks = ['task1', 'task2'];
  return {
    name: `synthetic (p = ${p})`,
    tasks,
    kinds: { task1: 'regression', task2: 'regression' },
    schema: syntheticSchema(train.nNum),
    train,
    validation: rows(n, held),
    test: rows(n + held, held),
    relations: [],
  };
}

function needDir(spec: DatasetSpec, example: string): string {
  if (!spec.dir) throw new UsageError(`--data ${spec.name} needs --data-dir DIR (${example})`);
  if (!existsSync(spec.dir) || !statSync(spec.dir).isDirectory())
    throw new UsageError(`--data-dir: ${spec.dir} is not a folder`);
  return spec.dir;
}

export async function loadDataset(spec: DatasetSpec): Promise<Dataset> {
  switch (spec.name) {
    case 'census':
      return census(spec);
    case 'synthetic':
      return synthetic(spec);
    case 'aliccp': {
      const dir = needDir(
        spec,
        'a folder with the Ali-CCP train, val and test CSV files, e.g. ../shared/data/ali-ccp-sample',
      );
      return fromTables('Ali-CCP', await loadAliCcp({ dir }), spec.limit);
    }
    case 'aliexpress': {
      const dir = needDir(spec, 'a folder with AliExpress_NL/… country folders, or with train and test CSV files');
      const data = await loadAliExpress({ dir, country: spec.country, seed: spec.seed });
      return fromTables(`AliExpress${spec.country ? ` (${spec.country.toUpperCase()})` : ''}`, data, spec.limit);
    }
    case 'movielens': {
      const dir = needDir(spec, 'the MovieLens 100K folder: u.data, ua.base, ua.test, u.user, u.item, plain or .gz');
      return fromTables(
        'MovieLens 100K',
        await loadMovieLensDataset({ dir, negatives: spec.negatives, seed: spec.seed }),
        spec.limit,
      );
    }
    case 'table': {
      if (!spec.config)
        throw new UsageError('a table dataset needs a config (--config FILE with its columns, tasks and split)');
      const config = configOrUsage(() => parseTableConfig(spec.config), 'the dataset config');
      const data = await loadTableDataset(config, spec.path);
      const where = spec.path ? (Array.isArray(spec.path) ? spec.path.join(', ') : spec.path) : 'config.split files';
      return fromTables(`table ${where}`, data, spec.limit);
    }
    default:
      throw new UsageError(
        `--data must be one of ${DATASET_NAMES.join(', ')} or a file path, got '${String((spec as { name: unknown }).name)}'`,
      );
  }
}

function configOrUsage<T>(parse: () => T, file: string): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`${file}: ${error.message}`);
    throw error;
  }
}

/** The `--config` run file, read and checked: dataset keys as flag values, the table part, and train flags. */
export interface RunConfig {
  file: string;
  /** Flag name → value, for dataset flags (data, data-dir, …) and the "train" section, before command-line flags. */
  flags: Record<string, string | string[]>;
  /** The table keys, when the file has them (paths resolved against the file's folder). */
  table: TableConfig | null;
}

/** Dataset keys of a run file and the flags they stand for. */
const RUN_DATA_KEYS: Record<string, string> = {
  data: 'data',
  dataDir: 'data-dir',
  group: 'group',
  country: 'country',
  negatives: 'negatives',
  correlation: 'correlation',
  limit: 'limit',
};

function flagValue(value: unknown, at: string): string | string[] {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number'))
    return value.map(String);
  throw new ConfigError(at, 'expected a string, a number or a list of them (as on the command line)', value);
}

/**
 * Reads a run file. `trainFlags` are the option names `mtgrad train` accepts (a "train" key outside them is an
 * error naming it). Relative paths (data, dataDir, split files) are resolved against the file's folder.
 */
export async function readRunConfig(file: string, trainFlags: readonly string[]): Promise<RunConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `--config: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  const base = dirname(resolve(file));
  return configOrUsage(() => {
    const o = object(json, 'config', [...Object.keys(RUN_DATA_KEYS), ...TABLE_CONFIG_KEYS, 'train']);
    const flags: Record<string, string | string[]> = {};
    for (const [key, flag] of Object.entries(RUN_DATA_KEYS)) {
      if (o[key] === undefined) continue;
      let value = flagValue(o[key], `config.${key}`);
      if (typeof value !== 'string') throw new ConfigError(`config.${key}`, 'expected a single value', o[key]);
      // A path in the file is relative to the file, not to wherever the command runs.
      if ((key === 'data' && !isDatasetName(value)) || key === 'dataDir') value = resolve(base, value);
      flags[flag] = value;
    }
    if (o.train !== undefined) {
      for (const [key, value] of Object.entries(object(o.train, 'config.train'))) {
        if (!trainFlags.includes(key) || key === 'config')
          throw new ConfigError(
            `config.train.${key}`,
            `unknown flag (expected a flag of mtgrad train, e.g. model, epochs, batch-size, lr)`,
          );
        if (key in RUN_DATA_KEYS || Object.values(RUN_DATA_KEYS).includes(key))
          throw new ConfigError(`config.train.${key}`, `a dataset key: write it at the top level of the config`);
        flags[key] = flagValue(value, `config.train.${key}`);
      }
    }
    const hasTable = TABLE_CONFIG_KEYS.some((key) => o[key] !== undefined);
    let table: TableConfig | null = null;
    if (hasTable) {
      const tablePart = Object.fromEntries(
        TABLE_CONFIG_KEYS.filter((key) => o[key] !== undefined).map((key) => [key, o[key]]),
      );
      table = resolveTableConfigPaths(parseTableConfig(tablePart, 'config'), base);
    }
    return { file, flags, table };
  }, file);
}

/**
 * Puts the run file's values into parsed flags, except where the command line gave the flag (`explicit`). Flags
 * taken from the file are added to `explicit`: for whatever reads it (e.g. size flags a model only takes when
 * asked), a value written in the run file counts as given.
 */
export function applyRunConfig(values: ParsedValues, explicit: Set<string>, run: RunConfig | null): void {
  if (!run) return;
  for (const [flag, value] of Object.entries(run.flags)) {
    if (explicit.has(flag)) continue;
    values[flag] = value;
    explicit.add(flag);
  }
  // A file with table keys but no "data" key describes split files of its own: --data's default does not apply.
  if (run.table && run.flags.data === undefined && !explicit.has('data')) values.data = 'table';
}

function flagString(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function flagInt(values: ParsedValues, name: string, min: number): number | undefined {
  const v = flagString(values, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

/**
 * The dataset spec of a command line: --data NAME|PATH, --data-dir, --group, --country, --negatives,
 * --correlation, --limit, --seed (the data seed of synthetic only), --data-url, and the table part of --config.
 * `values` are parsed flags after `applyRunConfig`. Folders and files become absolute paths.
 */
export function datasetSpecFromArgs(values: ParsedValues, run: RunConfig | null): DatasetSpec {
  const data = flagString(values, 'data') ?? (run?.table ? 'table' : 'census');
  const dirFlag = flagString(values, 'data-dir');
  const spec: DatasetSpec = { name: 'table' };
  if (isDatasetName(data)) {
    spec.name = data;
  } else {
    const path = resolve(data);
    if (!existsSync(path))
      throw new UsageError(`--data must be one of ${DATASET_NAMES.join(', ')} or an existing file, got '${data}'`);
    if (statSync(path).isDirectory())
      throw new UsageError(`--data: ${path} is a folder; give a dataset name with --data-dir ${data}, or a file`);
    spec.path = path;
  }
  if (spec.name === 'table') {
    if (!run?.table)
      throw new UsageError(
        `--data ${spec.path ? data : 'table'} needs --config FILE declaring its columns, tasks and split (see mtgrad train --help)`,
      );
    spec.config = run.table;
    if (!spec.path && !('train' in run.table.split)) {
      throw new UsageError(
        `${run.file}: config.split gives fractions, so the data file must be named (--data PATH, or "data": PATH in the config)`,
      );
    }
  } else if (run?.table) {
    throw new UsageError(
      `${run.file}: columns/tasks/split describe a table of your own, but --data is '${spec.name}'; give --data PATH (or drop those keys)`,
    );
  }
  if (dirFlag !== undefined) {
    if (spec.name === 'table' || spec.name === 'synthetic')
      throw new UsageError(`--data-dir does not apply to --data ${spec.name}`);
    spec.dir = resolve(dirFlag);
  }
  const country = flagString(values, 'country');
  if (country !== undefined) {
    if (spec.name !== 'aliexpress')
      throw new UsageError(`--country applies to --data aliexpress only, not '${spec.name}'`);
    if (!(ALIEXPRESS_COUNTRIES as readonly string[]).includes(country.toUpperCase())) {
      throw new UsageError(`--country must be one of ${ALIEXPRESS_COUNTRIES.join(', ')}, got '${country}'`);
    }
    spec.country = country.toUpperCase();
  }
  if (spec.name === 'census') spec.group = flagInt(values, 'group', 1) ?? 1;
  if (spec.name === 'census' && flagString(values, 'data-url')) spec.url = flagString(values, 'data-url');
  if (spec.name === 'synthetic') {
    spec.seed = flagInt(values, 'seed', 0) ?? 0;
    const correlation = flagString(values, 'correlation');
    if (correlation !== undefined) {
      const p = Number(correlation);
      if (correlation.trim() === '' || !(p >= -1 && p <= 1))
        throw new UsageError(`--correlation must be a number in [-1, 1], got '${correlation}'`);
      spec.correlation = p;
    }
  }
  if (spec.name === 'movielens') {
    const negatives = flagInt(values, 'negatives', 0);
    if (negatives !== undefined) spec.negatives = negatives;
  }
  const limit = flagInt(values, 'limit', 1);
  if (limit !== undefined) spec.limit = limit;
  return spec;
}

/** Checks a spec read back from a checkpoint's metadata (JSON of unknown origin) before loading it. */
export function datasetSpecFromJSON(value: unknown, where: string): DatasetSpec {
  if (!isObject(value)) throw new UsageError(`${where}: the dataset record is not an object`);
  const name = configOrUsage(() => string(value.name, `${where}.name`, 'a dataset name'), where);
  if (!isDatasetName(name))
    throw new UsageError(`${where}.name: expected one of ${DATASET_NAMES.join(', ')}, got '${name}'`);
  const spec: DatasetSpec = { ...value, name } as DatasetSpec;
  if (spec.group !== undefined)
    configOrUsage(() => number(spec.group, `${where}.group`, (n) => n === 1 || n === 2, '1 or 2'), where);
  return spec;
}
