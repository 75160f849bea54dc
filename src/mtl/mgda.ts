/**
 * MGDA (Sener & Koltun, NeurIPS 2018, "Multi-Task Learning as Multi-Objective Optimization"). The shared
 * parameters move along Σ_k α_k·g_k with α the min-norm convex combination of the task gradients
 * (min-norm-solver.ts), recomputed every step; each task-specific parameter gets its own task's gradient, as in the
 * paper's Algorithm 2. MGDA-UB, the paper's upper bound, takes α from the gradients w.r.t. the shared
 * representation Z (ctx.sharedRepresentation: the encoder output every head reads) instead of the shared
 * parameters; the update on the shared parameters is still Σ α_k ∇_θ L_k.
 *
 * Gradients may first be normalised as in the authors' code: 'l2' (by ‖g_k‖), 'loss' (by L_k), 'loss+' (by
 * L_k·‖g_k‖), or 'none' (default); α is solved on the normalised Gram matrix and applied to the raw gradients,
 * as that code does. The K×K solve runs on the host after an asynchronous read (host-solved.ts): combine(), then
 * backward(), then `await finishBackward()`.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { CombineContext } from './weighting.js';
import { HostSolvedWeighting } from './host-solved.js';
import { minNormSolver } from './min-norm-solver.js';

export type GradientNormalization = 'none' | 'l2' | 'loss' | 'loss+';

export class MGDA extends HostSolvedWeighting {
  readonly name = 'mgda';

  constructor(
    tasks: readonly string[],
    readonly normalization: GradientNormalization = 'none',
  ) {
    super(tasks, 'MGDA');
    if (!['none', 'l2', 'loss', 'loss+'].includes(normalization))
      throw new Error(`MGDA: normalization must be none, l2, loss or loss+, got '${normalization}'`);
  }

  /** α of the latest step, in `tasks` order. */
  get lastAlpha(): number[] | null {
    return this.lastCoefficients;
  }

  protected override gramSource(ctx: CombineContext): Tensor | null {
    return ctx.sharedRepresentation ?? null;
  }

  protected solve(gram: number[][], losses: number[]): number[] {
    const scale = gram.map((row, k) => {
      const norm = Math.sqrt(Math.max(row[k], 0));
      const s =
        this.normalization === 'l2'
          ? norm
          : this.normalization === 'loss'
            ? losses[k]
            : this.normalization === 'loss+'
              ? losses[k] * norm
              : 1;
      return s > 0 && Number.isFinite(s) ? s : 1;
    });
    const normalized = gram.map((row, i) => row.map((v, j) => v / (scale[i] * scale[j])));
    return minNormSolver(normalized);
  }
}
