/**
 * AliExpress search logs (Li et al., CIKM 2020; the AITM/PLE-style benchmark of MTReclib) in the processed CSV layout
 * MTReclib's `datasets/aliexpress.py` reads (../shared/data/aliexpress-sample): a header row; `search_id` (dropped);
 * `categorical_1`…`categorical_16` (integer ids); `numerical_1`…`numerical_63` (already in [0, 1]); labels `click`
 * and `conversion`. Each country is its own dataset, as in the papers' tables: `DIR/AliExpress_NL/{train,test}.csv`
 * for country NL (likewise ES, FR, US, RU), or the train/test files directly in DIR when no country is given.
 *
 * Tasks on the entire impression space: `click` (CTR) and `conversion` (CTCVR), with the cascade conversion ⊂ click
 * (a conversion without a click is a bad row naming file and line). The papers evaluate on the test file and have
 * no validation file, so validation is a seeded 10% of the train rows (`validationFraction`, `seed`) unless the
 * folder has a validation file; the test split is the test file, unchanged.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fitTable, fitTableSplit, readTable, type ReadOptions } from '../table-reader.js';
import { findSplitFiles } from '../split-files.js';
import { datasetTables, type DatasetTables } from '../dataset-tables.js';
import type { ColumnSpec, TableSpec } from '../schema.js';

export const ALIEXPRESS_COUNTRIES = ['NL', 'ES', 'FR', 'US', 'RU'] as const;
export type AliExpressCountry = (typeof ALIEXPRESS_COUNTRIES)[number];

export function aliExpressSpec(minFrequency = 1): TableSpec {
  const columns: ColumnSpec[] = [
    { column: 'search_id', role: 'ignore' },
    ...Array.from({ length: 16 }, (_, i): ColumnSpec => ({ column: `categorical_${i + 1}`, role: 'categorical' })),
    ...Array.from({ length: 63 }, (_, i): ColumnSpec => ({ column: `numerical_${i + 1}`, role: 'numeric' })),
    { column: 'click', role: 'label', task: 'click', kind: 'binary', positive: ['1'], negative: ['0'] },
    { column: 'conversion', role: 'label', task: 'conversion', kind: 'binary', positive: ['1'], negative: ['0'] },
  ];
  return {
    format: { delimiter: ',', header: true, quote: null },
    columns,
    relations: [{ kind: 'cascade', parent: 'click', child: 'conversion' }],
    minFrequency,
  };
}

export interface LoadAliExpressOptions extends ReadOptions {
  dir: string;
  country?: string;
  /** Share of the train rows held out for validation when the folder has no validation file. Default 0.1. */
  validationFraction?: number;
  /** Seed of that hold-out. Default 0. */
  seed?: number;
  minFrequency?: number;
}

/** The folder of one country: DIR/AliExpress_XX (any case), DIR/XX, or DIR itself when its name ends in XX. */
export function aliExpressCountryDir(dir: string, country: string): string {
  const code = country.toUpperCase();
  if (!(ALIEXPRESS_COUNTRIES as readonly string[]).includes(code)) {
    throw new Error(`AliExpress: country must be one of ${ALIEXPRESS_COUNTRIES.join(', ')}, got '${country}'`);
  }
  const candidates = [
    `AliExpress_${code}`,
    `aliexpress_${code.toLowerCase()}`,
    `AliExpress_${code.toLowerCase()}`,
    code,
    code.toLowerCase(),
  ].map((name) => join(dir, name));
  for (const candidate of candidates) if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  if (new RegExp(`(^|[^a-z])${code}$`, 'i').test(basename(dir))) return dir;
  throw new Error(
    `AliExpress: no folder for country ${code} in ${dir} (expected ${join(dir, `AliExpress_${code}`)} with train.csv and test.csv, as MTReclib lays it out)`,
  );
}

export async function loadAliExpress(options: LoadAliExpressOptions): Promise<DatasetTables> {
  const dir = options.country ? aliExpressCountryDir(options.dir, options.country) : options.dir;
  const files = findSplitFiles(dir, 'AliExpress');
  for (const split of ['train', 'test'] as const) {
    if (files[split].length === 0)
      throw new Error(`AliExpress: no ${split} file in ${dir} (expected train.csv and test.csv, optionally .gz)`);
  }
  const spec = aliExpressSpec(options.minFrequency);
  if (files.validation.length > 0) {
    const { schema, table: train } = await fitTable(files.train, spec, options);
    const { table: validation } = await readTable(files.validation, schema, options);
    const { table: test } = await readTable(files.test, schema, options);
    return datasetTables(schema, train, validation, test);
  }
  const split = { validation: options.validationFraction ?? 0.1, test: 0, seed: options.seed ?? 0 };
  const { schema, train, validation } = await fitTableSplit(files.train, spec, split, options);
  const { table: test } = await readTable(files.test, schema, options);
  return datasetTables(schema, train, validation, test);
}
