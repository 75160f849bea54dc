/**
 * Reading delimited files into a fitted schema and in-memory tables:
 *
 * - `fitSchema`: one streaming pass over the training files that only counts values and accumulates moments
 *   (memory ∝ vocabulary size), for training data larger than memory; pair it with `streamBatches`.
 * - `fitTable`: fits and encodes the training split in a single pass (values get provisional ids, remapped once the
 *   vocabularies are known), giving exactly what `fitSchema` followed by `readTable` gives, in half the reading.
 * - `readTable`: encodes validation/test (or any) files with an already fitted schema.
 */
import { planColumns } from './columnPlan.js';
import { emptyReport, type ReadReport } from './errors.js';
import { FittedSchema } from './fittedSchema.js';
import { GrowableArray } from './growableArrays.js';
import { RunningMoments, type NumericStatsJSON } from './numericStats.js';
import { readDecodedRows } from './recordReader.js';
import { type BadRowPolicy, type TableSpec } from './schema.js';
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
  return { schema: new FittedSchema(spec, vocabularies, moments.map((m) => m.finish())), report };
}

/** Rows read into growable buffers; categorical ids are whatever `idOf` assigns (provisional or final). */
class RowCollector {
  readonly cat = new GrowableArray(Int32Array, 1 << 16);
  readonly num = new GrowableArray(Float64Array, 1 << 16);
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

  toTable(nCat: number, nNum: number, cat: Int32Array, encodeNumeric: (k: number, raw: number) => number): EncodedTable {
    const rawNum = this.num.toArray();
    const num = new Float32Array(rawNum.length);
    for (let i = 0; i < rawNum.length; i++) num[i] = encodeNumeric(i % nNum, rawNum[i]);
    const labels: Record<string, Float32Array> = {};
    const masks: Record<string, Float32Array> = {};
    this.tasks.forEach((task, t) => {
      labels[task] = this.labels[t].toArray();
      masks[task] = this.masks[t].toArray();
    });
    return new EncodedTable({ size: this.size, nCat, nNum, cat, num, labels, masks, sourceLines: this.lines.toArray() });
  }
}

async function collectRows(
  paths: string[],
  spec: TableSpec,
  options: ReadOptions,
  idOf: (k: number, token: string) => number,
  onNumeric: (k: number, value: number) => void,
): Promise<{ collector: RowCollector; report: ReadReport }> {
  const plan = planColumns(spec);
  const nCat = plan.categorical.length;
  const nNum = plan.numeric.length;
  const collector = new RowCollector(plan.labels.map((c) => c.task));
  const report = emptyReport();
  for (const path of paths) {
    const onBytes = options.onBytes ? (chunk: Buffer) => options.onBytes!(path, chunk) : undefined;
    for await (const { row, lineNumber } of readDecodedRows(path, spec, { onBadRow: options.onBadRow, report, onBytes })) {
      const cat = collector.cat.reserve(nCat);
      for (let k = 0; k < nCat; k++) cat[collector.cat.length++] = idOf(k, row.cat[k]);
      const num = collector.num.reserve(nNum);
      for (let k = 0; k < nNum; k++) {
        num[collector.num.length++] = row.num[k];
        if (!Number.isNaN(row.num[k])) onNumeric(k, row.num[k]);
      }
      for (let t = 0; t < collector.tasks.length; t++) {
        collector.labels[t].push(row.label[t]);
        collector.masks[t].push(row.mask[t]);
      }
      collector.lines.push(lineNumber);
    }
  }
  return { collector, report };
}

/** Fits the schema on the training files and returns them encoded, in one pass. */
export async function fitTable(
  paths: string | string[],
  spec: TableSpec,
  options: ReadOptions = {},
): Promise<{ schema: FittedSchema; table: EncodedTable; report: ReadReport }> {
  const plan = planColumns(spec);
  // Provisional ids in first-seen order, with counts; remapped to the final (frequency-ordered) ids at the end.
  const provisional = plan.categorical.map(() => new Map<string, number>());
  const counts = plan.categorical.map(() => [] as number[]);
  const moments = plan.numeric.map(() => new RunningMoments());
  const { collector, report } = await collectRows(
    toList(paths),
    spec,
    options,
    (k, token) => {
      let id = provisional[k].get(token);
      if (id === undefined) {
        id = provisional[k].size;
        provisional[k].set(token, id);
        counts[k].push(0);
      }
      counts[k][id]++;
      return id;
    },
    (k, value) => moments[k].add(value),
  );

  const frequencies = minFrequencies(spec);
  const vocabularies = provisional.map((ids, k) => Vocabulary.fromCounts(new Map([...ids].map(([token, id]) => [token, counts[k][id]])), frequencies[k]));
  const remap = provisional.map((ids, k) => {
    const finalIds = new Int32Array(ids.size);
    for (const [token, id] of ids) finalIds[id] = vocabularies[k].idOf(token);
    return finalIds;
  });
  const cat = collector.cat.toArray();
  const nCat = plan.categorical.length;
  for (let i = 0; i < cat.length; i++) cat[i] = remap[i % nCat][cat[i]];

  const stats: NumericStatsJSON[] = moments.map((m) => m.finish());
  const schema = new FittedSchema(spec, vocabularies, stats);
  const table = collector.toTable(nCat, plan.numeric.length, cat, (k, raw) => schema.encodeNumeric(k, raw));
  return { schema, table, report };
}

/** Encodes files with a fitted schema: unseen categorical values get the OOV id 0. */
export async function readTable(
  paths: string | string[],
  schema: FittedSchema,
  options: ReadOptions = {},
): Promise<{ table: EncodedTable; report: ReadReport }> {
  const { collector, report } = await collectRows(
    toList(paths),
    schema.spec,
    options,
    (k, token) => schema.vocabularies[k].idOf(token),
    () => undefined,
  );
  const table = collector.toTable(schema.nCat, schema.nNum, collector.cat.toArray(), (k, raw) => schema.encodeNumeric(k, raw));
  return { table, report };
}
