/**
 * Cosine similarity between the tasks' gradients on the shared parameters: cos(g_i, g_j) where g_k = ∂L_k/∂θ_shared
 * flattened over all shared parameters. Negative values are conflicts (one task's step undoes the other's). Runs
 * one extra backward per task with the graph retained, so the training step's own backward still works after it.
 * Call inside the step's tidy; returns a [T, T] tensor to read after it.
 */
import type { Tensor } from '../tensor/tensor.js';
import { grad } from '../autograd/backward.js';
import { noGrad } from '../autograd/mode.js';
import { add, div, mul, sqrt } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { concat, reshape, stack, transpose } from '../ops/shape.js';
import { sum } from '../ops/reduce.js';

export function taskGradientCosines(tasks: readonly string[], losses: Readonly<Record<string, Tensor>>, shared: readonly Tensor[]): Tensor {
  if (shared.length === 0) throw new Error('gradient probe: the model reports no shared parameters');
  const flat = tasks.map((task) => {
    const grads = grad(losses[task], shared, { retainGraph: true, allowUnused: true });
    return noGrad(() => concat(grads.map((g) => reshape(g, [-1])), 0));
  });
  return noGrad(() => {
    const g = stack(flat, 0);
    const dots = matmul(g, transpose(g));
    const norms = sqrt(sum(mul(g, g), 1, true));
    return div(dots, add(matmul(norms, transpose(norms)), 1e-12));
  });
}
