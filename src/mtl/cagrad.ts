/**
 * CAGrad (Liu, Liu, Jin, Stone & Liu, NeurIPS 2021, "Conflict-Averse Gradient Descent for Multi-task Learning").
 * With g_0 = (1/K)·Σ_k g_k the average gradient and c ∈ [0, 1) the conflict-aversion radius, the update d maximises
 * the worst task's improvement min_k ⟨g_k, d⟩ within the ball ‖d − g_0‖ ≤ c·‖g_0‖. Its dual (the paper's eq. 4) is
 *
 *   w* = argmin_{w ∈ simplex} F(w) = g_wᵀg_0 + √φ·‖g_w‖,   g_w = Σ_k w_k g_k,   φ = c²·‖g_0‖²,
 *
 * and d = g_0 + (√φ/‖g_w‖)·g_w. With the Gram matrix M every term is host arithmetic: g_wᵀg_0 = wᵀM1/K,
 * ‖g_w‖² = wᵀMw, ‖g_0‖² = 1ᵀM1/K². The dual is convex and solved here by projected gradient descent on the simplex
 * with backtracking (cagradDual; tested against the K = 2 closed form).
 *
 * Choices the paper leaves open, as the authors' code makes them: d is divided by (1 + c²) (`rescale: 1`, the
 * code's default; 0 keeps d as in the paper's equation, 2 divides by 1 + c); c defaults to 0.4 (the paper's value
 * for NYUv2). Task-specific parameters get their own task's gradient. The update on the shared parameters is
 * Σ_k coef_k g_k with coef_k = (1/K + λ·w_k)/r, λ = √φ/‖g_w‖.
 */
import { HostSolvedWeighting } from './host-solved.js';
import { matVec, projectToSimplex, quadForm, type Matrix } from './small-linalg.js';

/** w* of the CAGrad dual for Gram matrix M and radius c (projected gradient with Armijo backtracking). */
export function cagradDual(
  gram: Matrix,
  c: number,
  opts: { maxIterations?: number; tolerance?: number } = {},
): number[] {
  const K = gram.length;
  if (K === 0) throw new Error('cagradDual: empty Gram matrix');
  const ones = new Array<number>(K).fill(1);
  const b = matVec(gram, ones).map((v) => v / K);
  const sqrtPhi = (c * Math.sqrt(Math.max(quadForm(gram, ones), 0))) / K;
  const F = (w: number[]): number =>
    w.reduce((s, wi, i) => s + wi * b[i], 0) + sqrtPhi * Math.sqrt(Math.max(quadForm(gram, w), 0));
  let w = ones.map(() => 1 / K);
  let fw = F(w);
  const scale = Math.max(...gram.map((row, i) => Math.abs(row[i])), 1e-300);
  let step = 1 / scale;
  const maxIter = opts.maxIterations ?? 2000,
    tol = opts.tolerance ?? 1e-12;
  for (let it = 0; it < maxIter; it++) {
    const Mw = matVec(gram, w);
    const norm = Math.sqrt(Math.max(quadForm(gram, w), 0));
    const grad = b.map((bi, i) => bi + (norm > 0 ? (sqrtPhi * Mw[i]) / norm : 0));
    let next = w,
      fnext = fw;
    step *= 2;
    for (let tries = 0; tries < 60; tries++) {
      const cand = projectToSimplex(w.map((wi, i) => wi - step * grad[i]));
      const fc = F(cand);
      const decrease =
        cand.reduce((s, ci, i) => s + grad[i] * (ci - w[i]), 0) +
        cand.reduce((s, ci, i) => s + (ci - w[i]) ** 2, 0) / (2 * step);
      if (fc <= fw + decrease + 1e-15 * Math.abs(fw)) {
        next = cand;
        fnext = fc;
        break;
      }
      step /= 2;
    }
    const change = next.reduce((s, v, i) => s + Math.abs(v - w[i]), 0);
    w = next;
    fw = fnext;
    if (change < tol) break;
  }
  return w;
}

export interface CAGradOptions {
  /** The radius c ∈ [0, 1) (default 0.4). */
  c?: number;
  /** 0: d; 1: d/(1 + c²) (default, the authors' code); 2: d/(1 + c). */
  rescale?: 0 | 1 | 2;
}

export class CAGrad extends HostSolvedWeighting {
  readonly name = 'cagrad';
  readonly c: number;
  readonly rescale: 0 | 1 | 2;
  /** w* of the latest step. */
  lastDualWeights: number[] | null = null;

  constructor(tasks: readonly string[], opts: CAGradOptions = {}) {
    super(tasks, 'CAGrad');
    this.c = opts.c ?? 0.4;
    this.rescale = opts.rescale ?? 1;
    if (!(this.c >= 0 && this.c < 1)) throw new Error(`CAGrad: c must be in [0, 1), got ${this.c}`);
    if (![0, 1, 2].includes(this.rescale))
      throw new Error(`CAGrad: rescale must be 0, 1 or 2, got ${String(this.rescale)}`);
  }

  protected solve(gram: number[][]): number[] {
    const K = this.tasks.length;
    const w = cagradDual(gram, this.c);
    this.lastDualWeights = w;
    const g0Norm = Math.sqrt(Math.max(quadForm(gram, new Array<number>(K).fill(1)), 0)) / K;
    const gwNorm = Math.sqrt(Math.max(quadForm(gram, w), 0));
    const lambda = gwNorm > 0 ? (this.c * g0Norm) / gwNorm : 0;
    const r = this.rescale === 1 ? 1 + this.c ** 2 : this.rescale === 2 ? 1 + this.c : 1;
    return w.map((wk) => (1 / K + lambda * wk) / r);
  }
}
