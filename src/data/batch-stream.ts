/**
 * Batches streamed from files larger than memory, encoded with a fitted schema. Only a bounded number of rows is
 * held at once: the batch being filled plus, when shuffling, a shuffle buffer.
 *
 * Shuffling is the buffer method used by tf.data: the buffer is filled with the first `shuffleBuffer` rows, then
 * each new row replaces a uniformly chosen buffered row, which is emitted. It is seeded and reproducible, but only
 * approximately uniform: a row cannot move earlier than `shuffleBuffer` positions. Files themselves are visited in
 * a seeded random order when shuffling. For a full permutation, load the split with `readTable` and use
 * `EncodedTable.batches({ shuffle: true })`.
 */
import { emptyReport, type ReadReport } from './errors.js';
import type { FittedSchema } from './fitted-schema.js';
import { SeededRandom } from './random.js';
import { readDecodedRows } from './record-reader.js';
import type { BadRowPolicy } from './schema.js';
import type { Batch } from './table.js';

export interface StreamOptions {
  batchSize: number;
  /** Rows held for shuffling; 0 (default) streams rows in file order. */
  shuffleBuffer?: number;
  seed?: number;
  dropLast?: boolean;
  onBadRow?: BadRowPolicy;
}

export interface BatchStream extends AsyncIterable<Batch> {
  /** Rows read and skipped so far (complete once iteration ends). */
  readonly report: ReadReport;
}

/** Fixed-capacity row storage, one flat typed array per field, used for both the shuffle buffer and a batch. */
class RowBlock {
  readonly cat: Int32Array;
  readonly num: Float32Array;
  readonly labels: Float32Array[];
  readonly masks: Float32Array[];

  constructor(
    readonly capacity: number,
    readonly nCat: number,
    readonly nNum: number,
    nTasks: number,
  ) {
    this.cat = new Int32Array(capacity * nCat);
    this.num = new Float32Array(capacity * nNum);
    this.labels = Array.from({ length: nTasks }, () => new Float32Array(capacity));
    this.masks = Array.from({ length: nTasks }, () => new Float32Array(capacity));
  }

  copyRow(from: number, to: RowBlock, at: number): void {
    const { nCat, nNum } = this;
    to.cat.set(this.cat.subarray(from * nCat, (from + 1) * nCat), at * nCat);
    to.num.set(this.num.subarray(from * nNum, (from + 1) * nNum), at * nNum);
    for (let t = 0; t < this.labels.length; t++) {
      to.labels[t][at] = this.labels[t][from];
      to.masks[t][at] = this.masks[t][from];
    }
  }

  toBatch(size: number, tasks: string[]): Batch {
    const labels: Record<string, Float32Array> = {};
    const masks: Record<string, Float32Array> = {};
    tasks.forEach((task, t) => {
      labels[task] = this.labels[t].slice(0, size);
      masks[task] = this.masks[t].slice(0, size);
    });
    return {
      size,
      nCat: this.nCat,
      nNum: this.nNum,
      cat: this.cat.slice(0, size * this.nCat),
      num: this.num.slice(0, size * this.nNum),
      labels,
      masks,
    };
  }
}

export function streamBatches(paths: string | string[], schema: FittedSchema, options: StreamOptions): BatchStream {
  const { batchSize, shuffleBuffer = 0, seed = 0, dropLast = false, onBadRow } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`streamBatches: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(shuffleBuffer) || shuffleBuffer < 0)
    throw new RangeError('streamBatches: shuffleBuffer must be a non-negative integer');
  const files = Array.isArray(paths) ? [...paths] : [paths];
  const report = emptyReport();
  const tasks = schema.tasks;
  const { nCat, nNum } = schema;

  async function* generate(): AsyncGenerator<Batch> {
    const rng = new SeededRandom(seed);
    if (shuffleBuffer > 0) rng.shuffle(files);
    const incoming = new RowBlock(1, nCat, nNum, tasks.length);
    const buffer = new RowBlock(Math.max(shuffleBuffer, 1), nCat, nNum, tasks.length);
    let buffered = 0;
    let batch = new RowBlock(batchSize, nCat, nNum, tasks.length);
    let filled = 0;

    const emit = (block: RowBlock, row: number): Batch | null => {
      block.copyRow(row, batch, filled++);
      if (filled < batchSize) return null;
      const full = batch.toBatch(filled, tasks);
      batch = new RowBlock(batchSize, nCat, nNum, tasks.length);
      filled = 0;
      return full;
    };

    for (const path of files) {
      for await (const { row } of readDecodedRows(path, schema.spec, { onBadRow, report })) {
        for (let k = 0; k < nCat; k++) incoming.cat[k] = schema.vocabularies[k].idOf(row.cat[k]);
        // Raw values rounded to float32 first, as readTable stores them, so both paths encode a row identically.
        for (let k = 0; k < nNum; k++) incoming.num[k] = schema.encodeNumeric(k, Math.fround(row.num[k]));
        for (let t = 0; t < tasks.length; t++) {
          incoming.labels[t][0] = row.label[t];
          incoming.masks[t][0] = row.mask[t];
        }
        let ready: Batch | null;
        if (shuffleBuffer === 0) {
          ready = emit(incoming, 0);
        } else if (buffered < shuffleBuffer) {
          incoming.copyRow(0, buffer, buffered++);
          ready = null;
        } else {
          const slot = rng.nextInt(shuffleBuffer);
          ready = emit(buffer, slot);
          incoming.copyRow(0, buffer, slot);
        }
        if (ready) yield ready;
      }
    }
    // Drain what is left of the shuffle buffer in random order.
    const rest = rng.permutation(buffered);
    for (const slot of rest) {
      const ready = emit(buffer, slot);
      if (ready) yield ready;
    }
    if (filled > 0 && !dropLast) yield batch.toBatch(filled, tasks);
  }

  return { report, [Symbol.asyncIterator]: generate };
}
