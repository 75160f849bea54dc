/** Moves a typed-array batch (src/data) onto the current backend as tensors. Call inside a tidy: nothing is kept. */
import type { Batch } from '../data/table.js';
import { tensor } from '../ops/creation.js';
import { inputFromColumns } from '../models/inputs.js';
import type { TaskModel } from '../models/task-model.js';
import type { TensorBatch } from './types.js';
import { describeSource, resolveLabel, type LabelSource } from '../infer/label-source.js';

/**
 * The model's input for the batch (built for its inputSpec) and, for each task in `labelOf` (task → the table
 * label it reads, optionally restricted to rows where another label is 1; one label may feed several tasks),
 * that label and its mask under the task's name.
 */
export function toTensorBatch(
  batch: Batch,
  model: Pick<TaskModel, 'modelName' | 'inputSpec'>,
  labelOf: Readonly<Record<string, LabelSource>>,
): TensorBatch {
  const { size } = batch;
  const labels: TensorBatch['labels'] = {};
  const masks: TensorBatch['masks'] = {};
  for (const [task, source] of Object.entries(labelOf)) {
    const resolved = resolveLabel(batch, source);
    if (!resolved)
      throw new Error(
        `batch has no label '${describeSource(source)}' for task '${task}' (it has: ${Object.keys(batch.labels).join(', ') || 'none'})`,
      );
    labels[task] = tensor(resolved.label, { dtype: 'float32', shape: [size] });
    masks[task] = tensor(resolved.mask ?? new Float32Array(size).fill(1), { dtype: 'float32', shape: [size] });
  }
  return { size, input: inputFromColumns(model.modelName, model.inputSpec, batch), labels, masks };
}
