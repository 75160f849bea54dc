/** Moves a typed-array batch (src/data) onto the current backend as tensors. Call inside a tidy: nothing is kept. */
import type { Batch } from '../data/table.js';
import { tensor } from '../ops/creation.js';
import type { TensorBatch } from './types.js';

export function toTensorBatch(batch: Batch, tasks: readonly string[]): TensorBatch {
  const { size, nCat, nNum } = batch;
  const inputs: TensorBatch['inputs'] = {};
  if (nCat > 0) inputs.cat = tensor(batch.cat, { dtype: 'int32', shape: [size, nCat] });
  if (nNum > 0) inputs.num = tensor(batch.num, { dtype: 'float32', shape: [size, nNum] });
  const labels: TensorBatch['labels'] = {};
  const masks: TensorBatch['masks'] = {};
  for (const task of tasks) {
    const label = batch.labels[task];
    if (!label) throw new Error(`batch has no labels for task '${task}' (it has: ${Object.keys(batch.labels).join(', ') || 'none'})`);
    labels[task] = tensor(label, { dtype: 'float32', shape: [size] });
    masks[task] = tensor(batch.masks[task] ?? new Float32Array(size).fill(1), { dtype: 'float32', shape: [size] });
  }
  return { size, inputs, labels, masks };
}
