/**
 * GradDrop (Chen, Ngiam, Huang, Luong, Kretzschmar, Chai & Anguelov, NeurIPS 2020, "Just Pick a Sign: Optimizing
 * Deep Multitask Models with Gradient Sign Dropout"). At a shared tensor with per-task gradients ∇_k, the
 * gradient positive sign purity P = ½·(1 + Σ_k ∇_k / Σ_k |∇_k|) ∈ [0, 1] picks, per element, which sign survives:
 * with U ~ Uniform(0, 1), the masks M_k = I[P > U]·I[∇_k > 0] + I[P < U]·I[∇_k < 0] keep only the gradients of
 * one sign, and the new gradient is Σ_k (ℓ + (1 − ℓ)·M_k)·∇_k, with leak ℓ (0 by default: no leak).
 *
 * Where: on the shared representation Z (ctx.sharedRepresentation, the paper's GradDrop layer), with the
 * batch-separated statistic of the paper, ∇_k replaced by Σ_batch sign(Z)·∇_k for P and the masks (one mask per
 * unit, shared by the batch); the masked gradient flows on into the encoder. Without a representation it applies
 * to the shared parameters' gradients elementwise (a variant: there is no batch axis). U comes from the engine's
 * seeded random stream (manualSeed). combine returns Σ L_k + ⟨c, x⟩ − ⟨c, x⟩ with c = (GradDrop gradient − Σ ∇_k)
 * constant, so one backward yields it; nothing is read back.
 */
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { abs, add, div, gt, lt, maximum, mul, sign, sub } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { rand } from '../ops/creation.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';
import { taskGradients } from './task-gradients.js';

/** The GradDrop gradient Σ_k (ℓ + (1 − ℓ)M_k)·∇_k from per-task gradients, the statistic they are signed by, and U. */
export function gradDropCombine(grads: readonly Tensor[], stats: readonly Tensor[], u: Tensor, leak = 0): Tensor {
  return noGrad(() => {
    const total = stats.reduce((a, b) => add(a, b));
    const absTotal = stats.map((s) => abs(s)).reduce((a, b) => add(a, b));
    const P = mul(add(div(total, maximum(absTotal, 1e-30)), 1), 0.5);
    const keepPos = gt(P, u),
      keepNeg = lt(P, u);
    return grads
      .map((g, k) => {
        const m = add(mul(keepPos, gt(stats[k], 0)), mul(keepNeg, lt(stats[k], 0)));
        return mul(g, add(mul(m, 1 - leak), leak));
      })
      .reduce((a, b) => add(a, b));
  });
}

export class GradDrop implements LossWeighting {
  readonly name = 'graddrop';
  readonly leak: number;

  constructor(
    readonly tasks: readonly string[],
    opts: { leak?: number } = {},
  ) {
    checkTaskNames('GradDrop', tasks);
    this.leak = opts.leak ?? 0;
    if (!(this.leak >= 0 && this.leak <= 1)) throw new Error(`GradDrop: leak must be in [0, 1], got ${this.leak}`);
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const losses = orderedLosses('GradDrop', this.tasks, taskLosses).map((l) => l.reshape([]));
    const z = ctx.sharedRepresentation;
    const wrt = z ? [z] : ctx.sharedParams;
    if (!wrt || wrt.length === 0)
      throw new Error('GradDrop.combine: pass ctx.sharedRepresentation (the GradDrop layer) or ctx.sharedParams');
    const grads = taskGradients(Object.fromEntries(this.tasks.map((t, k) => [t, losses[k]])), wrt);
    const corrections = noGrad(() =>
      wrt.map((x, i) => {
        const per = this.tasks.map((t) => grads[t][i]);
        // Batch-separated statistic on a representation: Σ_batch sign(Z)·∇_k, one value per unit.
        const stats = z ? per.map((g) => sum(mul(sign(x), g), 0, true)) : per;
        const u = rand(stats[0].shape, { backend: x.backendName, dtype: x.dtype });
        return sub(
          gradDropCombine(per, stats, u, this.leak),
          per.reduce((a, b) => add(a, b)),
        );
      }),
    );
    const linear = wrt.map((x, i) => sum(mul(x, corrections[i]))).reduce((a, b) => add(a, b));
    return add(
      losses.reduce((a, b) => add(a, b)),
      sub(linear, stopGradient(linear)),
    );
  }

  /** A per-element sign selection, not a weighting. */
  async appliedWeights(): Promise<null> {
    return null;
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {}
}
