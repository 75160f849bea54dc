/**
 * A spec plus what was learned from the training split: one vocabulary per categorical column and mean/std per
 * numeric column. It encodes rows for training and inference alike and serialises to JSON (saved with the model),
 * so a checkpoint reproduces the exact feature encoding it was trained with.
 */
import { planColumns, type ColumnPlan } from './column-plan.js';
import { featureName, type TableSpec } from './schema.js';
import type { NumericStatsJSON } from './numeric-stats.js';
import { Vocabulary, type VocabularyJSON } from './vocabulary.js';

/** A plain decimal number (optional sign, fraction, exponent), as JSON or a CSV cell writes one. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export const SCHEMA_FORMAT = 'mtgrad.table-schema';
export const SCHEMA_VERSION = 1;

export interface FittedSchemaJSON {
  format: typeof SCHEMA_FORMAT;
  version: number;
  spec: TableSpec;
  vocabularies: VocabularyJSON[];
  numericStats: NumericStatsJSON[];
}

export interface CategoricalFeature {
  name: string;
  /** Embedding rows needed, including the OOV row 0. */
  vocabularySize: number;
}

export interface NumericFeature {
  name: string;
  mean: number;
  std: number;
  standardized: boolean;
}

export interface EncodedFeatures {
  size: number;
  /** Row-major [size, nCat]. */
  cat: Int32Array;
  /** Row-major [size, nNum]. */
  num: Float32Array;
}

export class FittedSchema {
  readonly plan: ColumnPlan;

  constructor(
    readonly spec: TableSpec,
    readonly vocabularies: readonly Vocabulary[],
    readonly numericStats: readonly NumericStatsJSON[],
  ) {
    this.plan = planColumns(spec);
    if (vocabularies.length !== this.plan.categorical.length) {
      throw new Error(
        `FittedSchema: ${vocabularies.length} vocabularies for ${this.plan.categorical.length} categorical columns`,
      );
    }
    if (numericStats.length !== this.plan.numeric.length) {
      throw new Error(
        `FittedSchema: ${numericStats.length} numeric statistics for ${this.plan.numeric.length} numeric columns`,
      );
    }
  }

  get categoricalFeatures(): CategoricalFeature[] {
    return this.plan.categorical.map((c, k) => ({ name: featureName(c), vocabularySize: this.vocabularies[k].size }));
  }

  get numericFeatures(): NumericFeature[] {
    return this.plan.numeric.map((c, k) => ({
      name: featureName(c),
      mean: this.numericStats[k].mean,
      std: this.numericStats[k].std,
      standardized: c.standardize ?? true,
    }));
  }

  get tasks(): string[] {
    return this.plan.labels.map((c) => c.task);
  }

  get nCat(): number {
    return this.plan.categorical.length;
  }

  get nNum(): number {
    return this.plan.numeric.length;
  }

  /** Numeric value → model input. NaN (a declared-missing token) becomes the training mean, i.e. 0 once standardised. */
  encodeNumeric(k: number, raw: number): number {
    const { mean, std } = this.numericStats[k];
    const standardize = this.plan.numeric[k].standardize ?? true;
    if (Number.isNaN(raw)) return standardize ? 0 : mean;
    return standardize ? (raw - mean) / std : raw;
  }

  /**
   * Encodes JSON-like rows keyed by feature name (for inference). A missing or unseen categorical value is OOV;
   * a missing numeric value is an error unless the column declares missing tokens (then it is imputed).
   */
  encodeObjects(rows: ReadonlyArray<Record<string, unknown>>): EncodedFeatures {
    const nCat = this.nCat;
    const nNum = this.nNum;
    const cat = new Int32Array(rows.length * nCat);
    const num = new Float32Array(rows.length * nNum);
    const catNames = this.plan.categorical.map(featureName);
    const numNames = this.plan.numeric.map(featureName);
    rows.forEach((row, i) => {
      for (let k = 0; k < nCat; k++) {
        const value = row[catNames[k]];
        cat[i * nCat + k] = value === undefined || value === null ? 0 : this.vocabularies[k].idOf(String(value).trim());
      }
      for (let k = 0; k < nNum; k++) {
        const value = row[numNames[k]];
        const declaredMissing = this.plan.numeric[k].missing ?? [];
        let raw: number;
        if (value === undefined || value === null || declaredMissing.includes(String(value))) {
          if (declaredMissing.length === 0) throw new Error(`row ${i}: numeric feature "${numNames[k]}" is missing`);
          raw = Number.NaN;
        } else {
          // Numbers, or strings written as decimal numbers: not true, [37], "0x10" (which Number() would accept).
          raw =
            typeof value === 'number'
              ? value
              : typeof value === 'string' && DECIMAL.test(value.trim())
                ? Number(value)
                : Number.NaN;
          if (!Number.isFinite(raw))
            throw new Error(`row ${i}: numeric feature "${numNames[k]}" = ${JSON.stringify(value)} is not a number`);
        }
        num[i * nNum + k] = this.encodeNumeric(k, raw);
        if (!Number.isFinite(num[i * nNum + k])) {
          throw new Error(
            `row ${i}: numeric feature "${numNames[k]}" = ${JSON.stringify(value)} is out of range (standardised, it overflows float32)`,
          );
        }
      }
    });
    return { size: rows.length, cat, num };
  }

  toJSON(): FittedSchemaJSON {
    return {
      format: SCHEMA_FORMAT,
      version: SCHEMA_VERSION,
      spec: JSON.parse(JSON.stringify(this.spec)) as TableSpec,
      vocabularies: this.vocabularies.map((v) => v.toJSON()),
      numericStats: this.numericStats.map((s) => ({ ...s })),
    };
  }

  static fromJSON(json: FittedSchemaJSON): FittedSchema {
    if (json?.format !== SCHEMA_FORMAT) throw new Error(`FittedSchema.fromJSON: not a ${SCHEMA_FORMAT} document`);
    if (json.version !== SCHEMA_VERSION) throw new Error(`FittedSchema.fromJSON: unsupported version ${json.version}`);
    for (const [k, stats] of json.numericStats.entries()) {
      if (!Number.isFinite(stats.mean) || !(stats.std > 0))
        throw new Error(`FittedSchema.fromJSON: numeric statistics ${k} are invalid`);
    }
    return new FittedSchema(
      json.spec,
      json.vocabularies.map((v) => Vocabulary.fromJSON(v)),
      json.numericStats,
    );
  }
}
