/**
 * IMTL (Liu, Li, Kuang, Xue, Chen, Yang, Liao & Zhang, ICLR 2021, "Towards Impartial Multi-task Learning").
 *
 * IMTL-G (gradient balance): the shared update g = Σ_k α_k g_k (Σα = 1) has equal projections on every unit
 * gradient u_k = g_k/‖g_k‖, i.e. ⟨g, u_1 − u_k⟩ = 0 for k ≥ 2. With D = [g_1 − g_2; …; g_1 − g_K] and
 * U = [u_1 − u_2; …; u_1 − u_K] the closed form is
 *
 *   α_{2:K} = g_1·Uᵀ·(D·Uᵀ)⁻¹,   α_1 = 1 − Σ_{k≥2} α_k,
 *
 * all of it from the Gram matrix (⟨g_i, u_j⟩ = M_ij/√M_jj). IMTL-L (loss balance): learnable s_k (start 0) scale
 * each loss to e^{s_k}·L_k − s_k, whose optimum in s_k makes every scaled loss 1; s_k trains with the model
 * (parameters()). IMTL (the paper's hybrid, the default) applies IMTL-G to the gradients of the IMTL-L-scaled
 * losses. Task-specific parameters get their own (scaled) task gradient, as in the paper's Algorithm 1.
 *
 * Choice left open: when D·Uᵀ is singular (two tasks with parallel gradients of one direction, or a zero
 * gradient) the equal-projection point is not unique; that step uses α = 1/K and is counted in `singularSteps`.
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, exp, mul, neg } from '../ops/elementwise.js';
import { full } from '../ops/creation.js';
import { createParameter, type TensorPlacement } from '../nn/index.js';
import { orderedLosses, type CombineContext } from './weighting.js';
import { HostSolvedWeighting } from './host-solved.js';
import { solveLinear, type Matrix } from './small-linalg.js';

export type IMTLVariant = 'hybrid' | 'gradient' | 'loss';

/** IMTL-G's α from the Gram matrix; null when D·Uᵀ is singular. */
export function imtlGradientWeights(gram: Matrix): number[] | null {
  const K = gram.length;
  if (K === 1) return [1];
  const n = gram.map((row, i) => Math.sqrt(Math.max(row[i], 0)));
  if (n.some((v) => v === 0)) return null;
  const gu = (i: number, j: number): number => gram[i][j] / n[j]; // ⟨g_i, u_j⟩
  const idx = Array.from({ length: K - 1 }, (_, r) => r + 1);
  // (D·Uᵀ)_{ab} = ⟨g_1 − g_a, u_1 − u_b⟩; (g_1·Uᵀ)_b = ⟨g_1, u_1 − u_b⟩.
  const DU = idx.map((a) => idx.map((b) => gu(0, 0) - gu(0, b) - gu(a, 0) + gu(a, b)));
  const gU = idx.map((b) => gu(0, 0) - gu(0, b));
  // Row vector x = gU·(DU)⁻¹  ⇔  (DU)ᵀ·xᵀ = gUᵀ.
  const x = solveLinear(
    DU.map((_, i) => DU.map((row) => row[i])),
    gU,
    1e-10,
  );
  if (!x) return null;
  return [1 - x.reduce((s, v) => s + v, 0), ...x];
}

export class IMTL extends HostSolvedWeighting {
  readonly name = 'imtl';
  /** s_k of IMTL-L, one 0-d tensor per task (absent for the 'gradient' variant). */
  readonly logScales: Readonly<Record<string, Tensor>>;
  singularSteps = 0;

  constructor(
    tasks: readonly string[],
    readonly variant: IMTLVariant = 'hybrid',
    opts: TensorPlacement = {},
  ) {
    super(tasks, 'IMTL');
    if (!['hybrid', 'gradient', 'loss'].includes(variant))
      throw new Error(`IMTL: variant must be hybrid, gradient or loss, got '${String(variant)}'`);
    this.logScales =
      variant === 'gradient' ? {} : Object.fromEntries(tasks.map((t) => [t, createParameter(() => full([], 0, opts))]));
  }

  protected override transformLosses(losses: Tensor[]): { losses: Tensor[]; extra: Tensor | null } {
    if (this.variant === 'gradient') return { losses, extra: null };
    const s = this.tasks.map((t) => this.logScales[t]);
    return { losses: losses.map((l, k) => mul(exp(s[k]), l)), extra: neg(s.reduce((a, b) => add(a, b))) };
  }

  override combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    if (this.variant !== 'loss') return super.combine(taskLosses, ctx);
    const { losses, extra } = this.transformLosses(
      orderedLosses('IMTL', this.tasks, taskLosses).map((l) => l.reshape([])),
    );
    return add(
      losses.reduce((a, b) => add(a, b)),
      extra!,
    );
  }

  /** IMTL-L alone manipulates no gradient: nothing to finish. */
  override async finishBackward(): Promise<void> {
    if (this.variant !== 'loss') await super.finishBackward();
  }

  protected override solve(gram: number[][]): number[] {
    const alpha = imtlGradientWeights(gram);
    if (alpha) return alpha;
    this.singularSteps++;
    return this.tasks.map(() => 1 / this.tasks.length);
  }

  override parameters(): Tensor[] {
    return Object.values(this.logScales);
  }
  override dispose(): void {
    super.dispose();
    for (const p of this.parameters()) p.dispose();
  }
}
