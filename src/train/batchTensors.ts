/** Moves a typed-array batch (src/data) onto the current backend as tensors. Call inside a tidy: nothing is kept. */
import type { Batch } from '../data/table.js';
import { tensor } from '../ops/creation.js';
import { inputFromColumns } from '../models/inputs.js';
import type { TaskModel } from '../models/task-model.js';
import type { TensorBatch } from './types.js';

/**
 * The model's input for the batch (built for its inputSpec) and, for each task in `labelOf` (task → the table
 * label it reads; one label may feed several tasks), that label and its mask under the task's name.
 */
export function toTensorBatch(batch: Batch, model: Pick<TaskModel, 'modelName' | 'inputSpec'>, labelOf: Readonly<Record<string, string>>): TensorBatch {
  const { size } = batch;
  const labels: TensorBatch['labels'] = {};
  const masks: TensorBatch['masks'] = {};
  for (const [task, column] of Object.entries(labelOf)) {
    const label = batch.labels[column];
    if (!label) throw new Error(`batch has no label '${column}' for task '${task}' (it has: ${Object.keys(batch.labels).join(', ') || 'none'})`);
    labels[task] = tensor(label, { dtype: 'float32', shape: [size] });
    masks[task] = tensor(batch.masks[column] ?? new Float32Array(size).fill(1), { dtype: 'float32', shape: [size] });
  }
  return { size, input: inputFromColumns(model.modelName, model.inputSpec, batch), labels, masks };
}
