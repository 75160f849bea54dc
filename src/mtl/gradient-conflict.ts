/**
 * Gradient conflict diagnostics between tasks on the same parameters: pairwise cosine similarity (negative =
 * conflicting directions, what PCGrad projects away) and magnitude ratios ‖g_i‖/‖g_j‖ (one task dominating).
 * Computed on the device as one Gram matrix; only the K×K numbers are read back.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { matmul } from '../ops/linalg.js';
import { stack } from '../ops/shape.js';
import { flattenGradients } from './task-gradients.js';

export interface GradientConflict {
  tasks: string[];
  /** ‖g_k‖. */
  norms: number[];
  /** cosine[i][j] = ⟨g_i, g_j⟩ / (‖g_i‖‖g_j‖); 0 where either gradient is zero. */
  cosine: number[][];
  /** magnitudeRatio[i][j] = ‖g_i‖ / ‖g_j‖ (Infinity when only g_j is zero, NaN when both are). */
  magnitudeRatio: number[][];
  /** The Gram matrix ⟨g_i, g_j⟩. */
  dot: number[][];
}

/** Pairwise conflict statistics from per-task gradients (e.g. the result of taskGradients). */
export async function gradientConflict(grads: Readonly<Record<string, readonly Tensor[]>>): Promise<GradientConflict> {
  const tasks = Object.keys(grads);
  if (tasks.length === 0) throw new Error('gradientConflict: no tasks');
  const sizes = tasks.map((t) => grads[t].reduce((n, g) => n + g.size, 0));
  if (sizes.some((s) => s !== sizes[0])) {
    throw new Error(
      `gradientConflict: tasks have gradients of different total sizes (${tasks.map((t, i) => `${t}: ${sizes[i]}`).join(', ')}); pass gradients on the same parameters`,
    );
  }
  const gram = tidy(() =>
    noGrad(() => {
      const G = stack(tasks.map((t) => flattenGradients(grads[t])));
      return keep(matmul(G, G.transpose()));
    }),
  );
  const d = await gram.data();
  gram.dispose();
  const K = tasks.length;
  const dot = tasks.map((_, i) => tasks.map((__, j) => d[i * K + j]));
  const norms = tasks.map((_, i) => Math.sqrt(Math.max(dot[i][i], 0)));
  const cosine = dot.map((row, i) => row.map((v, j) => (norms[i] > 0 && norms[j] > 0 ? v / (norms[i] * norms[j]) : 0)));
  const magnitudeRatio = norms.map((ni) => norms.map((nj) => ni / nj));
  return { tasks, norms, cosine, magnitudeRatio, dot };
}
