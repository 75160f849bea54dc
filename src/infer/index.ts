/**
 * mtgrad/infer — scoring with a trained checkpoint, for apps that embed a model. It loads the checkpoint, rebuilds
 * the model from the config stored in it, encodes raw rows with the stored data schema (vocabularies,
 * standardisation) and returns per-task probabilities (binary tasks) or values (regression tasks). It starts the
 * fastest backend available (`auto`: a real GPU through WebGPU, else the native addon, else JavaScript) and
 * imports no training code (no optimizers, loss weighting, trainer or command line).
 *
 *   import { loadPredictor } from 'mtgrad/infer';
 *   const predictor = await loadPredictor('run/model.safetensors');   // or a URL, or the file's bytes
 *   const [scores] = await predictor.predict([{ age: 37, class_worker: 'Private', ... }]);
 *   // scores = { income: 0.08, never_married: 0.31 }
 */
// Installs the Tensor methods (x.mul(...), x.backward()) that model code may use.
import '../ops/index.js';
import '../autograd/index.js';
import { init, type BackendName, type BackendOptions } from '../tensor/init.js';
import { FittedSchema } from '../data/fitted-schema.js';
import { createModel, isModelName, MODEL_NAMES } from '../models/registry.js';
import type { TaskModel } from '../models/task-model.js';
import type { TaskKind } from '../models/tasks.js';
import {
  parseCheckpoint,
  readCheckpoint,
  restoreWeights,
  CheckpointError,
  type Checkpoint,
} from './checkpoint-format.js';
import { scoreRows, taskKindsOf, type EncodedRows } from './score.js';

export {
  readCheckpoint,
  parseCheckpoint,
  restoreWeights,
  CheckpointError,
  type Checkpoint,
  type CheckpointMeta,
  type ModelSpec,
} from './checkpoint-format.js';
export { scoreRows, taskKindsOf, type EncodedRows, type Scores } from './score.js';
export type { TaskModel } from '../models/task-model.js';
export type { TaskKind } from '../models/tasks.js';
export { mtgradVersion } from './version.js';
// What a page or app needs beside the predictor: the row encoder, backend start-up and memory accounting.
export { FittedSchema, type FittedSchemaJSON } from '../data/fitted-schema.js';
export {
  init,
  backendName,
  backendInfo,
  type BackendName,
  type BackendOptions,
  type GpuEntry,
  type InitResult,
} from '../tensor/init.js';
export { memory, manualSeed, type MemoryInfo } from '../tensor/engine.js';

export interface PredictorOptions extends BackendOptions {
  /** Default 'auto'. */
  backend?: BackendName;
  /** Rows per forward pass. Default 4096. */
  batchSize?: number;
  /**
   * Capture the model's forward once per batch shape and replay it (mt.compile; default on unless
   * MTGRAD_COMPILE=0). false scores eagerly; the scores are the same.
   */
  compile?: boolean;
}

export interface Predictor {
  readonly tasks: string[];
  readonly kinds: Record<string, TaskKind>;
  /** The backend the model runs on. */
  readonly backend: string;
  readonly checkpoint: Omit<Checkpoint, 'tensors'>;
  /**
   * Raw rows (objects keyed by column name) → one object of task scores per row, in order. Needs the checkpoint's
   * data schema (a CheckpointError otherwise: use score with rows encoded by the caller).
   */
  predict(rows: ReadonlyArray<Record<string, unknown>>): Promise<Record<string, number>[]>;
  /**
   * Rows already encoded (cat int32 / num float32 columns, as FittedSchema.encodeObjects or a loader makes them, or
   * a dense model's inputs as `num` with nCat 0) → one Float32Array of scores per task. No schema needed.
   */
  score(rows: EncodedRows): Promise<Record<string, Float32Array>>;
  /** Releases the model's tensors. */
  dispose(): void;
}

/** Rebuilds a checkpoint's model on the current backend and loads its weights. */
export function modelFromCheckpoint(checkpoint: Checkpoint): TaskModel {
  const { name, config } = checkpoint.model;
  if (!isModelName(name))
    throw new CheckpointError(checkpoint.path, `unknown model '${name}' (this mtgrad has ${MODEL_NAMES.join(', ')})`);
  let model: TaskModel;
  try {
    model = createModel(name, config);
  } catch (error) {
    throw new CheckpointError(checkpoint.path, `cannot rebuild model '${name}': ${(error as Error).message}`);
  }
  restoreWeights(checkpoint, model);
  model.eval();
  return model;
}

/** Where a checkpoint comes from: a file path or URL (fetched where it is not a file), or the file's bytes. */
export type CheckpointSource = string | URL | ArrayBuffer | ArrayBufferView;

async function checkpointFrom(source: CheckpointSource): Promise<Checkpoint> {
  if (source instanceof ArrayBuffer) return parseCheckpoint(new Uint8Array(source), 'checkpoint bytes');
  if (ArrayBuffer.isView(source))
    return parseCheckpoint(new Uint8Array(source.buffer, source.byteOffset, source.byteLength), 'checkpoint bytes');
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new TypeError(
      `loadPredictor: expected a path, URL, ArrayBuffer or Uint8Array, got ${source === null ? 'null' : typeof source}`,
    );
  }
  return readCheckpoint(source);
}

export async function loadPredictor(source: CheckpointSource, options: PredictorOptions = {}): Promise<Predictor> {
  const checkpoint = await checkpointFrom(source);
  // A checkpoint without a data schema (a model trained on tensors the caller encoded) scores encoded rows only.
  const schema = checkpoint.schema ? FittedSchema.fromJSON(checkpoint.schema) : null;
  const started = await init({ backend: options.backend ?? 'auto', gpu: options.gpu });
  const model = modelFromCheckpoint(checkpoint);
  const { tensors: _weights, ...meta } = checkpoint;
  const kinds = taskKindsOf(model);
  const tasks = model.tasks.map((t) => t.name);
  return {
    tasks,
    kinds,
    backend: started.backend,
    checkpoint: meta,
    async predict(rows) {
      if (!schema)
        throw new CheckpointError(
          checkpoint.path,
          'the checkpoint has no data schema, so raw rows cannot be encoded; give predictor.score() encoded rows',
        );
      const encoded = schema.encodeObjects(rows);
      const scores = await scoreRows(
        model,
        { ...encoded, nCat: schema.nCat, nNum: schema.nNum },
        { batchSize: options.batchSize, compile: options.compile },
      );
      return Array.from({ length: rows.length }, (_, i) =>
        Object.fromEntries(tasks.map((t) => [t, scores.outputs[t][i]])),
      );
    },
    async score(rows) {
      const scores = await scoreRows(model, rows, { batchSize: options.batchSize, compile: options.compile });
      return scores.outputs;
    },
    dispose() {
      model.dispose();
    },
  };
}
