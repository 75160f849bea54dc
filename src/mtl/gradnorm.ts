/**
 * GradNorm (Chen, Badrinarayanan, Lee & Rabinovich, ICML 2018). Learnable task weights w_k (start 1) are trained
 * to balance the gradient norms G_k = ‖∇_W w_k·L_k‖ on the shared parameters W (usually the last shared layer,
 * passed as ctx.sharedParams):
 *   L̃_k = L_k(t)/L_k(0),  r_k = L̃_k / mean(L̃),  target_k = mean(G)·r_k^α  (constants),
 *   L_grad = Σ_k |G_k − target_k|, differentiated w.r.t. w only.
 * combine returns Σ_k w_k·L_k with w held constant (the network's loss) plus L_grad − L_grad (value 0) so that
 * one backward gives the network Σ w_k ∇L_k and w the gradient of L_grad. Before each combine the weights are
 * renormalised to sum to K (the paper renormalises after every update; doing it before the next use is the same).
 */
import type { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { abs, add, div, mul, pow, sqrt, square, sub } from '../ops/elementwise.js';
import { mean, sum } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { full } from '../ops/creation.js';
import { copyInto, createBuffer, createParameter, type TensorPlacement } from '../nn/index.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';
import { taskGradients } from './task-gradients.js';

export class GradNorm implements LossWeighting {
  readonly name = 'gradnorm';
  /** w [K], in `tasks` order. */
  readonly taskWeights: Tensor;
  private initialLosses: Tensor | null = null;

  constructor(
    readonly tasks: readonly string[],
    readonly alpha = 1.5,
    opts: TensorPlacement = {},
  ) {
    checkTaskNames('GradNorm', tasks);
    if (!(alpha >= 0)) throw new Error(`GradNorm: alpha must be >= 0, got ${alpha}`);
    this.taskWeights = createParameter(() => full([tasks.length], 1, opts));
  }

  /** w ← K·w / Σw, in place. */
  renormalize(): void {
    tidy(() =>
      noGrad(() => {
        const w = this.taskWeights;
        copyInto(w, mul(div(w, sum(w)), this.tasks.length), 'GradNorm.renormalize');
      }),
    );
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const losses = orderedLosses('GradNorm', this.tasks, taskLosses).map((l) => l.reshape([]));
    const shared = ctx.sharedParams;
    if (!shared || shared.length === 0)
      throw new Error(
        'GradNorm.combine: ctx.sharedParams must list the shared parameters W (e.g. the last shared layer)',
      );
    this.renormalize();
    const L = stopGradient(stack(losses));
    if (!this.initialLosses) this.initialLosses = createBuffer(() => L.mul(1));
    const grads = taskGradients(Object.fromEntries(this.tasks.map((t, k) => [t, losses[k]])), shared);
    const norms = noGrad(() =>
      stack(this.tasks.map((t) => sqrt(grads[t].map((g) => sum(square(g))).reduce((a, b) => add(a, b))))),
    );
    const w = this.taskWeights;
    const G = mul(w, norms);
    const Gbar = stopGradient(mean(G));
    const ratios = div(L, this.initialLosses);
    const target = stopGradient(mul(Gbar, pow(div(ratios, mean(ratios)), this.alpha)));
    const lGrad = sum(abs(sub(G, target)));
    const weighted = sum(mul(stopGradient(w), stack(losses)));
    return add(weighted, sub(lGrad, stopGradient(lGrad)));
  }

  /** w renormalised to sum to K: the weights the next combine uses. */
  async appliedWeights(): Promise<number[]> {
    const w = Array.from(await this.taskWeights.data());
    const s = w.reduce((a, b) => a + b, 0);
    return w.map((v) => (v * w.length) / s);
  }

  parameters(): Tensor[] {
    return [this.taskWeights];
  }
  dispose(): void {
    this.taskWeights.dispose();
    this.initialLosses?.dispose();
    this.initialLosses = null;
  }
}
