/**
 * Aligned-MTL (Senushkin, Patakin, Kuznetsov & Konushin, CVPR 2023, "Independent Component Alignment for
 * Multi-Task Learning"). The task gradients G (rows g_k) are replaced by a stable, aligned system Ĝ = B·G whose
 * rows are orthogonal with equal norms σ_min, the smallest non-zero singular value of G:
 *
 *   M = G·Gᵀ = V·Λ·Vᵀ (eigenvalues Λ of rank R),  B = σ_min·V·Λ^{-1/2}·Vᵀ (rank-R parts),  σ_min = √λ_R,
 *
 * and the update is Ĝᵀ·w = Σ_k (B·w)_k g_k with w the task preferences (1 each, as in the paper's experiments).
 * Eigenvalues at or below λ_max·K·1.2e-7 count as zero (the float32 rank tolerance the authors' code uses).
 * M's eigendecomposition is K×K host arithmetic (symmetricEigen, Jacobi). Task-specific parameters get their own
 * task's gradient.
 */
import { HostSolvedWeighting } from './host-solved.js';
import { symmetricEigen, type Matrix } from './small-linalg.js';

/** B·w for the Gram matrix M (the coefficients of the aligned update). */
export function alignedCoefficients(gram: Matrix, w: readonly number[]): number[] {
  const K = gram.length;
  const { values, vectors } = symmetricEigen(gram);
  const tol = Math.max(values[0], 0) * K * 1.2e-7;
  const rank = values.filter((v) => v > tol).length;
  if (rank === 0) return new Array<number>(K).fill(0);
  const sigmaMin = Math.sqrt(values[rank - 1]);
  // B = σ_min Σ_{r<R} v_r v_rᵀ / √λ_r.
  return Array.from({ length: K }, (_, i) => {
    let s = 0;
    for (let r = 0; r < rank; r++) {
      const vw = vectors.reduce((t, row, j) => t + row[r] * w[j], 0);
      s += (vectors[i][r] * vw) / Math.sqrt(values[r]);
    }
    return sigmaMin * s;
  });
}

export class AlignedMTL extends HostSolvedWeighting {
  readonly name = 'alignedmtl';
  readonly preferences: number[];

  constructor(tasks: readonly string[], opts: { preferences?: Readonly<Record<string, number>> } = {}) {
    super(tasks, 'AlignedMTL');
    this.preferences = tasks.map((t) => opts.preferences?.[t] ?? 1);
    for (const [k, v] of this.preferences.entries())
      if (!Number.isFinite(v)) throw new Error(`AlignedMTL: preference of task '${tasks[k]}' must be finite, got ${v}`);
  }

  protected solve(gram: number[][]): number[] {
    return alignedCoefficients(gram, this.preferences);
  }
}
