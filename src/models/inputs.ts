/**
 * What a model reads, in three kinds:
 *  - dense (`inputDim` config): forward takes a float tensor [B, inputDim] the caller encoded;
 *  - features (`features` config): the model owns a FeatureEncoder (its embeddings are shared parameters) and
 *    forward takes a FeatureBatch { cat: int32 [B, nCat], num: float [B, nNum] };
 *  - userItem (Rank-and-Rate): forward takes { user: int32 [B], item: int32 [B] }.
 * The tabular models take `TabularInput` (dense or features, which one fixed by the config: a wrong one is a
 * runtime error naming the model and the kind it expects); RnR takes `UserItemInput`, so giving a tabular model
 * user–item ids, or RnR a feature batch, is a type error. `inputFromColumns` builds any model's input from encoded
 * rows (the loaders' typed arrays), so the Trainer and scoring need no per-model code.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { tensor } from '../ops/creation.js';
import { FeatureEncoder, type FeatureBatch, type FeatureEncoderOptions } from '../nn/feature-encoder.js';
import type { TensorPlacement } from '../nn/parameter.js';
import { type ConfigReader, NAME_PATTERN, nestedReader } from './config.js';

/** What the tabular models' forward takes: a dense [B, width] tensor or a feature batch, as the config says. */
export type TabularInput = Tensor | FeatureBatch;

/** What Rank-and-Rate's forward takes: one user id and one item id per row. */
export interface UserItemInput {
  user: Tensor;
  item: Tensor;
}

/** Any model's input. */
export type ModelInput = TabularInput | UserItemInput;

export type InputKind = 'dense' | 'features' | 'userItem';

export interface FeaturesConfig {
  categorical: { name: string; vocabularySize: number; dim?: number }[];
  numeric: { name: string; mean?: number; std?: number }[];
  embeddingDim?: number;
  sparse: boolean;
}

export type InputSpec =
  | { kind: 'dense'; dim: number }
  | { kind: 'features'; features: FeaturesConfig }
  | { kind: 'userItem'; numUsers: number; numItems: number };

/** A tabular model's input spec (dense or features). */
export type TabularInputSpec = Extract<InputSpec, { kind: 'dense' | 'features' }>;

/** How each kind reads, for error messages. */
export function describeInput(spec: InputSpec): string {
  switch (spec.kind) {
    case 'dense':
      return `a dense input (float [B, ${spec.dim}])`;
    case 'features':
      return `a features input ({ cat: int32 [B, ${spec.features.categorical.length}], num: float [B, ${spec.features.numeric.length}] })`;
    case 'userItem':
      return 'a user–item input ({ user: int32 [B], item: int32 [B] })';
  }
}

function readFeatures(r: ConfigReader, value: unknown): FeaturesConfig {
  const f: ConfigReader = nestedReader(r, 'features', value);
  const list = (key: string): unknown[] => {
    const v = f.raw(key);
    if (v === undefined) return [];
    if (!Array.isArray(v)) f.fail(key, 'an array of field objects', v);
    return v;
  };
  const names = new Set<string>();
  const fieldName = (fr: ConfigReader, path: string, v: unknown): string => {
    if (typeof v !== 'string' || !NAME_PATTERN.test(v))
      fr.fail(`${path}.name`, 'a name of letters, digits and _ starting with a letter', v);
    if (names.has(v)) fr.fail(`${path}.name`, 'unique among the fields', v);
    names.add(v);
    return v;
  };
  const categorical = list('categorical').map((item, i) => {
    const path = `categorical[${i}]`;
    const c: ConfigReader = nestedReader(f, path, item);
    const name = fieldName(f, path, c.raw('name'));
    const vocabularySize = c.int('vocabularySize', undefined, { min: 1 });
    const dim = c.optionalInt('dim', { min: 1 });
    c.done();
    return dim === undefined ? { name, vocabularySize } : { name, vocabularySize, dim };
  });
  const numeric = list('numeric').map((item, i) => {
    const path = `numeric[${i}]`;
    const c: ConfigReader = nestedReader(f, path, item);
    const name = fieldName(f, path, c.raw('name'));
    const out: { name: string; mean?: number; std?: number } = { name };
    if (c.has('mean')) out.mean = c.number('mean', 0);
    if (c.has('std')) out.std = c.number('std', 1, { min: 0, exclusiveMin: true });
    c.done();
    return out;
  });
  const embeddingDim = f.optionalInt('embeddingDim', { min: 1 });
  const sparse = f.boolean('sparse', true);
  f.done();
  if (categorical.length + numeric.length === 0) r.fail('features', 'at least one categorical or numeric field', value);
  for (const c of categorical)
    if (c.dim === undefined && embeddingDim === undefined)
      r.fail(`features.categorical '${c.name}'.dim`, 'given (or features.embeddingDim)', undefined);
  return { categorical, numeric, ...(embeddingDim !== undefined ? { embeddingDim } : {}), sparse };
}

/** Reads `inputDim` or `features` (exactly one). */
export function readInput(r: ConfigReader): TabularInputSpec {
  const hasDim = r.has('inputDim'),
    hasFeatures = r.has('features');
  if (hasDim === hasFeatures) {
    throw new Error(
      `${r.where}: give exactly one of 'inputDim' (an integer >= 1: forward takes a dense [B, inputDim] tensor) or 'features' (categorical/numeric fields: the model owns a FeatureEncoder)`,
    );
  }
  if (hasDim) return { kind: 'dense', dim: r.int('inputDim', undefined, { min: 1 }) };
  return { kind: 'features', features: readFeatures(r, r.raw('features')) };
}

export function inputWidth(spec: TabularInputSpec): number {
  if (spec.kind === 'dense') return spec.dim;
  const f = spec.features;
  return f.categorical.reduce((s, c) => s + (c.dim ?? f.embeddingDim!), 0) + f.numeric.length;
}

export function buildEncoder(spec: TabularInputSpec, place: TensorPlacement): FeatureEncoder | null {
  if (spec.kind === 'dense') return null;
  const opts: FeatureEncoderOptions = { ...spec.features, ...place };
  return new FeatureEncoder(opts);
}

/** The JSON form of an input spec, for the normalised config. */
export function inputConfig(spec: TabularInputSpec): { inputDim: number } | { features: FeaturesConfig } {
  return spec.kind === 'dense' ? { inputDim: spec.dim } : { features: spec.features };
}

/** The dense [B, width] input of the network: the caller's tensor, or the model's encoder applied to the batch. */
export function encodeInput(
  where: string,
  spec: TabularInputSpec,
  encoder: FeatureEncoder | null,
  input: TabularInput,
): Tensor {
  const given = inputKindOf(input);
  if (encoder) {
    if (given !== 'features')
      throw new Error(`${where}: expects ${describeInput(spec)} ('features' config), got ${describeGiven(input)}`);
    return encoder.forward(input as FeatureBatch);
  }
  if (given !== 'dense')
    throw new Error(`${where}: expects ${describeInput(spec)} ('inputDim' config), got ${describeGiven(input)}`);
  const x = input as Tensor;
  const w = inputWidth(spec);
  if (x.ndim !== 2 || x.shape[1] !== w)
    throw new Error(`${where}: expects ${describeInput(spec)}, got a tensor ${fmt(x.shape)}`);
  return x;
}

function isTensor(x: unknown): x is Tensor {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Tensor).storage === 'object' &&
    Array.isArray((x as Tensor).shape)
  );
}

/** Which kind of input a value is (whatever its static type: the runtime check behind the type). */
export function inputKindOf(x: unknown): InputKind | 'unknown' {
  if (isTensor(x)) return 'dense';
  if (typeof x !== 'object' || x === null) return 'unknown';
  const o = x as Record<string, unknown>;
  if (isTensor(o.user) || isTensor(o.item)) return 'userItem';
  if (isTensor(o.cat) || isTensor(o.num)) return 'features';
  return 'unknown';
}

function describeGiven(x: unknown): string {
  switch (inputKindOf(x)) {
    case 'dense':
      return `a dense tensor ${fmt((x as Tensor).shape)}`;
    case 'features':
      return 'a feature batch { cat, num }';
    case 'userItem':
      return 'a user–item input { user, item }';
    default:
      return x === null || typeof x !== 'object'
        ? String(x)
        : `an object with keys ${Object.keys(x).join(', ') || 'none'}`;
  }
}

/** Throws, naming the model and the kind it expects, unless `input` is a user–item input. */
export function checkUserItemInput(where: string, spec: InputSpec, input: unknown): UserItemInput {
  const given = inputKindOf(input);
  const o = input as Partial<UserItemInput>;
  if (given !== 'userItem' || !o.user || !o.item)
    throw new Error(`${where}: expects ${describeInput(spec)}, got ${describeGiven(input)}`);
  const { user, item } = o;
  if (
    user.ndim !== 1 ||
    item.ndim !== 1 ||
    user.shape[0] !== item.shape[0] ||
    user.dtype !== 'int32' ||
    item.dtype !== 'int32'
  ) {
    throw new Error(
      `${where}: expects ${describeInput(spec)}, got user ${fmt(user.shape)} ${user.dtype} and item ${fmt(item.shape)} ${item.dtype}`,
    );
  }
  return { user, item };
}

/** Encoded rows as the loaders hold them: row-major int32 ids [size, nCat] and float32 values [size, nNum]. */
export interface EncodedColumns {
  size: number;
  nCat: number;
  nNum: number;
  cat: Int32Array;
  num: Float32Array;
}

/**
 * The model's input for rows [start, start + n) of encoded columns, on the current backend (call inside a tidy).
 * dense: the numeric columns (the table must have no categorical ones); features: { cat, num } as they are;
 * userItem: categorical column 0 is the user id, column 1 the item id (the user–item loaders' layout). A table
 * that does not fit the model's kind is an error naming the model, the kind it expects and what the table has.
 * `borrow`: the tensors read the rows in place where the backend can (tensor's copy: false), for a caller that
 * disposes them before the rows can change (scoring). The copy costs more than its memcpy: the model then reads
 * a batch just written by one core (measured, paper-small predict on 2 threads, 1024 × 500 floats: +0.18 ms a
 * batch, of which the memcpy is 0.05 ms).
 */
export function inputFromColumns(
  modelName: string,
  spec: InputSpec,
  rows: EncodedColumns,
  start = 0,
  n = rows.size - start,
  borrow = false,
): ModelInput {
  const has = `the data has ${rows.nCat} categorical and ${rows.nNum} numeric columns`;
  const copy = !borrow;
  const catRows = () =>
    tensor(rows.cat.subarray(start * rows.nCat, (start + n) * rows.nCat), {
      dtype: 'int32',
      shape: [n, rows.nCat],
      copy,
    });
  const numRows = () =>
    tensor(rows.num.subarray(start * rows.nNum, (start + n) * rows.nNum), {
      dtype: 'float32',
      shape: [n, rows.nNum],
      copy,
    });
  switch (spec.kind) {
    case 'dense':
      if (rows.nCat !== 0 || rows.nNum !== spec.dim)
        throw new Error(`${modelName}: expects ${describeInput(spec)}, but ${has}`);
      return numRows();
    case 'features': {
      const f = spec.features;
      if (rows.nCat !== f.categorical.length || rows.nNum !== f.numeric.length) {
        throw new Error(`${modelName}: expects ${describeInput(spec)}, but ${has}`);
      }
      const batch: FeatureBatch = {};
      if (rows.nCat > 0) batch.cat = catRows();
      if (rows.nNum > 0) batch.num = numRows();
      return batch;
    }
    case 'userItem': {
      if (rows.nCat < 2)
        throw new Error(
          `${modelName}: expects ${describeInput(spec)} (categorical columns 0 and 1: user and item ids), but ${has}`,
        );
      const column = (k: number) => {
        const ids = new Int32Array(n);
        for (let i = 0; i < n; i++) ids[i] = rows.cat[(start + i) * rows.nCat + k];
        return tensor(ids, { dtype: 'int32', shape: [n] });
      };
      return { user: column(0), item: column(1) };
    }
  }
}
