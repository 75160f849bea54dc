/**
 * ONNX export of a checkpoint: the model's forward as a standard ONNX graph (opset 17, float32) that ONNX Runtime,
 * Triton and the like serve without mtgrad. It reads only what a checkpoint holds: the model's name and JSON
 * config (normalised by building the model, so every default is the model's own) and its weights by state-dict
 * name; it does not run the model.
 *
 * Inputs (dynamic batch axis 'batch'): models with `features` take the encoded batch the data schema produces,
 *   cat: int32 [batch, nCat] (vocabulary ids, 0 = out of vocabulary; ids outside the table also read row 0) and
 *   num: float32 [batch, nNum] (as the schema encodes them: standardised unless a column says otherwise);
 * models with `inputDim` take x: float32 [batch, inputDim]; rnr takes user, item: int32 [batch].
 * Outputs: one float32 [batch] per task, named by the task: σ(logit) for binary tasks, the value for regression
 * (what predict() returns).
 */
import { encodeModel } from '../../io/onnx/model.js';
import { GraphBuilder } from '../../io/onnx/graph-builder.js';
import type { ValueInfo } from '../../io/onnx/model.js';
import { dispose } from '../../tensor/scope.js';
import { createModel, MODEL_NAMES, type ModelName } from '../registry.js';
import type { TaskSpec } from '../tasks.js';
import { WeightReader, type StoredTensor } from './weights.js';
import { LOWERINGS, type GraphInputs } from './lower-models.js';
import type { EncoderFields } from './layers.js';

export const ONNX_OPSET = 17;
export const ONNX_EXPORT_FORMAT = 'mtgrad.onnx-export';

/** Every model of the zoo lowers to standard ONNX ops. */
export const ONNX_EXPORT_MODELS: readonly ModelName[] = MODEL_NAMES.filter((n) => n in LOWERINGS);

/** What the export reads: a checkpoint (src/infer's Checkpoint has these fields). */
export interface ExportSource {
  model: { name: string; config: Record<string, unknown> };
  tensors: Readonly<Record<string, StoredTensor>>;
  /** The fitted data schema (FittedSchema.toJSON()), copied into the description so rows can be encoded. */
  schema?: unknown;
}

export interface OnnxTensorInfo {
  name: string;
  dtype: 'float32' | 'int32';
  shape: (number | 'batch')[];
  description: string;
  /** The fields of each column, in order (cat and num inputs). */
  columns?: { name: string; vocabularySize?: number }[];
}

/** The JSON written beside the .onnx file: how to feed it and what comes out. */
export interface OnnxExportDescription {
  format: typeof ONNX_EXPORT_FORMAT;
  version: 1;
  opset: number;
  model: { name: string; config: Readonly<Record<string, unknown>> };
  inputs: OnnxTensorInfo[];
  outputs: (OnnxTensorInfo & { task: string; kind: 'probability' | 'value' })[];
  /** How raw rows become `cat` / `num` (vocabularies, standardisation): the checkpoint's data schema, or null. */
  encoding: unknown;
}

export interface OnnxExport {
  bytes: Uint8Array;
  description: OnnxExportDescription;
}

function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

function isFieldList(v: unknown): v is { name: string; vocabularySize?: number }[] {
  return (
    Array.isArray(v) &&
    v.every((f) => typeof f === 'object' && f !== null && typeof (f as { name?: unknown }).name === 'string')
  );
}

function readFields(config: Readonly<Record<string, unknown>>): EncoderFields | null {
  const f = config.features as { categorical?: unknown; numeric?: unknown } | undefined;
  if (!f) return null;
  const categorical = f.categorical ?? [],
    numeric = f.numeric ?? [];
  if (
    !isFieldList(categorical) ||
    !isFieldList(numeric) ||
    !categorical.every((c) => typeof c.vocabularySize === 'number')
  ) {
    throw new Error(
      "ONNX export: the model config's features must list categorical { name, vocabularySize } and numeric { name } fields",
    );
  }
  return {
    categorical: categorical.map((c) => ({ name: c.name, vocabularySize: c.vocabularySize! })),
    numeric: numeric.map((c) => ({ name: c.name })),
  };
}

function declareInputs(
  g: GraphBuilder,
  name: string,
  config: Readonly<Record<string, unknown>>,
  fields: EncoderFields | null,
): { values: GraphInputs; infos: OnnxTensorInfo[] } {
  const values: GraphInputs = { cat: null, num: null, dense: null, user: null, item: null };
  const infos: OnnxTensorInfo[] = [];
  const add = (info: OnnxTensorInfo): string => {
    infos.push(info);
    const v: ValueInfo = { name: info.name, dtype: info.dtype, dims: info.shape, doc: info.description };
    return g.input(v);
  };
  if (name === 'rnr') {
    values.user = add({
      name: 'user',
      dtype: 'int32',
      shape: ['batch'],
      description: `user ids in [0, ${String(config.numUsers)})`,
    });
    values.item = add({
      name: 'item',
      dtype: 'int32',
      shape: ['batch'],
      description: `item ids in [0, ${String(config.numItems)})`,
    });
  } else if (fields) {
    if (fields.categorical.length) {
      values.cat = add({
        name: 'cat',
        dtype: 'int32',
        shape: ['batch', fields.categorical.length],
        description:
          'categorical ids, one column per field in order; 0 = out of vocabulary (ids outside [0, vocabularySize) read row 0 too)',
        columns: fields.categorical.map((c) => ({ name: c.name, vocabularySize: c.vocabularySize })),
      });
    }
    if (fields.numeric.length) {
      values.num = add({
        name: 'num',
        dtype: 'float32',
        shape: ['batch', fields.numeric.length],
        description:
          'numeric features, one column per field in order, encoded as the data schema encodes them (standardised unless a column says otherwise)',
        columns: fields.numeric.map((c) => ({ name: c.name })),
      });
    }
  } else {
    const dim = config.inputDim;
    if (typeof dim !== 'number')
      throw new Error(`ONNX export: model '${name}' config has neither 'features' nor 'inputDim'`);
    values.dense = add({
      name: 'x',
      dtype: 'float32',
      shape: ['batch', dim],
      description: 'the dense input the model was trained on',
    });
  }
  return { values, infos };
}

function checkWeightsFit(
  name: string,
  expected: Record<string, number[]>,
  tensors: Readonly<Record<string, StoredTensor>>,
): void {
  const problems: string[] = [];
  const missing = Object.keys(expected).filter((k) => !(k in tensors));
  const unexpected = Object.keys(tensors).filter((k) => !(k in expected));
  for (const [k, shape] of Object.entries(expected)) {
    const t = tensors[k];
    if (t && (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])))
      problems.push(`'${k}' is [${t.shape.join(', ')}], the model's [${shape.join(', ')}]`);
  }
  if (missing.length) problems.push(`missing ${missing.map((k) => `'${k}'`).join(', ')}`);
  if (unexpected.length) problems.push(`not in the model: ${unexpected.map((k) => `'${k}'`).join(', ')}`);
  if (problems.length)
    throw new Error(
      `ONNX export of ${name}: the checkpoint's weights do not fit the model its config builds: ${problems.join('; ')}`,
    );
}

/** Lowers a checkpoint's model to an ONNX model (bytes) and describes its inputs and outputs. */
export function exportOnnx(source: ExportSource, options: { producerVersion?: string } = {}): OnnxExport {
  const name = source.model.name;
  const lower = LOWERINGS[name];
  if (!lower || !isModelName(name))
    throw new Error(`ONNX export: unknown model '${name}' (exportable: ${ONNX_EXPORT_MODELS.join(', ')})`);
  // Building the model normalises the config exactly as training did (defaults, validation); its weights are unused.
  const built = createModel(name, source.model.config);
  const config = built.config;
  const tasks: TaskSpec[] = built.tasks.map((t) => ({ ...t }));
  // The lowering reads optional weights (biases) by presence, so the checkpoint must hold exactly the model's.
  const own = built.stateDict();
  const shapes = Object.fromEntries(Object.entries(own).map(([k, t]) => [k, [...t.shape]]));
  dispose(own);
  built.dispose();
  checkWeightsFit(name, shapes, source.tensors);

  const g = new GraphBuilder(`mtgrad_${name}`);
  const fields = name === 'rnr' ? null : readFields(config);
  const { values, infos } = declareInputs(g, name, config, fields);
  for (const t of tasks) {
    if (infos.some((i) => i.name === t.name))
      throw new Error(
        `ONNX export: task '${t.name}' has the name of a graph input (${infos.map((i) => i.name).join(', ')}); rename the task`,
      );
  }
  const w = new WeightReader(source.tensors, g, `ONNX export of ${name}`);
  const raw = lower({ l: { g, w }, config, tasks, inputs: values, fields });
  w.checkAllRead();

  const outputs: OnnxExportDescription['outputs'] = [];
  for (const t of tasks) {
    const v = raw[t.name];
    if (!v) throw new Error(`ONNX export: the ${name} lowering produced no output for task '${t.name}'`);
    const binary = t.kind === 'binary';
    const description = binary ? `P(${t.name}) = σ(logit), as predict() returns` : `the predicted value of ${t.name}`;
    g.output(binary ? g.op('Sigmoid', [v]) : v, { name: t.name, dtype: 'float32', dims: ['batch'], doc: description });
    outputs.push({
      name: t.name,
      task: t.name,
      kind: binary ? 'probability' : 'value',
      dtype: 'float32',
      shape: ['batch'],
      description,
    });
  }
  const bytes = encodeModel({
    graph: g.build(),
    opset: ONNX_OPSET,
    producerName: 'mtgrad',
    producerVersion: options.producerVersion ?? 'unknown',
    doc: `mtgrad ${name}: ${tasks.map((t) => t.name).join(', ')}`,
    metadata: { 'mtgrad.model': JSON.stringify({ name, config }) },
  });
  return {
    bytes,
    description: {
      format: ONNX_EXPORT_FORMAT,
      version: 1,
      opset: ONNX_OPSET,
      model: { name, config },
      inputs: infos,
      outputs,
      encoding: source.schema ?? null,
    },
  };
}
