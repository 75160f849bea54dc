/**
 * The checkpoint format: one safetensors file. Tensors are the model's state dict under its dotted names (float32
 * as F32, int32 counters as I32), so `safetensors.torch.load_file(path)` in Python reads the weights directly.
 * Everything else travels as JSON strings in the header's `__metadata__` (string → string, as the spec requires):
 *
 *   format            "pt"  (what Hugging Face tools expect of a PyTorch-readable file)
 *   mtgrad.format     "checkpoint", mtgrad.version, mtgrad.format_version
 *   mtgrad.model      {"name": "mmoe", "config": {...}}  — what createModel(name, config) rebuilds
 *   mtgrad.tasks      ["income", "never_married"]
 *   mtgrad.schema     FittedSchema.toJSON(): vocabularies and normalisation, so raw rows encode as in training
 *   mtgrad.metrics    any JSON (validation/test metrics, training settings)
 *   mtgrad.dataset    optional: a JSON dataset spec the command line reloads (`mtgrad eval` needs no --data)
 *   mtgrad.labels     optional: { task: label | { label, where } } — the dataset label each task is trained and
 *                     evaluated on
 *
 * A single file keeps the write atomic (temp file + rename) and the weights and their encoding inseparable.
 * This module only reads and validates, so the inference entry can use it without the training code (and, reading
 * through the platform layer, in a browser: a path there is an address fetched relative to the page).
 */
import { parseSafetensors, type SafetensorsFile, type SafetensorsTensor } from '../io/safetensors-format.js';
import { platform } from '../platform/index.js';
import type { FittedSchemaJSON } from '../data/fitted-schema.js';
import type { DType } from '../backends/kernels.js';
import type { Tensor } from '../tensor/tensor.js';
import type { TaskModel } from '../models/task-model.js';
import { isLabelSources, type LabelSource } from './label-source.js';
import { tensor } from '../ops/creation.js';
import { tidy } from '../tensor/scope.js';

export const CHECKPOINT_FORMAT = 'checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;

export const META_KEYS = {
  torchFormat: 'format',
  format: 'mtgrad.format',
  formatVersion: 'mtgrad.format_version',
  version: 'mtgrad.version',
  model: 'mtgrad.model',
  tasks: 'mtgrad.tasks',
  schema: 'mtgrad.schema',
  metrics: 'mtgrad.metrics',
  dataset: 'mtgrad.dataset',
  labels: 'mtgrad.labels',
} as const;

export interface ModelSpec {
  name: string;
  config: Record<string, unknown>;
}

export interface CheckpointMeta {
  mtgradVersion: string;
  model: ModelSpec;
  tasks: string[];
  schema: FittedSchemaJSON | null;
  metrics: unknown;
  /** The dataset spec recorded by `mtgrad train` (null when the checkpoint has none). */
  dataset: Record<string, unknown> | null;
  /** Task → dataset label source (null: every task reads the label of its own name). */
  labels: Record<string, LabelSource> | null;
}

export interface Checkpoint extends CheckpointMeta {
  path: string;
  tensors: SafetensorsFile['tensors'];
}

export class CheckpointError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'CheckpointError';
  }
}

function parseJsonField(path: string, metadata: Record<string, string>, key: string, required: boolean): unknown {
  const raw = metadata[key];
  if (raw === undefined) {
    if (required) throw new CheckpointError(path, `not an mtgrad checkpoint: metadata "${key}" is missing`);
    return null;
  }
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new CheckpointError(path, `metadata "${key}" is not valid JSON (${(error as Error).message})`);
  }
}

function objectField(path: string, metadata: Record<string, string>, key: string): Record<string, unknown> | null {
  const value = parseJsonField(path, metadata, key, false);
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new CheckpointError(path, `metadata "${key}" must be a JSON object`);
  return value as Record<string, unknown>;
}

function labelsField(path: string, metadata: Record<string, string>): Record<string, LabelSource> | null {
  const value = objectField(path, metadata, META_KEYS.labels);
  if (value === null) return null;
  if (!isLabelSources(value))
    throw new CheckpointError(
      path,
      `metadata "${META_KEYS.labels}" must map task names to a label name or { label, where }`,
    );
  return value;
}

/** Validates the metadata of a parsed safetensors file as an mtgrad checkpoint. */
export function checkpointFromFile(path: string, file: SafetensorsFile): Checkpoint {
  const { metadata, tensors } = file;
  if (metadata[META_KEYS.format] !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      path,
      `not an mtgrad checkpoint (metadata "${META_KEYS.format}" is ${JSON.stringify(metadata[META_KEYS.format] ?? null)}); plain safetensors weights need a model built by hand`,
    );
  }
  const formatVersion = Number(metadata[META_KEYS.formatVersion]);
  if (formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      path,
      `checkpoint format version ${metadata[META_KEYS.formatVersion]} is not supported (this mtgrad reads version ${CHECKPOINT_FORMAT_VERSION})`,
    );
  }
  const model = parseJsonField(path, metadata, META_KEYS.model, true) as ModelSpec;
  if (typeof model?.name !== 'string' || typeof model.config !== 'object' || model.config === null) {
    throw new CheckpointError(path, `metadata "${META_KEYS.model}" must be {"name": string, "config": object}`);
  }
  const tasks = parseJsonField(path, metadata, META_KEYS.tasks, true) as string[];
  if (!Array.isArray(tasks) || !tasks.every((t) => typeof t === 'string')) {
    throw new CheckpointError(path, `metadata "${META_KEYS.tasks}" must be an array of task names`);
  }
  return {
    path,
    tensors,
    mtgradVersion: metadata[META_KEYS.version] ?? 'unknown',
    model,
    tasks,
    schema: parseJsonField(path, metadata, META_KEYS.schema, false) as FittedSchemaJSON | null,
    metrics: parseJsonField(path, metadata, META_KEYS.metrics, false),
    dataset: objectField(path, metadata, META_KEYS.dataset),
    labels: labelsField(path, metadata),
  };
}

/** A file path or file: URL (Node), or an http(s)/blob:/data: address (fetched; in a browser, relative to the page). */
export async function readCheckpoint(location: string | URL): Promise<Checkpoint> {
  const name = String(location);
  return checkpointFromFile(name, parseSafetensors(await platform.readBytes(location), name));
}

export function parseCheckpoint(bytes: Uint8Array, path = 'checkpoint'): Checkpoint {
  return checkpointFromFile(path, parseSafetensors(bytes, path));
}

const DTYPE_OF: Partial<Record<SafetensorsTensor['dtype'], DType>> = { F32: 'float32', F64: 'float64', I32: 'int32' };

function describeShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/**
 * Copies the checkpoint's tensors into the model. Every mismatch is collected first and reported at once by
 * parameter name (missing, unexpected, shape, dtype), so a wrong config is diagnosed in one run.
 */
export function restoreWeights(
  checkpoint: Pick<Checkpoint, 'path' | 'tensors'>,
  model: Pick<TaskModel, 'stateDict' | 'loadStateDict'>,
): void {
  const { path, tensors } = checkpoint;
  tidy(() => {
    const own = model.stateDict();
    const problems: string[] = [];
    const missing = Object.keys(own).filter((name) => !(name in tensors));
    const unexpected = Object.keys(tensors).filter((name) => !(name in own));
    for (const [name, mine] of Object.entries(own)) {
      const stored = tensors[name];
      if (!stored) continue;
      const dtype = DTYPE_OF[stored.dtype];
      if (dtype !== mine.dtype) problems.push(`'${name}': stored as ${stored.dtype}, the model holds ${mine.dtype}`);
      else if (stored.shape.length !== mine.shape.length || stored.shape.some((d, i) => d !== mine.shape[i])) {
        problems.push(
          `'${name}': shape ${describeShape(stored.shape)} in the file, the model expects ${describeShape(mine.shape)}`,
        );
      }
    }
    if (missing.length) problems.push(`missing from the file: ${missing.map((n) => `'${n}'`).join(', ')}`);
    if (unexpected.length) problems.push(`not in the model: ${unexpected.map((n) => `'${n}'`).join(', ')}`);
    if (problems.length) throw new CheckpointError(path, `the weights do not fit the model: ${problems.join('; ')}`);
    const state: Record<string, Tensor> = {};
    for (const [name, mine] of Object.entries(own)) {
      const stored = tensors[name];
      state[name] = tensor(stored.data as Float32Array | Float64Array | Int32Array, {
        dtype: mine.dtype,
        shape: stored.shape,
        backend: mine.backendName,
      });
    }
    model.loadStateDict(state, { strict: true });
  });
}
