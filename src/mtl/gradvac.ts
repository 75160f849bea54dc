/**
 * Gradient Vaccine (Wang, Tsvetkov, Firat & Cao, ICLR 2021, "Gradient Vaccine: Investigating and Improving
 * Multi-task Optimization in Massively Multilingual Models"). Each task keeps, per other task, an EMA target
 * cosine φ̂_ij (start 0). Each step, for every task i and every other task j in a random order, with
 * φ_ij = cos(g_i', g_j) of i's current (already altered) gradient and j's original one:
 *
 *   if φ_ij < φ̂_ij:  g_i' ← g_i' + ‖g_i'‖·(φ̂_ij·√(1 − φ_ij²) − φ_ij·√(1 − φ̂_ij²)) / (‖g_j‖·√(1 − φ̂_ij²)) · g_j
 *   φ̂_ij ← (1 − β)·φ̂_ij + β·φ_ij
 *
 * and the update is Σ_i g_i'. With φ̂ = 0 the correction is PCGrad's projection; a positive target pulls the pair
 * closer than orthogonal. Every g_i' stays in the span of the original gradients, so the whole procedure runs on
 * the Gram matrix (coefficients of g_i' tracked on the host). Choices: β = 0.01 (the paper's value); granularity is
 * all shared parameters as one vector (the paper also studies per-layer targets); the random order is drawn from a
 * PRNG seeded at construction; a zero gradient takes no part.
 */
import { SeededRandom } from '../data/random.js';
import { HostSolvedWeighting } from './host-solved.js';

export class GradVac extends HostSolvedWeighting {
  readonly name = 'gradvac';
  readonly beta: number;
  private readonly random: SeededRandom;
  /** φ̂_ij, the EMA targets. */
  readonly targets: number[][];

  constructor(tasks: readonly string[], opts: { beta?: number; seed?: number } = {}) {
    super(tasks, 'GradVac');
    this.beta = opts.beta ?? 0.01;
    if (!(this.beta > 0 && this.beta <= 1)) throw new Error(`GradVac: beta must be in (0, 1], got ${this.beta}`);
    this.random = new SeededRandom(opts.seed ?? 0);
    this.targets = tasks.map(() => tasks.map(() => 0));
  }

  protected solve(gram: number[][]): number[] {
    const K = this.tasks.length;
    const norm = gram.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
    const total = new Array<number>(K).fill(0);
    for (let i = 0; i < K; i++) {
      const coef: number[] = gram.map((_, m) => (m === i ? 1 : 0)); // g_i' = Σ_m coef_m g_m
      const order = Array.from(this.random.permutation(K)).filter((j) => j !== i);
      for (const j of order) {
        const dot = coef.reduce((s, c, m) => s + c * gram[m][j], 0);
        const ni = Math.sqrt(
          Math.max(
            coef.reduce((s, c, m) => s + c * coef.reduce((t, d, n) => t + gram[m][n] * d, 0), 0),
            0,
          ),
        );
        if (ni === 0 || norm[j] === 0) continue;
        const phi = Math.max(-1, Math.min(1, dot / (ni * norm[j])));
        const target = this.targets[i][j];
        if (phi < target) {
          // A target of exactly 1 would divide by zero; it can only be approached (φ̂ is an average of cosines).
          const t = Math.min(target, 1 - 1e-12);
          const w =
            (ni * (t * Math.sqrt(1 - phi * phi) - phi * Math.sqrt(1 - t * t))) / (norm[j] * Math.sqrt(1 - t * t));
          coef[j] += w;
        }
        this.targets[i][j] = (1 - this.beta) * target + this.beta * phi;
      }
      coef.forEach((c, m) => {
        total[m] += c;
      });
    }
    return total;
  }
}
