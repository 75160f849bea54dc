/**
 * A whole split held in memory as flat typed arrays, ready to be cut into batches. Row-major layouts:
 * `cat` is [size, nCat] (int32 ids, 0 = OOV), `num` is [size, nNum] (float32, standardised). Per task, `labels`
 * holds the targets and `masks` holds 1 where the label is defined and 0 elsewhere (task-space masking), both as
 * float32 so a mask can weight a loss directly.
 */
import { SeededRandom } from './random.js';

export interface Batch {
  size: number;
  nCat: number;
  nNum: number;
  cat: Int32Array;
  num: Float32Array;
  labels: Record<string, Float32Array>;
  masks: Record<string, Float32Array>;
}

export interface TableColumns {
  size: number;
  nCat: number;
  nNum: number;
  cat: Int32Array;
  num: Float32Array;
  labels: Record<string, Float32Array>;
  masks?: Record<string, Float32Array>;
  /** 1-based source line of every row, when the rows came from a file. */
  sourceLines?: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Visit rows in a seeded random order (a fresh permutation per call; vary the seed per epoch). Default false. */
  shuffle?: boolean;
  seed?: number;
  /** Drop a final batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /**
   * Reuse one set of arrays for every batch: a batch is valid only until the next one is asked for (a training
   * loop that consumes each batch before the next spares allocating — and first-touching — fresh memory per batch).
   * Default false.
   */
  reuse?: boolean;
}

export class EncodedTable implements Batch {
  readonly size: number;
  readonly nCat: number;
  readonly nNum: number;
  readonly cat: Int32Array;
  readonly num: Float32Array;
  readonly labels: Record<string, Float32Array>;
  readonly masks: Record<string, Float32Array>;
  readonly sourceLines: Int32Array | null;

  constructor(columns: TableColumns) {
    const { size, nCat, nNum } = columns;
    if (columns.cat.length !== size * nCat)
      throw new RangeError(`EncodedTable: cat has ${columns.cat.length} values, expected ${size}×${nCat}`);
    if (columns.num.length !== size * nNum)
      throw new RangeError(`EncodedTable: num has ${columns.num.length} values, expected ${size}×${nNum}`);
    const masks: Record<string, Float32Array> = {};
    for (const [task, values] of Object.entries(columns.labels)) {
      if (values.length !== size)
        throw new RangeError(`EncodedTable: labels of "${task}" have length ${values.length}, expected ${size}`);
      const mask = columns.masks?.[task] ?? new Float32Array(size).fill(1);
      if (mask.length !== size)
        throw new RangeError(`EncodedTable: mask of "${task}" has length ${mask.length}, expected ${size}`);
      masks[task] = mask;
    }
    if (columns.sourceLines && columns.sourceLines.length !== size)
      throw new RangeError('EncodedTable: sourceLines length differs from size');
    this.size = size;
    this.nCat = nCat;
    this.nNum = nNum;
    this.cat = columns.cat;
    this.num = columns.num;
    this.labels = columns.labels;
    this.masks = masks;
    this.sourceLines = columns.sourceLines ?? null;
  }

  get tasks(): string[] {
    return Object.keys(this.labels);
  }

  /**
   * Copies the given rows, in the given order, into a new batch — or into `into`'s arrays (views of their first
   * rows.length rows; they must hold at least that many, as a batch gathered for as many rows or more does).
   */
  gather(rows: ArrayLike<number>, into?: Batch): Batch {
    const n = rows.length;
    const { nCat, nNum } = this;
    if (into && into.size < n) throw new RangeError(`EncodedTable.gather: ${n} rows into a batch of ${into.size}`);
    const cat = into ? into.cat.subarray(0, n * nCat) : new Int32Array(n * nCat);
    const num = into ? into.num.subarray(0, n * nNum) : new Float32Array(n * nNum);
    const labels: Record<string, Float32Array> = {};
    const masks: Record<string, Float32Array> = {};
    const tasks = this.tasks;
    for (const task of tasks) {
      labels[task] = into ? into.labels[task]!.subarray(0, n) : new Float32Array(n);
      masks[task] = into ? into.masks[task]!.subarray(0, n) : new Float32Array(n);
    }
    // Plain element loops: rows are short (a few ids and numbers), where subarray().set() per row costs more.
    const srcCat = this.cat,
      srcNum = this.num;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      if (!(r >= 0 && r < this.size)) throw new RangeError(`EncodedTable: row ${r} is out of range [0, ${this.size})`);
      for (let j = 0, s = r * nCat, d = i * nCat; j < nCat; j++) cat[d + j] = srcCat[s + j]!;
      for (let j = 0, s = r * nNum, d = i * nNum; j < nNum; j++) num[d + j] = srcNum[s + j]!;
    }
    for (const task of tasks) {
      const srcLabels = this.labels[task]!,
        srcMasks = this.masks[task]!,
        outLabels = labels[task]!,
        outMasks = masks[task]!;
      for (let i = 0; i < n; i++) {
        const r = rows[i]!;
        outLabels[i] = srcLabels[r]!;
        outMasks[i] = srcMasks[r]!;
      }
    }
    return { size: n, nCat, nNum, cat, num, labels, masks };
  }

  /** A new table with the given rows (used for the deterministic validation/test halves). */
  subset(rows: ArrayLike<number>): EncodedTable {
    const batch = this.gather(rows);
    const sourceLines = this.sourceLines
      ? Int32Array.from(rows as ArrayLike<number>, (r) => this.sourceLines![r])
      : undefined;
    return new EncodedTable({ ...batch, sourceLines });
  }

  *batches(options: BatchOptions): Generator<Batch> {
    const { batchSize, shuffle = false, seed = 0, dropLast = false, reuse = false } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new RangeError(`batches: batchSize must be a positive integer, got ${batchSize}`);
    let order: Int32Array;
    if (shuffle) {
      order = new SeededRandom(seed).permutation(this.size);
    } else {
      order = new Int32Array(this.size);
      for (let i = 0; i < this.size; i++) order[i] = i;
    }
    let buffers: Batch | undefined;
    for (let start = 0; start < this.size; start += batchSize) {
      const end = Math.min(start + batchSize, this.size);
      if (dropLast && end - start < batchSize) break;
      const batch = this.gather(order.subarray(start, end), buffers);
      if (reuse) buffers ??= batch;
      yield batch;
    }
  }
}
