/**
 * What a model reads. Either a dense input already encoded by the caller (`inputDim`: forward takes a float
 * tensor [B, inputDim]) or raw features (`features`: the model owns a FeatureEncoder, its embeddings are shared
 * parameters, and forward takes a FeatureBatch { cat: int32 [B, nCat], num: float [B, nNum] }). Exactly one of the
 * two keys is given.
 */
import type { Tensor } from '../tensor/tensor.js';
import { FeatureEncoder, type FeatureBatch, type FeatureEncoderOptions } from '../nn/feature-encoder.js';
import type { TensorPlacement } from '../nn/parameter.js';
import { ConfigReader, NAME_PATTERN, nestedReader } from './config.js';

export type ModelInput = Tensor | FeatureBatch;

export interface FeaturesConfig {
  categorical: { name: string; vocabularySize: number; dim?: number }[];
  numeric: { name: string; mean?: number; std?: number }[];
  embeddingDim?: number;
  sparse: boolean;
}

export type InputSpec = { kind: 'dense'; dim: number } | { kind: 'features'; features: FeaturesConfig };

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
    if (typeof v !== 'string' || !NAME_PATTERN.test(v)) fr.fail(`${path}.name`, 'a name of letters, digits and _ starting with a letter', v);
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
  for (const c of categorical) if (c.dim === undefined && embeddingDim === undefined) r.fail(`features.categorical '${c.name}'.dim`, 'given (or features.embeddingDim)', undefined);
  return { categorical, numeric, ...(embeddingDim !== undefined ? { embeddingDim } : {}), sparse };
}

/** Reads `inputDim` or `features` (exactly one). */
export function readInput(r: ConfigReader): InputSpec {
  const hasDim = r.has('inputDim'), hasFeatures = r.has('features');
  if (hasDim === hasFeatures) {
    throw new Error(`${r.where}: give exactly one of 'inputDim' (an integer >= 1: forward takes a dense [B, inputDim] tensor) or 'features' (categorical/numeric fields: the model owns a FeatureEncoder)`);
  }
  if (hasDim) return { kind: 'dense', dim: r.int('inputDim', undefined, { min: 1 }) };
  return { kind: 'features', features: readFeatures(r, r.raw('features')) };
}

export function inputWidth(spec: InputSpec): number {
  if (spec.kind === 'dense') return spec.dim;
  const f = spec.features;
  return f.categorical.reduce((s, c) => s + (c.dim ?? f.embeddingDim!), 0) + f.numeric.length;
}

export function buildEncoder(spec: InputSpec, place: TensorPlacement): FeatureEncoder | null {
  if (spec.kind === 'dense') return null;
  const opts: FeatureEncoderOptions = { ...spec.features, ...place };
  return new FeatureEncoder(opts);
}

/** The JSON form of an input spec, for the normalised config. */
export function inputConfig(spec: InputSpec): { inputDim: number } | { features: FeaturesConfig } {
  return spec.kind === 'dense' ? { inputDim: spec.dim } : { features: spec.features };
}

/** The dense [B, width] input of the network: the caller's tensor, or the model's encoder applied to the batch. */
export function encodeInput(where: string, spec: InputSpec, encoder: FeatureEncoder | null, input: ModelInput): Tensor {
  if (encoder) {
    if (isTensor(input)) throw new Error(`${where}: this model owns a FeatureEncoder ('features' config); pass a FeatureBatch { cat, num }, not a tensor`);
    return encoder.forward(input);
  }
  if (!isTensor(input)) throw new Error(`${where}: this model takes a dense tensor [B, ${inputWidth(spec)}] ('inputDim' config), got a feature batch`);
  const w = inputWidth(spec);
  if (input.ndim !== 2 || input.shape[1] !== w) throw new Error(`${where}: input must be [B, ${w}], got [${input.shape.join(', ')}]`);
  return input;
}

function isTensor(x: ModelInput): x is Tensor {
  return typeof (x as Tensor).storage === 'object' && Array.isArray((x as Tensor).shape);
}
