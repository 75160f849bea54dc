/**
 * MGDA (Sener & Koltun, NeurIPS 2018, "Multi-Task Learning as Multi-Objective Optimization"). The task weights α
 * are the min-norm convex combination of the task gradients (min-norm-solver.ts), recomputed every step, and the
 * returned loss is Σ α_k·L_k with α constant. MGDA-UB, the paper's efficient upper bound, takes the gradients
 * w.r.t. the shared representation Z (ctx.sharedRepresentation: the encoder's output that every head reads)
 * instead of the shared parameters (ctx.sharedParams), costing one cheap backward through the heads per task.
 *
 * Gradients may first be normalised as in the authors' code: 'l2' (by ‖g_k‖), 'loss' (by L_k), 'loss+' (by
 * L_k·‖g_k‖), or 'none' (default). The K×K Gram matrix is read back synchronously, so this strategy needs a
 * backend with synchronous readback (js, native).
 */
import type { Tensor } from '../tensor/tensor.js';
import { engine } from '../tensor/engine.js';
import { tidy, keep } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { matmul } from '../ops/linalg.js';
import { stack } from '../ops/shape.js';
import { checkTaskNames, orderedLosses, weightedSum, type CombineContext, type LossWeighting } from './weighting.js';
import { flattenGradients, taskGradients } from './task-gradients.js';
import { minNormSolver } from './min-norm-solver.js';

export type GradientNormalization = 'none' | 'l2' | 'loss' | 'loss+';

export class MGDA implements LossWeighting {
  readonly name = 'mgda';
  /** α of the latest combine, in `tasks` order. */
  lastAlpha: number[] | null = null;

  constructor(readonly tasks: readonly string[], readonly normalization: GradientNormalization = 'none') {
    checkTaskNames('MGDA', tasks);
    if (!['none', 'l2', 'loss', 'loss+'].includes(normalization)) throw new Error(`MGDA: normalization must be none, l2, loss or loss+, got '${normalization}'`);
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const losses = orderedLosses('MGDA', this.tasks, taskLosses).map((l) => l.reshape([]));
    const wrt = ctx.sharedRepresentation ? [ctx.sharedRepresentation] : ctx.sharedParams;
    if (!wrt || wrt.length === 0) throw new Error('MGDA.combine: pass ctx.sharedRepresentation (MGDA-UB) or ctx.sharedParams');
    if (!engine.backendOf(wrt[0].storage).info().syncReadback) {
      throw new Error(`MGDA.combine: backend '${wrt[0].backendName}' cannot read back synchronously, which the min-norm solver needs; use the js or native backend`);
    }
    const grads = taskGradients(Object.fromEntries(this.tasks.map((t, k) => [t, losses[k]])), wrt);
    const gramT = tidy(() => noGrad(() => {
      const G = stack(this.tasks.map((t) => flattenGradients(grads[t])));
      return keep(matmul(G, G.transpose()));
    }));
    const lossValues = noGrad(() => losses.map((l) => l.itemSync()));
    const raw = gramT.dataSync();
    gramT.dispose();
    const K = this.tasks.length;
    const gram = this.tasks.map((_, i) => this.tasks.map((__, j) => raw[i * K + j]));
    const scale = gram.map((row, k) => {
      const norm = Math.sqrt(Math.max(row[k], 0));
      const s = this.normalization === 'l2' ? norm : this.normalization === 'loss' ? lossValues[k]
        : this.normalization === 'loss+' ? lossValues[k] * norm : 1;
      return s > 0 && Number.isFinite(s) ? s : 1;
    });
    const normalized = gram.map((row, i) => row.map((v, j) => v / (scale[i] * scale[j])));
    const alpha = minNormSolver(normalized);
    this.lastAlpha = alpha;
    return weightedSum(losses, alpha);
  }

  parameters(): Tensor[] { return []; }
  dispose(): void {}
}

