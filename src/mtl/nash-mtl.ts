/**
 * Nash-MTL (Navon, Shamsian, Achituve, Maron, Kawaguchi, Chechik & Fetaya, ICML 2022, "Multi-Task Learning as a
 * Bargaining Game"). The update is the Nash bargaining solution Δθ = Σ_k α_k g_k with α > 0 solving
 *
 *   GᵀG·α = 1/α   (elementwise),   i.e.  (M·α)_k = 1/α_k  for the Gram matrix M = GᵀG,
 *
 * so that every task's directional derivative ⟨g_k, Δθ⟩ = 1/α_k. The paper approximates this by a sequence of
 * convex problems (CCP, 20 iterations, cvxpy). We solve the same equation exactly: it is the stationarity condition
 * of the strictly convex f(α) = ½·αᵀMα − Σ_k log α_k (M positive semi-definite), minimised by damped Newton steps
 * that keep α > 0 (nashBargaining; pinned by the closed forms α_k = 1/‖g_k‖ for orthogonal gradients and
 * α = 1/√(1 + ρ) for two unit gradients with cosine ρ).
 *
 * Choices left open: when M is singular (e.g. two exactly opposed gradients) the equation has no solution; we solve
 * it for M + εI, ε = 1e-8·tr(M)/K. `gramNormalization: 'frobenius'` divides M by ‖M‖_F first, as the authors'
 * code does (α then grows by √‖M‖_F: a step-size change); the default 'none' follows the paper's equation. The
 * authors' code also scales the task-specific parameters' gradients by α_k (it weights the whole loss); here, as
 * for every method in host-solved.ts, they keep their own task's gradient.
 */
import { HostSolvedWeighting } from './host-solved.js';
import { matVec, quadForm, solveLinear, type Matrix } from './small-linalg.js';

/** α > 0 with (Mα)_k = 1/α_k, by damped Newton on ½αᵀMα − Σ log α. */
export function nashBargaining(gram: Matrix, opts: { maxIterations?: number; tolerance?: number } = {}): number[] {
  const K = gram.length;
  if (K === 0) throw new Error('nashBargaining: empty Gram matrix');
  const trace = gram.reduce((s, row, i) => s + row[i], 0);
  if (!(trace > 0))
    throw new Error(
      `nashBargaining: every task gradient is zero (trace of the Gram matrix ${trace}); there is nothing to bargain over`,
    );
  const eps = (1e-8 * trace) / K;
  const M = gram.map((row, i) => row.map((v, j) => (i === j ? v + eps : v)));
  const f = (a: number[]): number => 0.5 * quadForm(M, a) - a.reduce((s, v) => s + Math.log(v), 0);
  let alpha = M.map((row, i) => 1 / Math.sqrt(row[i]));
  const maxIter = opts.maxIterations ?? 100,
    tol = opts.tolerance ?? 1e-13;
  for (let it = 0; it < maxIter; it++) {
    const grad = matVec(M, alpha).map((v, k) => v - 1 / alpha[k]);
    if (Math.sqrt(grad.reduce((s, v, k) => s + (v * alpha[k]) ** 2, 0)) < tol) break;
    const H = M.map((row, i) => row.map((v, j) => (i === j ? v + 1 / (alpha[i] * alpha[i]) : v)));
    const dir = solveLinear(H, grad);
    if (!dir) break;
    let t = 1;
    const f0 = f(alpha);
    const slope = grad.reduce((s, g, k) => s + g * dir[k], 0);
    for (let tries = 0; tries < 60; tries++, t /= 2) {
      const cand = alpha.map((a, k) => a - t * dir[k]);
      if (cand.every((a) => a > 0) && f(cand) <= f0 - 1e-4 * t * slope) {
        alpha = cand;
        break;
      }
    }
  }
  return alpha;
}

export interface NashMTLOptions {
  /** 'none' (default, the paper's equation) or 'frobenius' (M / ‖M‖_F, the authors' code). */
  gramNormalization?: 'none' | 'frobenius';
}

export class NashMTL extends HostSolvedWeighting {
  readonly name = 'nashmtl';
  readonly gramNormalization: 'none' | 'frobenius';

  constructor(tasks: readonly string[], opts: NashMTLOptions = {}) {
    super(tasks, 'NashMTL');
    this.gramNormalization = opts.gramNormalization ?? 'none';
    if (!['none', 'frobenius'].includes(this.gramNormalization))
      throw new Error(`NashMTL: gramNormalization must be 'none' or 'frobenius', got '${this.gramNormalization}'`);
  }

  protected solve(gram: number[][]): number[] {
    const fro = Math.sqrt(gram.flat().reduce((s, v) => s + v * v, 0));
    const m = this.gramNormalization === 'frobenius' && fro > 0 ? gram.map((row) => row.map((v) => v / fro)) : gram;
    return nashBargaining(m);
  }
}
