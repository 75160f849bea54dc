import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamBatches } from '../../src/data/batch-stream.js';
import { type Batch, EncodedTable } from '../../src/data/table.js';
import { fitSchema, readTable } from '../../src/data/table-reader.js';
import type { TableSpec } from '../../src/data/schema.js';

let directory: string;
const spec: TableSpec = {
  format: { delimiter: '\t' },
  columns: [
    { column: 'id', role: 'numeric', standardize: false },
    { column: 'group', role: 'categorical' },
    { column: 'y', role: 'label', task: 'y' },
  ],
};
const rows = 1000;
let paths: string[];

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-stream-'));
  paths = [];
  for (let part = 0; part < 2; part++) {
    const lines = ['id\tgroup\ty'];
    for (let i = part * (rows / 2); i < (part + 1) * (rows / 2); i++) lines.push(`${i}\tg${i % 7}\t${i % 2}`);
    const path = join(directory, `part${part}.tsv.gz`);
    await writeFile(path, gzipSync(lines.join('\n')));
    paths.push(path);
  }
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

async function collect(stream: AsyncIterable<Batch>): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const batch of stream) batches.push(batch);
  return batches;
}

const ids = (batches: Batch[]) => batches.flatMap((b) => Array.from(b.num));

describe('streamBatches', () => {
  it('streams every row once, in file order, in batches of the requested size', async () => {
    const { schema } = await fitSchema(paths, spec);
    const stream = streamBatches(paths, schema, { batchSize: 64 });
    const batches = await collect(stream);
    expect(batches.map((b) => b.size)).toEqual([...new Array(15).fill(64), 1000 - 15 * 64]);
    expect(ids(batches)).toEqual(Array.from({ length: rows }, (_, i) => i));
    expect(stream.report.rowsRead).toBe(rows);
    const first = batches[0];
    expect(first.cat).toBeInstanceOf(Int32Array);
    expect(first.cat.length).toBe(64);
    expect(Array.from(first.labels.y.subarray(0, 4))).toEqual([0, 1, 0, 1]);
    expect(Array.from(first.masks.y.subarray(0, 4))).toEqual([1, 1, 1, 1]);
  });

  it('shuffles with a seeded buffer: a permutation of all rows, reproducible, different per seed', async () => {
    const { schema } = await fitSchema(paths, spec);
    const a = ids(await collect(streamBatches(paths, schema, { batchSize: 100, shuffleBuffer: 256, seed: 1 })));
    const b = ids(await collect(streamBatches(paths, schema, { batchSize: 100, shuffleBuffer: 256, seed: 1 })));
    const c = ids(await collect(streamBatches(paths, schema, { batchSize: 100, shuffleBuffer: 256, seed: 2 })));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: rows }, (_, i) => i));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(Array.from({ length: rows }, (_, i) => i));
  });

  it('drops a short final batch on request and counts skipped rows', async () => {
    const { schema } = await fitSchema(paths, spec);
    const bad = join(directory, 'bad.tsv');
    await writeFile(bad, 'id\tgroup\ty\n1\tg1\t0\nx\tg1\t1\n2\tg2\n3\tg3\t1\n');
    const stream = streamBatches(bad, schema, { batchSize: 2, dropLast: false, onBadRow: 'skip' });
    expect(ids(await collect(stream))).toEqual([1, 3]);
    expect(stream.report.rowsSkipped).toBe(2);
    const dropped = await collect(streamBatches(paths, schema, { batchSize: 300, dropLast: true }));
    expect(dropped.map((b) => b.size)).toEqual([300, 300, 300]);
    await expect(collect(streamBatches(bad, schema, { batchSize: 2 }))).rejects.toThrow(
      `${bad}:3: column id: "x" is not a number`,
    );
  });

  it('encodes rows exactly like readTable', async () => {
    const { schema } = await fitSchema(paths, spec);
    const { table } = await readTable(paths, schema);
    const batches = await collect(streamBatches(paths, schema, { batchSize: rows }));
    expect(batches[0].cat).toEqual(table.cat);
    expect(batches[0].num).toEqual(table.num);
  });
});

describe('EncodedTable.batches', () => {
  const table = new EncodedTable({
    size: 10,
    nCat: 1,
    nNum: 1,
    cat: Int32Array.from({ length: 10 }, (_, i) => i),
    num: Float32Array.from({ length: 10 }, (_, i) => i / 10),
    labels: { t: Float32Array.from({ length: 10 }, (_, i) => i % 2) },
    masks: { t: Float32Array.from({ length: 10 }, (_, i) => (i < 5 ? 1 : 0)) },
  });

  it('visits rows in order or as a seeded permutation, keeping rows aligned across arrays', () => {
    expect([...table.batches({ batchSize: 4 })].map((b) => Array.from(b.cat))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const shuffled = [...table.batches({ batchSize: 3, shuffle: true, seed: 5 })];
    const order = shuffled.flatMap((b) => Array.from(b.cat));
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order).toEqual(
      [...table.batches({ batchSize: 3, shuffle: true, seed: 5 })].flatMap((b) => Array.from(b.cat)),
    );
    for (const batch of shuffled) {
      for (let i = 0; i < batch.size; i++) {
        expect(batch.num[i]).toBeCloseTo(batch.cat[i] / 10, 6);
        expect(batch.labels.t[i]).toBe(batch.cat[i] % 2);
        expect(batch.masks.t[i]).toBe(batch.cat[i] < 5 ? 1 : 0);
      }
    }
    expect([...table.batches({ batchSize: 4, dropLast: true })]).toHaveLength(2);
  });

  it('reuse: one set of arrays for every batch, each batch read before the next holds the same rows', () => {
    const opts = { batchSize: 4, shuffle: true, seed: 3 };
    const fresh = [...table.batches(opts)].map((b) => [Array.from(b.cat), Array.from(b.num), Array.from(b.labels.t)]);
    const seen: number[][][] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (const b of table.batches({ ...opts, reuse: true })) {
      seen.push([Array.from(b.cat), Array.from(b.num), Array.from(b.labels.t)]);
      buffers.add(b.cat.buffer);
    }
    expect(seen).toEqual(fresh);
    // 4 + 4 + 2 rows, all in the first batch's arrays (the short last batch is a view of them).
    expect(buffers.size).toBe(1);
    const first = table.gather([0, 1]);
    expect(() => table.gather([0, 1, 2], first)).toThrow(/3 rows into a batch of 2/);
  });

  it('takes subsets and validates shapes', () => {
    const sub = table.subset([9, 0]);
    expect(Array.from(sub.cat)).toEqual([9, 0]);
    expect(
      () =>
        new EncodedTable({ size: 2, nCat: 1, nNum: 0, cat: new Int32Array(3), num: new Float32Array(0), labels: {} }),
    ).toThrow(/cat has 3 values/);
    expect(() => [...table.batches({ batchSize: 0 })]).toThrow(/batchSize/);
  });
});
