/**
 * Reading delimited files into a fitted schema and in-memory tables:
 *
 * - `fitSchema`: one streaming pass over the training files that only counts values and accumulates moments
 *   (memory ∝ vocabulary size), for training data larger than memory; pair it with `streamBatches`.
 * - `fitTable`: fits and encodes the training split in a single pass (values get provisional ids, remapped once the
 *   vocabularies are known), giving exactly what `fitSchema` followed by `readTable` gives, in half the reading.
 * - `fitTableSplit`: like `fitTable`, but routes each row to train/validation/test by a seeded draw (one file in,
 *   three tables out), fitting on the train rows only.
 * - `readTable`: encodes validation/test (or any) files with an already fitted schema.
 */
import { planColumns } from './column-plan.js';
import { emptyReport, type ReadReport } from './errors.js';
import { FittedSchema } from './fitted-schema.js';
import { GrowableArray } from './growable-arrays.js';
import { RunningMoments, type NumericStatsJSON } from './numeric-stats.js';
import { SeededRandom } from './random.js';
import { readDecodedRows } from './record-reader.js';
import type { BadRowPolicy, TableSpec } from './schema.js';
import { EncodedTable } from './table.js';
import { Vocabulary } from './vocabulary.js';

export interface ReadOptions {
  onBadRow?: BadRowPolicy;
  /** Sees the decompressed bytes of each file in order (e.g. to checksum the content while it is parsed). */
  onBytes?: (path: string, chunk: Buffer) => void;
}

function toList(paths: string | string[]): string[] {
  return Array.isArray(paths) ? paths : [paths];
}

function minFrequencies(spec: TableSpec): number[] {
  return planColumns(spec).categorical.map((c) => c.minFrequency ?? spec.minFrequency ?? 1);
}

/** Fits vocabularies and numeric statistics in one streaming pass, without keeping rows. */
export async function fitSchema(
  paths: string | string[],
  spec: TableSpec,
  options: ReadOptions = {},
): Promise<{ schema: FittedSchema; report: ReadReport }> {
  const plan = planColumns(spec);
  const counts = plan.categorical.map(() => new Map<string, number>());
  const moments = plan.numeric.map(() => new RunningMoments());
  const report = emptyReport();
  for (const path of toList(paths)) {
    const onBytes = options.onBytes ? (chunk: Buffer) => options.onBytes!(path, chunk) : undefined;
    for await (const { row } of readDecodedRows(path, spec, { onBadRow: options.onBadRow, report, onBytes })) {
      for (let k = 0; k < counts.length; k++) counts[k].set(row.cat[k], (counts[k].get(row.cat[k]) ?? 0) + 1);
      for (let k = 0; k < moments.length; k++) if (!Number.isNaN(row.num[k])) moments[k].add(row.num[k]);
    }
  }
  const frequencies = minFrequencies(spec);
  const vocabularies = counts.map((c, k) => Vocabulary.fromCounts(c, frequencies[k]));
  return {
    schema: new FittedSchema(
      spec,
      vocabularies,
      moments.map((m) => m.finish()),
    ),
    report,
  };
}

/**
 * Rows read into growable buffers; categorical ids are whatever `idOf` assigns (provisional or final). What is held
 * per row: 4 bytes per categorical and per numeric column (numerics as float32, standardised in place at the end),
 * 8 bytes per task (label + mask, float32) and 4 for the source line. The text of a row is never kept.
 */
class RowCollector {
  readonly cat = new GrowableArray(Int32Array, 1 << 16);
  readonly num = new GrowableArray(Float32Array, 1 << 16);
  readonly labels: GrowableArray<Float32Array>[];
  readonly masks: GrowableArray<Float32Array>[];
  readonly lines = new GrowableArray(Int32Array, 1 << 14);

  constructor(readonly tasks: string[]) {
    this.labels = tasks.map(() => new GrowableArray(Float32Array, 1 << 14));
    this.masks = tasks.map(() => new GrowableArray(Float32Array, 1 << 14));
  }

  get size(): number {
    return this.lines.length;
  }

  toTable(
    nCat: number,
    nNum: number,
    cat: Int32Array,
    encodeNumeric: (k: number, raw: number) => number,
  ): EncodedTable {
    const num = this.num.toArray();
    for (let i = 0; i < num.length; i++) num[i] = encodeNumeric(i % nNum, num[i]);
    const labels: Record<string, Float32Array> = {};
    const masks: Record<string, Float32Array> = {};
    this.tasks.forEach((task, t) => {
      labels[task] = this.labels[t].toArray();
      masks[task] = this.masks[t].toArray();
    });
    return new EncodedTable({
      size: this.size,
      nCat,
      nNum,
      cat,
      num,
      labels,
      masks,
      sourceLines: this.lines.toArray(),
    });
  }
}

/**
 * Reads every row of `paths` into one of `parts` collectors: `route` picks the part of each row (in file order),
 * `idOf` the categorical id of a token and `onNumeric` sees each known numeric value, both told the part.
 */
async function collectRows(
  paths: string[],
  spec: TableSpec,
  options: ReadOptions,
  idOf: (k: number, token: string, part: number) => number,
  onNumeric: (k: number, value: number, part: number) => void,
  parts = 1,
  route: () => number = () => 0,
): Promise<{ collectors: RowCollector[]; report: ReadReport }> {
  const plan = planColumns(spec);
  const nCat = plan.categorical.length;
  const nNum = plan.numeric.length;
  const tasks = plan.labels.map((c) => c.task);
  const collectors = Array.from({ length: parts }, () => new RowCollector(tasks));
  const report = emptyReport();
  for (const path of paths) {
    const onBytes = options.onBytes ? (chunk: Buffer) => options.onBytes!(path, chunk) : undefined;
    for await (const { row, lineNumber } of readDecodedRows(path, spec, {
      onBadRow: options.onBadRow,
      report,
      onBytes,
    })) {
      const part = route();
      const collector = collectors[part];
      const cat = collector.cat.reserve(nCat);
      for (let k = 0; k < nCat; k++) cat[collector.cat.length++] = idOf(k, row.cat[k], part);
      const num = collector.num.reserve(nNum);
      for (let k = 0; k < nNum; k++) {
        num[collector.num.length++] = row.num[k];
        if (!Number.isNaN(row.num[k])) onNumeric(k, row.num[k], part);
      }
      for (let t = 0; t < tasks.length; t++) {
        collector.labels[t].push(row.label[t]);
        collector.masks[t].push(row.mask[t]);
      }
      collector.lines.push(lineNumber);
    }
  }
  return { collectors, report };
}

/**
 * Categorical ids given in first-seen order while reading, with counts of the rows that fit the vocabulary
 * (the training rows); `finish` turns the counts into vocabularies and remaps every collected id in place.
 */
class ProvisionalIds {
  private readonly ids: Map<string, number>[];
  private readonly counts: number[][];

  constructor(nCat: number) {
    this.ids = Array.from({ length: nCat }, () => new Map<string, number>());
    this.counts = Array.from({ length: nCat }, () => []);
  }

  idOf(k: number, token: string, counted: boolean): number {
    let id = this.ids[k].get(token);
    if (id === undefined) {
      id = this.ids[k].size;
      this.ids[k].set(token, id);
      this.counts[k].push(0);
    }
    if (counted) this.counts[k][id]++;
    return id;
  }

  finish(minFrequency: number[]): { vocabularies: Vocabulary[]; remap: (cat: Int32Array) => Int32Array } {
    // A token seen only outside the training rows has count 0 and stays out of the vocabulary (OOV), as in readTable.
    const vocabularies = this.ids.map((ids, k) =>
      Vocabulary.fromCounts(
        new Map([...ids].filter(([, id]) => this.counts[k][id] > 0).map(([token, id]) => [token, this.counts[k][id]])),
        minFrequency[k],
      ),
    );
    const finalIds = this.ids.map((ids, k) => {
      const map = new Int32Array(ids.size);
      for (const [token, id] of ids) map[id] = vocabularies[k].idOf(token);
      return map;
    });
    const nCat = this.ids.length;
    const remap = (cat: Int32Array): Int32Array => {
      for (let i = 0; i < cat.length; i++) cat[i] = finalIds[i % nCat][cat[i]];
      return cat;
    };
    return { vocabularies, remap };
  }
}

/** Fits the schema on the training files and returns them encoded, in one pass. */
export async function fitTable(
  paths: string | string[],
  spec: TableSpec,
  options: ReadOptions = {},
): Promise<{ schema: FittedSchema; table: EncodedTable; report: ReadReport }> {
  const { schema, tables, report } = await fitParts(toList(paths), spec, options, 1, () => 0);
  return { schema, table: tables[0], report };
}

export interface FractionSplit {
  /** Share of the rows that go to validation and to test, each in [0, 1), summing to less than 1. */
  validation: number;
  test: number;
  /** Seed of the row assignment. Default 0. */
  seed?: number;
}

/**
 * Splits files into train/validation/test by a seeded draw per row, in one pass: row i (in file order) goes to
 * validation when its uniform draw u < validation, to test when u < validation + test, else to train. The same
 * files and seed always give the same split. Vocabularies and numeric statistics are fitted on the train rows only.
 */
export async function fitTableSplit(
  paths: string | string[],
  spec: TableSpec,
  split: FractionSplit,
  options: ReadOptions = {},
): Promise<{
  schema: FittedSchema;
  train: EncodedTable;
  validation: EncodedTable;
  test: EncodedTable;
  report: ReadReport;
}> {
  const { validation, test, seed = 0 } = split;
  for (const [key, value] of [
    ['validation', validation],
    ['test', test],
  ] as const) {
    if (!(value >= 0 && value < 1))
      throw new RangeError(`fitTableSplit: split.${key} must be a fraction in [0, 1), got ${value}`);
  }
  if (!(validation + test < 1))
    throw new RangeError(`fitTableSplit: split.validation + split.test must be < 1, got ${validation + test}`);
  const rng = new SeededRandom(seed);
  const route = (): number => {
    const u = rng.nextFloat();
    return u < validation ? 1 : u < validation + test ? 2 : 0;
  };
  const { schema, tables, report } = await fitParts(toList(paths), spec, options, 3, route);
  return { schema, train: tables[0], validation: tables[1], test: tables[2], report };
}

/** One pass that fits on part 0 and encodes every part with the result. */
async function fitParts(
  paths: string[],
  spec: TableSpec,
  options: ReadOptions,
  parts: number,
  route: () => number,
): Promise<{ schema: FittedSchema; tables: EncodedTable[]; report: ReadReport }> {
  const plan = planColumns(spec);
  const provisional = new ProvisionalIds(plan.categorical.length);
  const moments = plan.numeric.map(() => new RunningMoments());
  const { collectors, report } = await collectRows(
    paths,
    spec,
    options,
    (k, token, part) => provisional.idOf(k, token, part === 0),
    (k, value, part) => {
      if (part === 0) moments[k].add(value);
    },
    parts,
    route,
  );
  const { vocabularies, remap } = provisional.finish(minFrequencies(spec));
  const stats: NumericStatsJSON[] = moments.map((m) => m.finish());
  const schema = new FittedSchema(spec, vocabularies, stats);
  const nCat = plan.categorical.length;
  const tables = collectors.map((collector) =>
    collector.toTable(nCat, plan.numeric.length, remap(collector.cat.toArray()), (k, raw) =>
      schema.encodeNumeric(k, raw),
    ),
  );
  return { schema, tables, report };
}

/** Encodes files with a fitted schema: unseen categorical values get the OOV id 0. */
export async function readTable(
  paths: string | string[],
  schema: FittedSchema,
  options: ReadOptions = {},
): Promise<{ table: EncodedTable; report: ReadReport }> {
  const { collectors, report } = await collectRows(
    toList(paths),
    schema.spec,
    options,
    (k, token) => schema.vocabularies[k].idOf(token),
    () => undefined,
  );
  const collector = collectors[0];
  const table = collector.toTable(schema.nCat, schema.nNum, collector.cat.toArray(), (k, raw) =>
    schema.encodeNumeric(k, raw),
  );
  return { table, report };
}
