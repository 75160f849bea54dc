/**
 * Saving checkpoints (the format is described in src/infer/checkpoint-format.ts, which also reads them so that the
 * inference entry needs no training code). The write is atomic: a crash leaves the old file or the new one.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { serializeSafetensors, writeFileAtomic, type SafetensorsTensors } from '../io/safetensors.js';
import type { FittedSchema } from '../data/fitted-schema.js';
import type { Tensor } from '../tensor/tensor.js';
import { dispose } from '../tensor/scope.js';
import type { TaskModel } from '../models/task-model.js';
import type { LabelSource } from '../infer/label-source.js';
import { CHECKPOINT_FORMAT, CHECKPOINT_FORMAT_VERSION, META_KEYS } from '../infer/checkpoint-format.js';
import { mtgradVersion } from '../infer/version.js';

export {
  readCheckpoint,
  parseCheckpoint,
  restoreWeights,
  CheckpointError,
  type Checkpoint,
  type CheckpointMeta,
  type ModelSpec,
} from '../infer/checkpoint-format.js';

export interface SaveCheckpointOptions {
  /** Saved as its weights plus { name: modelName, config } (what createModel rebuilds) and its task names. */
  model: TaskModel;
  /** The fitted data schema, so raw rows can be encoded exactly as in training. */
  schema?: FittedSchema | null;
  /** Any JSON: metrics, training settings. */
  metrics?: unknown;
  /** A JSON dataset spec, so the command line can reload the same data (`mtgrad eval` without --data). */
  dataset?: Record<string, unknown> | null;
  /** Task → dataset label, where a task reads a label of another name (the Trainer's `labels` option). */
  labels?: Readonly<Record<string, LabelSource>> | null;
}

const SAFETENSORS_DTYPE = { float32: 'F32', float64: 'F64', int32: 'I32' } as const;

async function weightsOf(state: Record<string, Tensor>): Promise<SafetensorsTensors> {
  const out: SafetensorsTensors = {};
  for (const [name, t] of Object.entries(state)) {
    const data = await t.data();
    out[name] = { dtype: SAFETENSORS_DTYPE[t.dtype], shape: [...t.shape], data };
  }
  return out;
}

export async function checkpointBytes(options: SaveCheckpointOptions): Promise<Buffer> {
  const state = options.model.stateDict();
  try {
    const metadata: Record<string, string> = {
      [META_KEYS.torchFormat]: 'pt',
      [META_KEYS.format]: CHECKPOINT_FORMAT,
      [META_KEYS.formatVersion]: String(CHECKPOINT_FORMAT_VERSION),
      [META_KEYS.version]: mtgradVersion(),
      [META_KEYS.model]: JSON.stringify({ name: options.model.modelName, config: options.model.config }),
      [META_KEYS.tasks]: JSON.stringify(options.model.tasks.map((t) => t.name)),
    };
    if (options.dataset) metadata[META_KEYS.dataset] = JSON.stringify(options.dataset);
    if (options.labels && Object.keys(options.labels).length > 0)
      metadata[META_KEYS.labels] = JSON.stringify(options.labels);
    if (options.schema) metadata[META_KEYS.schema] = JSON.stringify(options.schema.toJSON());
    if (options.metrics !== undefined) metadata[META_KEYS.metrics] = JSON.stringify(options.metrics);
    return serializeSafetensors(await weightsOf(state), metadata);
  } finally {
    dispose(state);
  }
}

export async function saveCheckpoint(path: string, options: SaveCheckpointOptions): Promise<void> {
  const bytes = await checkpointBytes(options);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
}
