import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFormatError } from '../../src/data/errors.js';
import { FittedSchema } from '../../src/data/fitted-schema.js';
import { fitSchema, fitTable, readTable } from '../../src/data/table-reader.js';
import type { TableSpec } from '../../src/data/schema.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-data-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function file(name: string, text: string, gzip = false): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, gzip ? gzipSync(text) : text);
  return path;
}

const spec: TableSpec = {
  columns: [
    { column: 'city', role: 'categorical' },
    { column: 'age', role: 'numeric' },
    { column: 'income', role: 'numeric', missing: ['?'] },
    { column: 'note', role: 'ignore' },
    { column: 'bought', role: 'label', task: 'buy', positive: ['yes'] },
    { column: 'rating', role: 'label', task: 'rate', missing: [''] },
  ],
};

const trainCsv = [
  'city,age,income,note,bought,rating',
  'paris,20,100,"hello, world",yes,4',
  'rome,30,?,x,no,',
  'paris,40,300,y,no,2',
  '',
].join('\n');

describe('fitTable', () => {
  it('encodes categoricals, standardises numerics with training stats, and masks missing labels', async () => {
    const { schema, table, report } = await fitTable(await file('train.csv', trainCsv), spec);
    expect(report).toEqual({ rowsRead: 3, rowsSkipped: 0, firstSkipped: [] });
    expect(schema.tasks).toEqual(['buy', 'rate']);
    expect(schema.categoricalFeatures).toEqual([{ name: 'city', vocabularySize: 3 }]);
    // paris is the most frequent value → id 1; rome → 2
    expect(Array.from(table.cat)).toEqual([1, 2, 1]);
    const ageStd = Math.sqrt(200 / 3);
    // income: '?' is imputed with the mean, i.e. 0 after standardisation; mean/std come from the 2 known values
    expect(Array.from(table.num)).toEqual(Array.from(new Float32Array([-10 / ageStd, -1, 0, 0, 10 / ageStd, 1])));
    expect(Array.from(table.labels.buy)).toEqual([1, 0, 0]);
    expect(Array.from(table.labels.rate)).toEqual([4, 0, 2]);
    expect(Array.from(table.masks.rate)).toEqual([1, 0, 1]);
    expect(Array.from(table.masks.buy)).toEqual([1, 1, 1]);
    expect(Array.from(table.sourceLines!)).toEqual([2, 3, 4]);
  });

  it('gives exactly what fitSchema + readTable give, and the schema survives JSON', async () => {
    const path = await file('train2.csv', trainCsv);
    const onePass = await fitTable(path, spec);
    const fitted = await fitSchema(path, spec);
    const restored = FittedSchema.fromJSON(JSON.parse(JSON.stringify(fitted.schema)));
    const twoPass = await readTable(path, restored);
    expect(twoPass.table.cat).toEqual(onePass.table.cat);
    expect(twoPass.table.num).toEqual(onePass.table.num);
    expect(twoPass.table.labels).toEqual(onePass.table.labels);
    expect(JSON.stringify(onePass.schema)).toEqual(JSON.stringify(fitted.schema));
  });

  it('applies minimum frequency: rare values share the OOV id 0', async () => {
    const { schema, table } = await fitTable(await file('train3.csv', trainCsv), { ...spec, minFrequency: 2 });
    expect(schema.vocabularies[0].tokens).toEqual(['paris']);
    expect(Array.from(table.cat)).toEqual([1, 0, 1]);
  });
});

describe('readTable', () => {
  it("reads a gzip'd headerless TSV by column names and positions, mapping unseen values to OOV", async () => {
    const train = await file('train.csv', trainCsv);
    const { schema } = await fitTable(train, spec);
    const tsvSpec: TableSpec = {
      format: { delimiter: '\t', header: false, columnNames: ['city', 'age', 'income', 'note', 'bought', 'rating'] },
      columns: spec.columns,
    };
    const tsvSchema = FittedSchema.fromJSON({ ...schema.toJSON(), spec: tsvSpec });
    const test = await file('test.tsv.gz', 'berlin\t30\t200\tz\tyes\t5\nrome\t20\t?\tz\tno\t1\n', true);
    const { table } = await readTable(test, tsvSchema);
    expect(Array.from(table.cat)).toEqual([0, 2]);
    expect(table.num[0]).toBeCloseTo(0, 6);
    expect(Array.from(table.labels.buy)).toEqual([1, 0]);
  });

  it('reports a wrong field count with file and line, or skips and counts it on request', async () => {
    const { schema } = await fitTable(await file('train.csv', trainCsv), spec);
    const path = await file(
      'broken.csv',
      'city,age,income,note,bought,rating\nparis,1,2,x,yes,3\nparis,1,2,yes,3\nrome,3,4,x,no,5\n',
    );
    await expect(readTable(path, schema)).rejects.toThrow(`${path}:3: expected 6 fields, got 5`);
    await expect(readTable(path, schema)).rejects.toBeInstanceOf(DataFormatError);
    const { table, report } = await readTable(path, schema, { onBadRow: 'skip' });
    expect(table.size).toBe(2);
    expect(report.rowsSkipped).toBe(1);
    expect(report.firstSkipped).toEqual([{ file: path, line: 3, reason: 'expected 6 fields, got 5' }]);
  });

  it('never turns a non-number into NaN: it is a bad row naming the column', async () => {
    const { schema } = await fitTable(await file('train.csv', trainCsv), spec);
    const path = await file(
      'nan.csv',
      'city,age,income,note,bought,rating\nparis,abc,2,x,yes,3\nparis,,2,x,yes,3\nparis,1,2,x,yes,four\n',
    );
    await expect(readTable(path, schema)).rejects.toThrow(`${path}:2: column age: "abc" is not a number`);
    const { table, report } = await readTable(path, schema, { onBadRow: 'skip' });
    expect(table.size).toBe(0);
    expect(report.firstSkipped.map((b) => b.reason)).toEqual([
      'column age: "abc" is not a number',
      'column age: "" is not a number',
      'column rating, task rate: label "four" is not a number',
    ]);
  });

  it('reports an unknown column and a truncated gzip file clearly', async () => {
    await expect(
      fitTable(await file('t.csv', 'a,b\n1,2\n'), { columns: [{ column: 'c', role: 'numeric' }] }),
    ).rejects.toThrow(/column "c" is not among the columns \(a, b\)/);
    const gz = gzipSync(`a,b\n${'1,2\n'.repeat(10000)}`);
    const truncated = join(directory, 'truncated.csv.gz');
    await writeFile(truncated, gz.subarray(0, gz.length - 20));
    await expect(fitTable(truncated, { columns: [{ column: 'a', role: 'numeric' }] })).rejects.toThrow(
      /unexpected end of file/,
    );
  });

  it('encodes inference rows given as objects the same way as file rows', async () => {
    const { schema, table } = await fitTable(await file('train.csv', trainCsv), spec);
    const encoded = schema.encodeObjects([
      { city: 'paris', age: 20, income: 100 },
      { city: 'rome', age: '30', income: '?' },
      { city: 'tokyo', age: 40, income: null },
    ]);
    expect(Array.from(encoded.cat)).toEqual([1, 2, 0]);
    expect(Array.from(encoded.num.subarray(0, 4))).toEqual(Array.from(table.num.subarray(0, 4)));
    expect(() => schema.encodeObjects([{ city: 'rome', income: 1 }])).toThrow(/numeric feature "age" is missing/);
  });
});
