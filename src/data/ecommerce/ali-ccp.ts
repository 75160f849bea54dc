/**
 * Ali-CCP (Alibaba Click and Conversion Prediction; Ma et al., "Entire Space Multi-Task Model", SIGIR 2018) in the
 * preprocessed CSV layout of torch-rechub / AITM's `process_public_dataset.py` (../shared/data/ali-ccp-sample):
 * a header row; labels `click` and `purchase`; 23 sparse fields as integer ids (`101` user id, `205` item id, …);
 * 8 dense fields `D…` already min-max scaled. Sparse field `101` becomes feature `f101` (names start with a letter). The folder holds train, validation and test files (found by name).
 *
 * Tasks, both on the entire impression space as ESMM trains them: `click` (CTR) and `conversion` = click ∧ purchase
 * (CTCVR), with the cascade conversion ⊂ click. A purchase without a click breaks the cascade and is reported as
 * a bad row (file, line) instead of being silently relabelled. Labels must be 0 or 1.
 * Vocabularies and standardisation are fitted on the train files only; unseen ids are OOV (0).
 */
import { readTable, fitTable, type ReadOptions } from '../table-reader.js';
import { findSplitFiles } from '../split-files.js';
import { datasetTables, type DatasetTables } from '../dataset-tables.js';
import type { ColumnSpec, TableSpec } from '../schema.js';

export const ALI_CCP_SPARSE_FIELDS = [
  '101',
  '121',
  '122',
  '124',
  '125',
  '126',
  '127',
  '128',
  '129',
  '205',
  '206',
  '207',
  '210',
  '216',
  '508',
  '509',
  '702',
  '853',
  '301',
  '109_14',
  '110_14',
  '127_14',
  '150_14',
] as const;
export const ALI_CCP_DENSE_FIELDS = [
  'D109_14',
  'D110_14',
  'D127_14',
  'D150_14',
  'D508',
  'D509',
  'D702',
  'D853',
] as const;

export function aliCcpSpec(minFrequency = 1): TableSpec {
  const columns: ColumnSpec[] = [
    // Feature names must start with a letter (model configs and JSON rows key features by name): 101 → f101.
    ...ALI_CCP_SPARSE_FIELDS.map((column): ColumnSpec => ({ column, role: 'categorical', name: `f${column}` })),
    ...ALI_CCP_DENSE_FIELDS.map((column): ColumnSpec => ({ column, role: 'numeric' })),
    { column: 'click', role: 'label', task: 'click', kind: 'binary', positive: ['1'], negative: ['0'] },
    { column: 'purchase', role: 'label', task: 'conversion', kind: 'binary', positive: ['1'], negative: ['0'] },
  ];
  return {
    format: { delimiter: ',', header: true, quote: null },
    columns,
    relations: [{ kind: 'cascade', parent: 'click', child: 'conversion' }],
    minFrequency,
  };
}

export interface LoadAliCcpOptions extends ReadOptions {
  dir: string;
  minFrequency?: number;
}

export async function loadAliCcp(options: LoadAliCcpOptions): Promise<DatasetTables> {
  const files = findSplitFiles(options.dir, 'Ali-CCP');
  for (const split of ['train', 'validation', 'test'] as const) {
    if (files[split].length === 0) {
      throw new Error(
        `Ali-CCP: no ${split} file in ${options.dir} (expected CSV files named like ali_ccp_train.csv, ali_ccp_val.csv, ali_ccp_test.csv, optionally .gz)`,
      );
    }
  }
  const { schema, table: train } = await fitTable(files.train, aliCcpSpec(options.minFrequency), options);
  const { table: validation } = await readTable(files.validation, schema, options);
  const { table: test } = await readTable(files.test, schema, options);
  return datasetTables(schema, train, validation, test);
}
