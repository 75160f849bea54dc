/**
 * FeatureEncoder: one dense input row per example from mixed features, the input every model takes.
 *  - categorical fields: int32 ids [B, nCat] (column f is field f) → one Embedding per field, each with its own
 *    vocabulary size and dim. Id 0 is the out-of-vocabulary row (the data loaders map unseen values there); ids
 *    outside [0, vocabularySize) are mapped to 0 as well rather than failing mid-training.
 *  - numeric fields: float [B, nNum] → optionally standardised by a given (mean, std) per field.
 * Output: [B, Σ dims + nNum], embeddings first in field order, then the numeric columns.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { div, ge, lt, maximum, sub, where } from '../ops/elementwise.js';
import { tensor } from '../ops/creation.js';
import { concat, permute, reshape, slice } from '../ops/shape.js';
import { Module } from './module.js';
import { ModuleDict } from './containers.js';
import { Embedding } from './embedding.js';
import { createBuffer, type TensorPlacement } from './parameter.js';
import { recordTouchedRows } from './sparse-rows.js';

export interface CategoricalField {
  name: string;
  /** Embedding rows, including the OOV row 0. */
  vocabularySize: number;
  /** Embedding width (default: the encoder's embeddingDim). */
  dim?: number;
}

export interface NumericField {
  name: string;
  /** Standardise as (x − mean) / std when both are given (leave out for already standardised data). */
  mean?: number;
  std?: number;
}

export interface FeatureEncoderOptions extends TensorPlacement {
  categorical?: readonly CategoricalField[];
  numeric?: readonly NumericField[];
  embeddingDim?: number;
  /** Lazy embedding updates (default true). */
  sparse?: boolean;
}

export interface FeatureBatch {
  /** int32 [B, nCat]. */
  cat?: Tensor;
  /** The same ids on the host (the loader's Int32Array), for lazy embedding updates without a readback. */
  catHost?: ArrayLike<number>;
  /** float [B, nNum]. */
  num?: Tensor;
}

export class FeatureEncoder extends Module {
  readonly categorical: readonly CategoricalField[];
  readonly numeric: readonly NumericField[];
  readonly embeddings: ModuleDict<Embedding>;
  readonly outputDim: number;
  private readonly numShift: Tensor | null;
  /** Each categorical field's vocabulary size, in field order (ids at or above it are out of vocabulary). */
  private readonly vocabularySizes: Int32Array;
  private readonly numScale: Tensor | null;

  constructor(opts: FeatureEncoderOptions) {
    super();
    this.categorical = [...(opts.categorical ?? [])];
    this.numeric = [...(opts.numeric ?? [])];
    if (this.categorical.length + this.numeric.length === 0)
      throw new Error('FeatureEncoder: needs at least one categorical or numeric field');
    const names = [...this.categorical, ...this.numeric].map((f) => f.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new Error(`FeatureEncoder: field '${dup}' is declared twice`);
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    this.embeddings = this.registerModule('embeddings', new ModuleDict<Embedding>());
    let width = 0;
    for (const f of this.categorical) {
      const dim = f.dim ?? opts.embeddingDim;
      if (dim === undefined)
        throw new Error(`FeatureEncoder: field '${f.name}' has no dim and no embeddingDim default was given`);
      if (!Number.isInteger(f.vocabularySize) || f.vocabularySize < 1) {
        throw new Error(
          `FeatureEncoder: field '${f.name}' needs vocabularySize >= 1 (row 0 is OOV), got ${f.vocabularySize}`,
        );
      }
      this.embeddings.set(f.name, new Embedding(f.vocabularySize, dim, { ...place, sparse: opts.sparse }));
      width += dim;
    }
    this.vocabularySizes = Int32Array.from(this.categorical, (f) => f.vocabularySize);
    const standardise = this.numeric.some((f) => f.mean !== undefined && f.std !== undefined);
    for (const f of this.numeric) {
      if (f.std !== undefined && !(f.std > 0))
        throw new Error(`FeatureEncoder: numeric field '${f.name}' needs std > 0, got ${f.std}`);
    }
    // Fields without both statistics pass through: shift 0, scale 1.
    const stats = this.numeric.map((f) => (f.mean !== undefined && f.std !== undefined ? [f.mean, f.std] : [0, 1]));
    this.numShift = standardise
      ? createBuffer(() =>
          tensor(
            stats.map(([m]) => m),
            place,
          ),
        )
      : null;
    this.numScale = standardise
      ? createBuffer(() =>
          tensor(
            stats.map(([, s]) => s),
            place,
          ),
        )
      : null;
    if (this.numShift && this.numScale) {
      this.registerBuffer('num_mean', this.numShift);
      this.registerBuffer('num_std', this.numScale);
    }
    this.outputDim = width + this.numeric.length;
  }

  /** Field i's ids of a host batch [B, nCat], out-of-vocabulary ones mapped to 0 as forward maps them (into `out`). */
  private hostColumn(host: ArrayLike<number>, B: number, i: number, out = new Int32Array(B)): Int32Array {
    const nCat = this.categorical.length;
    const size = this.categorical[i]!.vocabularySize;
    for (let b = 0, k = i; b < B; b++, k += nCat) {
      const id = host[k]!;
      out[b] = id >= 0 && id < size ? id : 0;
    }
    return out;
  }

  /**
   * Records the embedding rows a batch looks up, for lazy (sparse) updates, exactly as forward does with catHost
   * under recording: for a caller that replays a captured forward (mt.compile runs no JavaScript of the model),
   * so that the optimizer still updates only those rows. Ids [B, nCat] on the host.
   */
  recordLookups(catHost: ArrayLike<number>, B: number): void {
    const nCat = this.categorical.length;
    if (catHost.length !== B * nCat)
      throw new Error(`FeatureEncoder.recordLookups: ${catHost.length} ids for a batch of ${B} × ${nCat} fields`);
    const column = new Int32Array(B);
    this.categorical.forEach((f, i) => {
      const emb = this.embeddings.get(f.name);
      if (emb.sparse && emb.weight.requiresGrad) recordTouchedRows(emb.weight, this.hostColumn(catHost, B, i, column));
    });
  }

  /**
   * How many ids per example a batch looks up in `weight` (the fields embedded by it; 0 when it is none of this
   * encoder's tables): a batch of B touches at most B × that many of its rows.
   */
  lookupsPerExample(weight: Tensor): number {
    return this.categorical.filter((f) => this.embeddings.get(f.name).weight === weight).length;
  }

  forward(batch: FeatureBatch): Tensor {
    const parts: Tensor[] = [];
    const nCat = this.categorical.length,
      nNum = this.numeric.length;
    if (nCat > 0) {
      const cat = batch.cat;
      if (cat?.dtype !== 'int32' || cat.ndim !== 2 || cat.shape[1] !== nCat) {
        throw new Error(
          `FeatureEncoder: expected cat int32 [B, ${nCat}], got ${cat ? `${fmt(cat.shape)} ${cat.dtype}` : 'none'}`,
        );
      }
      const B = cat.shape[0];
      const host = batch.catHost;
      if (host && host.length !== B * nCat)
        throw new Error(`FeatureEncoder: catHost has ${host.length} ids, cat ${fmt(cat.shape)} needs ${B * nCat}`);
      // Out-of-vocabulary ids → 0 for all fields at once (each column against its field's size, broadcast): 4
      // kernels for the mapping rather than 4 per field (census has 31 fields). Then field-major, so that each
      // field's ids are one contiguous row to cut rather than a column strided through the batch.
      const sizes = tensor(this.vocabularySizes, { dtype: 'int32', backend: cat.backendName });
      const byField = permute(where(maximum(lt(cat, 0), ge(cat, sizes)), 0, cat), [1, 0]);
      this.categorical.forEach((f, i) => {
        const ids = reshape(slice(byField, [[i, i + 1]]), [B]);
        const hostIds = host ? this.hostColumn(host, B, i) : undefined;
        parts.push(this.embeddings.get(f.name).forward(ids, hostIds));
      });
    }
    if (nNum > 0) {
      const num = batch.num;
      if (num?.ndim !== 2 || num.shape[1] !== nNum || num.dtype === 'int32') {
        throw new Error(
          `FeatureEncoder: expected num float [B, ${nNum}], got ${num ? `${fmt(num.shape)} ${num.dtype}` : 'none'}`,
        );
      }
      parts.push(this.numShift && this.numScale ? div(sub(num, this.numShift), this.numScale) : num);
    }
    if (parts.length > 1 && parts.some((p) => p.shape[0] !== parts[0].shape[0])) {
      throw new Error(
        `FeatureEncoder: cat and num disagree on the batch size (${parts.map((p) => p.shape[0]).join(' vs ')})`,
      );
    }
    return parts.length === 1 ? parts[0] : concat(parts, 1);
  }
}
