/**
 * The min-norm point of the convex hull of task gradients, from their Gram matrix M (M_ij = ⟨g_i, g_j⟩):
 *   α* = argmin_{α ∈ simplex} ‖Σ α_k g_k‖² = αᵀMα,
 * the MGDA sub-problem of Sener & Koltun (NeurIPS 2018). Two tasks have a closed form; more tasks start from the
 * best pair and run Frank–Wolfe with exact line search (each step moves towards the vertex e_t,
 * t = argmin_k (Mα)_k). Pure numbers: K is small and the Gram matrix is all that is needed.
 */

/** argmin over γ ∈ [0, 1] of ‖γ·a + (1 − γ)·b‖² given ⟨a,a⟩, ⟨a,b⟩, ⟨b,b⟩. */
export function minNormOfTwo(aa: number, ab: number, bb: number): number {
  if (ab >= aa) return 1;
  if (ab >= bb) return 0;
  return (bb - ab) / (aa + bb - 2 * ab);
}

export interface MinNormOptions {
  maxIterations?: number;
  tolerance?: number;
}

export function minNormSolver(gram: readonly (readonly number[])[], opts: MinNormOptions = {}): number[] {
  const K = gram.length;
  if (K === 0) throw new Error('minNormSolver: empty Gram matrix');
  for (const [i, row] of gram.entries()) {
    if (row.length !== K)
      throw new Error(`minNormSolver: Gram matrix row ${i} has ${row.length} entries, expected ${K}`);
    if (row.some((v) => !Number.isFinite(v)))
      throw new Error(
        `minNormSolver: Gram matrix row ${i} is not finite (${row.join(', ')}); a task gradient is NaN or infinite`,
      );
  }
  if (K === 1) return [1];
  // Best pair.
  let best = Infinity,
    alpha: number[] = [];
  for (let i = 0; i < K; i++) {
    for (let j = i + 1; j < K; j++) {
      const g = minNormOfTwo(gram[i][i], gram[i][j], gram[j][j]);
      const cost = g * g * gram[i][i] + 2 * g * (1 - g) * gram[i][j] + (1 - g) * (1 - g) * gram[j][j];
      if (cost < best) {
        best = cost;
        alpha = new Array<number>(K).fill(0);
        alpha[i] = g;
        alpha[j] = 1 - g;
      }
    }
  }
  if (K === 2) return alpha;
  const maxIter = opts.maxIterations ?? 250;
  const tol = opts.tolerance ?? 1e-5;
  for (let it = 0; it < maxIter; it++) {
    const Ma = gram.map((row) => row.reduce((s, v, j) => s + v * alpha[j], 0));
    let t = 0;
    for (let k = 1; k < K; k++) if (Ma[k] < Ma[t]) t = k;
    const aa = alpha.reduce((s, a, k) => s + a * Ma[k], 0);
    const gamma = minNormOfTwo(aa, Ma[t], gram[t][t]);
    const next = alpha.map((a, k) => gamma * a + (k === t ? 1 - gamma : 0));
    const change = next.reduce((s, v, k) => s + Math.abs(v - alpha[k]), 0);
    alpha = next;
    if (change < tol) break;
  }
  return alpha;
}
