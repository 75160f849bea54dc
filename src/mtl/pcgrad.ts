/**
 * PCGrad (Yu et al., NeurIPS 2020, "Gradient Surgery for Multi-Task Learning"). On the shared parameters, each
 * task gradient g_i is projected, against every other task's ORIGINAL gradient g_j in a random order, onto the
 * normal plane of g_j whenever they conflict:  g_i ← g_i − min(⟨g_i, g_j⟩, 0)/‖g_j‖² · g_j.  The update is the
 * sum (or mean) of the projected gradients. Task-specific parameters get their own task's gradient as usual.
 *
 * combine returns a surrogate scalar: Σ L_k (value of the total loss) plus ⟨c, θ⟩ − ⟨c, θ⟩ on the shared θ with
 * c = (projected sum − plain sum) held constant, so that one backward yields exactly the PCGrad direction on θ.
 * The random order is drawn from a PRNG seeded at construction (reproducible runs).
 */
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { add, div, gt, minimum, mul, sub, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';
import { flattenGradients, taskGradients, unflattenLike } from './task-gradients.js';
import { SeededRandom } from '../data/random.js';

/**
 * The projected task gradients (flat vectors), each against the others in the order `orderFor(i)` gives.
 * Exposed for tests and analysis.
 */
export function projectConflicting(grads: readonly Tensor[], orderFor: (i: number) => readonly number[]): Tensor[] {
  return noGrad(() => {
    const sqNorms = grads.map((g) => sum(mul(g, g)));
    return grads.map((gi, i) => {
      let g = gi;
      for (const j of orderFor(i)) {
        if (j === i) continue;
        const dot = sum(mul(g, grads[j]));
        // min(dot, 0) makes the projection a no-op for agreeing gradients; a zero g_j projects nothing.
        const coef = where(gt(sqNorms[j], 0), div(minimum(dot, 0), where(gt(sqNorms[j], 0), sqNorms[j], 1)), 0);
        g = sub(g, mul(grads[j], coef));
      }
      return g;
    });
  });
}

export class PCGrad implements LossWeighting {
  readonly name = 'pcgrad';
  private readonly random: SeededRandom;

  constructor(
    readonly tasks: readonly string[],
    opts: { seed?: number; reduction?: 'sum' | 'mean' } = {},
  ) {
    checkTaskNames('PCGrad', tasks);
    this.random = new SeededRandom(opts.seed ?? 0);
    this.reduction = opts.reduction ?? 'sum';
    if (this.reduction !== 'sum' && this.reduction !== 'mean')
      throw new Error(`PCGrad: reduction must be 'sum' or 'mean', got '${String(this.reduction)}'`);
  }

  readonly reduction: 'sum' | 'mean';

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const losses = orderedLosses('PCGrad', this.tasks, taskLosses).map((l) => l.reshape([]));
    const shared = ctx.sharedParams;
    if (!shared || shared.length === 0)
      throw new Error('PCGrad.combine: ctx.sharedParams must list the shared parameters to project gradients on');
    const K = this.tasks.length;
    const scale = this.reduction === 'mean' ? 1 / K : 1;
    const grads = taskGradients(Object.fromEntries(this.tasks.map((t, k) => [t, losses[k]])), shared);
    const flat = noGrad(() => this.tasks.map((t) => flattenGradients(grads[t])));
    const projected = projectConflicting(flat, () => Array.from(this.random.permutation(K)));
    const correction = noGrad(() =>
      mul(
        sub(
          projected.reduce((a, b) => add(a, b)),
          flat.reduce((a, b) => add(a, b)),
        ),
        scale,
      ),
    );
    const pieces = noGrad(() => unflattenLike(correction, shared));
    const linear = shared.map((p, i) => sum(mul(p, pieces[i]))).reduce((a, b) => add(a, b));
    const plain = mul(
      losses.reduce((a, b) => add(a, b)),
      scale,
    );
    return add(plain, sub(linear, stopGradient(linear)));
  }

  /** A projection, not a weighting. */
  async appliedWeights(): Promise<null> {
    return null;
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {}
}
