/**
 * Per-task gradients on chosen tensors (shared parameters, or a shared representation), computed with grad() —
 * never through .grad, which stays untouched — and with the graph retained so that further task gradients and
 * the final backward can still run. A task that does not reach a tensor gets zeros there.
 */
import type { Tensor } from '../tensor/tensor.js';
import { grad } from '../autograd/backward.js';
import { concat, reshape } from '../ops/shape.js';

export function taskGradients(
  taskLosses: Readonly<Record<string, Tensor>>,
  params: readonly Tensor[],
): Record<string, Tensor[]> {
  if (params.length === 0) throw new Error('taskGradients: no tensors to differentiate with respect to');
  const out: Record<string, Tensor[]> = {};
  for (const [task, loss] of Object.entries(taskLosses)) {
    if (!loss.requiresGrad)
      throw new Error(
        `taskGradients: the loss of task '${task}' does not require grad (was it computed under noGrad or from detached tensors?)`,
      );
    out[task] = grad(loss, params, { retainGraph: true, allowUnused: true });
  }
  return out;
}

/** One task's gradients as a single flat vector (concatenated in parameter order). */
export function flattenGradients(grads: readonly Tensor[]): Tensor {
  const flat = grads.map((g) => reshape(g, [g.size]));
  return flat.length === 1 ? flat[0] : concat(flat, 0);
}

/** The inverse of flattenGradients: pieces of `flat` shaped like `like`. */
export function unflattenLike(flat: Tensor, like: readonly Tensor[]): Tensor[] {
  let start = 0;
  return like.map((t) => {
    const piece = flat.slice([[start, start + t.size]]);
    start += t.size;
    return reshape(piece, t.shape);
  });
}
