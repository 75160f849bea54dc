/**
 * Turns a delimited file into decoded rows following a spec: categorical values as strings, numerics and labels
 * parsed and checked. A malformed row (wrong field count, a non-number in a numeric or numeric-label column,
 * an unterminated quote) either throws a DataFormatError naming file and line, or is skipped and counted,
 * as the caller chose. Nothing malformed ever becomes a NaN downstream: the only NaN a decoded numeric can hold
 * marks a value the spec declared missing, which the encoder then imputes.
 */
import {
  columnDisplayName,
  labelKind,
  resolveFormat,
  type BadRowPolicy,
  type ColumnRef,
  type TableSpec,
} from './schema.js';
import { planColumns, type ColumnPlan } from './column-plan.js';
import { DataFormatError, recordSkip, type ReadReport } from './errors.js';
import { splitFields } from './field-splitter.js';
import { readLines } from './line-reader.js';

export interface DecodedRow {
  cat: string[];
  /** Raw numeric values; NaN only for a declared-missing token. */
  num: Float64Array;
  label: Float64Array;
  /** 1 when the task's label is defined on this row. */
  mask: Uint8Array;
}

export interface RecordReaderOptions {
  onBadRow?: BadRowPolicy;
  report: ReadReport;
  onBytes?: (chunk: Buffer) => void;
}

/** A decoded row and where it came from. The row object is reused: copy what you keep before the next one. */
export interface NumberedRow {
  row: DecodedRow;
  lineNumber: number;
}

function resolveIndex(path: string, ref: ColumnRef, names: string[] | undefined): number {
  if (typeof ref === 'number') return ref;
  if (names === undefined) {
    throw new Error(
      `${path}: column "${ref}" cannot be found: the file has no header and format.columnNames is not set`,
    );
  }
  const index = names.indexOf(ref);
  if (index < 0)
    throw new Error(
      `${path}: column "${ref}" is not among the columns (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`,
    );
  return index;
}

function shorten(token: string): string {
  return token.length > 40 ? `${token.slice(0, 37)}...` : token;
}

export async function* readDecodedRows(
  path: string,
  spec: TableSpec,
  options: RecordReaderOptions,
): AsyncGenerator<NumberedRow> {
  const format = resolveFormat(spec.format);
  const plan: ColumnPlan = planColumns(spec);
  const policy = options.onBadRow ?? 'error';
  const numericMissing = plan.numeric.map((c) => new Set(c.missing ?? []));
  const labelMissing = plan.labels.map((c) => new Set(c.missing ?? []));
  const labelPositive = plan.labels.map((c) => (c.positive ? new Set(c.positive) : null));
  const labelNegative = plan.labels.map((c) => (c.negative ? new Set(c.negative) : null));
  const labelBinary = plan.labels.map((c) => labelKind(c) === 'binary');
  const labelWhere = plan.labels.map((c) => `column ${columnDisplayName(c.column)}, task ${c.task}`);
  const expectedBinary = plan.labels.map((c) =>
    c.positive
      ? `expected ${[...c.positive, ...(c.negative ?? [])].map((v) => JSON.stringify(v)).join(' or ')}`
      : 'expected 0 or 1',
  );
  const taskIndex = new Map(plan.labels.map((c, t) => [c.task, t]));
  const cascades = (spec.relations ?? []).map((r) => ({
    parent: taskIndex.get(r.parent)!,
    child: taskIndex.get(r.child)!,
    text: `${r.child} ⊂ ${r.parent}`,
  }));
  const row: DecodedRow = {
    cat: new Array<string>(plan.categorical.length).fill(''),
    num: new Float64Array(plan.numeric.length),
    label: new Float64Array(plan.labels.length),
    mask: new Uint8Array(plan.labels.length),
  };

  let names = format.header ? undefined : format.columnNames;
  let fieldCount: number | null = names ? names.length : null;
  let catIndex: number[] = [];
  let numIndex: number[] = [];
  let labelIndex: number[] = [];
  let resolved = false;
  const resolve = (): void => {
    catIndex = plan.categorical.map((c) => resolveIndex(path, c.column, names));
    numIndex = plan.numeric.map((c) => resolveIndex(path, c.column, names));
    labelIndex = plan.labels.map((c) => resolveIndex(path, c.column, names));
    resolved = true;
  };
  const checkIndicesFit = (): void => {
    for (const column of [...plan.categorical, ...plan.numeric, ...plan.labels]) {
      const index = resolveIndex(path, column.column, names);
      if (fieldCount !== null && index >= fieldCount) {
        throw new Error(
          `${path}: column ${columnDisplayName(column.column)} is out of range: rows have ${fieldCount} fields`,
        );
      }
    }
  };
  let headerPending = format.header;

  for await (const { text, lineNumber } of readLines(path, { encoding: format.encoding, onBytes: options.onBytes })) {
    if (text.trim() === '') continue; // blank lines (e.g. a trailing one) carry no row
    const fields = splitFields(text, format);
    const bad = (reason: string): void => {
      if (policy === 'error') throw new DataFormatError(path, lineNumber, reason);
      recordSkip(options.report, { file: path, line: lineNumber, reason });
    };
    if (headerPending) {
      if (typeof fields === 'string') throw new DataFormatError(path, lineNumber, `header: ${fields}`);
      names = format.columnNames ?? fields;
      fieldCount = fields.length;
      headerPending = false;
      resolve();
      checkIndicesFit();
      continue;
    }
    if (typeof fields === 'string') {
      bad(fields);
      continue;
    }
    if (fieldCount === null) {
      fieldCount = fields.length;
    }
    if (!resolved) {
      resolve();
      checkIndicesFit();
    }
    if (fields.length !== fieldCount) {
      bad(`expected ${fieldCount} fields, got ${fields.length}`);
      continue;
    }

    let problem: string | null = null;
    for (let k = 0; k < numIndex.length && problem === null; k++) {
      const token = fields[numIndex[k]];
      if (numericMissing[k].has(token)) {
        row.num[k] = Number.NaN;
        continue;
      }
      const value = token === '' ? Number.NaN : Number(token);
      if (!Number.isFinite(value))
        problem = `column ${columnDisplayName(plan.numeric[k].column)}: "${shorten(token)}" is not a number`;
      else row.num[k] = value;
    }
    for (let t = 0; t < labelIndex.length && problem === null; t++) {
      const token = fields[labelIndex[t]];
      if (labelMissing[t].has(token)) {
        row.label[t] = 0;
        row.mask[t] = 0;
        continue;
      }
      row.mask[t] = 1;
      const positive = labelPositive[t];
      const negative = labelNegative[t];
      if (positive !== null) {
        if (positive.has(token)) row.label[t] = 1;
        else if (negative === null || negative.has(token)) row.label[t] = 0;
        else
          problem = `${labelWhere[t]}: binary label "${shorten(token)}" is not a declared value (${expectedBinary[t]})`;
      } else {
        const value = token === '' ? Number.NaN : Number(token);
        if (!Number.isFinite(value)) problem = `${labelWhere[t]}: label "${shorten(token)}" is not a number`;
        else if (labelBinary[t] && value !== 0 && value !== 1)
          problem = `${labelWhere[t]}: binary label "${shorten(token)}" is not 0 or 1`;
        else row.label[t] = value;
      }
    }
    for (let c = 0; c < cascades.length && problem === null; c++) {
      const { parent, child, text } = cascades[c];
      if (row.mask[child] === 1 && row.label[child] === 1 && !(row.mask[parent] === 1 && row.label[parent] === 1)) {
        problem = `cascade ${text} broken: ${labelWhere[child]} is 1 but ${labelWhere[parent]} is ${row.mask[parent] === 1 ? 0 : 'missing'}`;
      }
    }
    if (problem !== null) {
      bad(problem);
      continue;
    }
    for (let k = 0; k < catIndex.length; k++) row.cat[k] = fields[catIndex[k]];
    options.report.rowsRead++;
    yield { row, lineNumber };
  }
}
