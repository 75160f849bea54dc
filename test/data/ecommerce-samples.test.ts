import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS } from '../../src/data/ecommerce/ali-ccp.js';
import { fitTable, readTable } from '../../src/data/table-reader.js';
import type { ColumnSpec, TableSpec } from '../../src/data/schema.js';

/** Ali-CCP and AliExpress excerpts: read from ../shared only (Tianchi terms), never copied into the repository. */
const shared = resolve(import.meta.dirname, '../../../shared/data');
const aliCcp = resolve(shared, 'ali-ccp-sample');
const aliExpress = resolve(shared, 'aliexpress-sample');
for (const dir of [aliCcp, aliExpress]) {
  if (!existsSync(dir)) console.log(`SKIPPED schema smoke test: ${dir} is absent`);
}

describe.skipIf(!existsSync(aliCcp))('Ali-CCP sample schema', () => {
  const spec: TableSpec = {
    columns: [
      ...ALI_CCP_SPARSE_FIELDS.map((column): ColumnSpec => ({ column, role: 'categorical' })),
      ...ALI_CCP_DENSE_FIELDS.map((column): ColumnSpec => ({ column, role: 'numeric' })),
      { column: 'click', role: 'label', task: 'ctr', positive: ['1'] },
      { column: 'purchase', role: 'label', task: 'ctcvr', positive: ['1'] },
    ],
  };

  it('loads train/val/test with 23 sparse and 8 dense features and the documented label counts', async () => {
    const { schema, table } = await fitTable(resolve(aliCcp, 'ali_ccp_train_sample.csv.gz'), spec);
    expect([table.size, table.nCat, table.nNum]).toEqual([100, 23, 8]);
    expect(table.labels.ctr.reduce((s, v) => s + v, 0)).toBe(7);
    expect(table.labels.ctcvr.reduce((s, v) => s + v, 0)).toBe(1);
    for (let i = 0; i < table.size; i++) expect(table.labels.ctcvr[i]).toBeLessThanOrEqual(table.labels.ctr[i]);
    for (const [name, rows, clicks] of [
      ['ali_ccp_val_sample.csv.gz', 50, 3],
      ['ali_ccp_test_sample.csv.gz', 50, 2],
    ] as const) {
      const { table: split } = await readTable(resolve(aliCcp, name), schema);
      expect(split.size).toBe(rows);
      expect(split.labels.ctr.reduce((s, v) => s + v, 0)).toBe(clicks);
    }
  });
});

describe.skipIf(!existsSync(aliExpress))('AliExpress sample schema', () => {
  const spec: TableSpec = {
    columns: [
      { column: 'search_id', role: 'ignore' },
      ...Array.from({ length: 16 }, (_, i): ColumnSpec => ({ column: `categorical_${i + 1}`, role: 'categorical' })),
      ...Array.from({ length: 63 }, (_, i): ColumnSpec => ({ column: `numerical_${i + 1}`, role: 'numeric' })),
      { column: 'click', role: 'label', task: 'ctr', positive: ['1'] },
      { column: 'conversion', role: 'label', task: 'ctcvr', positive: ['1'] },
    ],
  };

  it('loads the MTReclib layout: 16 categorical, 63 numerical, click and conversion', async () => {
    const { schema, table } = await fitTable(resolve(aliExpress, 'aliexpress_train_sample.csv.gz'), spec);
    expect([table.size, table.nCat, table.nNum]).toEqual([100, 16, 63]);
    expect(table.labels.ctr.reduce((s, v) => s + v, 0)).toBe(60);
    expect(table.labels.ctcvr.reduce((s, v) => s + v, 0)).toBe(2);
    expect(table.num.every(Number.isFinite)).toBe(true);
    const { table: test } = await readTable(resolve(aliExpress, 'aliexpress_test_sample.csv.gz'), schema);
    expect([
      test.size,
      test.labels.ctr.reduce((s, v) => s + v, 0),
      test.labels.ctcvr.reduce((s, v) => s + v, 0),
    ]).toEqual([20, 10, 2]);
  });
});
