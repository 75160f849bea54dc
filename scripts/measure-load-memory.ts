/**
 * What loading a dataset holds in memory, per row: loads it through the CLI's loadDataset and prints the bytes of
 * the encoded tables against the process's heap and array-buffer memory (after a GC) and the peak RSS.
 *
 *   node --expose-gc --import tsx scripts/measure-load-memory.ts '{"name":"aliexpress","dir":"data/ae-10m","country":"NL"}'
 */
import { loadDataset, type DatasetSpec } from '../src/cli/datasets.js';
import type { EncodedTable } from '../src/data/table.js';

const spec = JSON.parse(process.argv[2] ?? '{}') as DatasetSpec;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
gc();
const before = process.memoryUsage();
const started = performance.now();
const data = await loadDataset(spec);
const seconds = (performance.now() - started) / 1000;
gc();
const after = process.memoryUsage();
const tableBytes = (t: EncodedTable) =>
  t.cat.byteLength +
  t.num.byteLength +
  (t.sourceLines?.byteLength ?? 0) +
  Object.values(t.labels).reduce((s, a) => s + a.byteLength, 0) +
  Object.values(t.masks).reduce((s, a) => s + a.byteLength, 0);
const tables = [data.train, data.validation, data.test];
const rows = tables.reduce((s, t) => s + t.size, 0);
const encoded = tables.reduce((s, t) => s + tableBytes(t), 0);
const held = after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers;
console.log(
  JSON.stringify({
    dataset: data.name,
    rows,
    nCat: data.train.nCat,
    nNum: data.train.nNum,
    tasks: data.tasks.length,
    loadSeconds: Number(seconds.toFixed(1)),
    encodedTables: mib(encoded),
    encodedBytesPerRow: Number((encoded / rows).toFixed(1)),
    heldAfterLoad: mib(held),
    heldBytesPerRow: Number((held / rows).toFixed(1)),
    peakRss: mib(process.resourceUsage().maxRSS * 1024),
  }),
);
