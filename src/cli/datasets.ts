/**
 * The datasets the command knows by name, each as train/validation/test tables plus what a model needs to read
 * them (feature fields) and what a checkpoint needs to encode raw rows later (the fitted schema).
 *
 *  - census: Census-Income (KDD), the MMoE paper's benchmark; `group` 1 or 2. Uses the copy bundled with the
 *    repository, else a cache folder (`--data-dir`, default ~/.cache/mtgrad/census-income), downloading it from
 *    UCI once (sha256-verified) when the folder is empty.
 *  - synthetic: the MMoE paper's two regression tasks with task correlation `--correlation` (default 0.5).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { bundledCensusDir, loadCensus } from '../data/census/loadCensus.js';
import { fetchCensus, UCI_CENSUS_BASE_URL } from '../data/census/fetchCensus.js';
import { CENSUS_TRAIN_FILE } from '../data/census/censusColumns.js';
import { generateMmoeSynthetic } from '../data/synthetic/mmoeSynthetic.js';
import { FittedSchema } from '../data/fittedSchema.js';
import type { EncodedTable } from '../data/table.js';
import type { TableSpec } from '../data/schema.js';
import type { TaskKind } from '../train/types.js';
import { UsageError } from './args.js';

export const DATASET_NAMES = ['census', 'synthetic'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface Dataset {
  name: string;
  tasks: string[];
  kinds: Record<string, TaskKind>;
  schema: FittedSchema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
}

export interface DatasetOptions {
  group?: number;
  /** Folder with the census files (or where to download them). */
  dir?: string;
  /** Mirror to download census from, when it has to be downloaded. */
  url?: string;
  /** Keep only the first N rows of each split (quick runs and tests). */
  limit?: number;
  correlation?: number;
  seed?: number;
}

export function defaultCensusCache(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mtgrad', 'census-income');
}

async function censusDir(options: DatasetOptions): Promise<string> {
  if (options.dir) {
    if (!existsSync(join(options.dir, CENSUS_TRAIN_FILE.name))) await fetchCensus(options.dir, options.url ?? UCI_CENSUS_BASE_URL);
    return options.dir;
  }
  const bundled = bundledCensusDir();
  if (bundled) return bundled;
  return fetchCensus(defaultCensusCache(), options.url ?? UCI_CENSUS_BASE_URL);
}

function firstRows(table: EncodedTable, limit: number | undefined): EncodedTable {
  if (limit === undefined || limit >= table.size) return table;
  return table.subset(Int32Array.from({ length: limit }, (_, i) => i));
}

async function census(options: DatasetOptions): Promise<Dataset> {
  const group = options.group ?? 1;
  if (group !== 1 && group !== 2) throw new UsageError(`--group must be 1 or 2 for census, got ${group}`);
  const data = await loadCensus({ group, dir: await censusDir(options) });
  return {
    name: `census (group ${group})`,
    tasks: data.tasks,
    kinds: Object.fromEntries(data.tasks.map((t) => [t, 'binary' as const])),
    schema: data.schema,
    train: firstRows(data.train, options.limit),
    validation: firstRows(data.validation, options.limit),
    test: firstRows(data.test, options.limit),
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
  return new FittedSchema(spec, [], Array.from({ length: d }, () => ({ count: 0, mean: 0, std: 1 })));
}

function synthetic(options: DatasetOptions): Dataset {
  const seed = options.seed ?? 0;
  const p = options.correlation ?? 0.5;
  if (!(p >= -1 && p <= 1)) throw new UsageError(`--correlation must be in [-1, 1], got ${p}`);
  const n = options.limit ?? 20_000;
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
  };
}

export async function loadDataset(name: string, options: DatasetOptions): Promise<Dataset> {
  switch (name) {
    case 'census': return census(options);
    case 'synthetic': return synthetic(options);
    default: throw new UsageError(`--data must be one of ${DATASET_NAMES.join(', ')}, got '${name}'`);
  }
}
