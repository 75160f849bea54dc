/**
 * An ExportSource from a live model (its registry name, its normalised config and its state dict read back), so a
 * model in memory can be exported to ONNX exactly as its checkpoint would be, without writing one first.
 */
import type { Tensor } from '../../tensor/tensor.js';
import { dispose } from '../../tensor/scope.js';
import type { TaskModel } from '../task-model.js';
import type { ExportSource } from './onnx.js';
import type { StoredTensor } from './weights.js';

const STORED_DTYPE: Record<Tensor['dtype'], string> = { float32: 'F32', float64: 'F64', int32: 'I32' };

/** The model's weights as of now (copied to the host), under the names its checkpoint would use. */
export async function exportSourceOf(
  model: Pick<TaskModel, 'modelName' | 'config' | 'stateDict'>,
): Promise<ExportSource> {
  const state = model.stateDict();
  try {
    const tensors: Record<string, StoredTensor> = {};
    for (const [name, t] of Object.entries(state))
      tensors[name] = { dtype: STORED_DTYPE[t.dtype], shape: [...t.shape], data: await t.data() };
    return { model: { name: model.modelName, config: { ...model.config } }, tensors };
  } finally {
    dispose(state);
  }
}
