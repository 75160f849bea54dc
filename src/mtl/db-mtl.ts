/**
 * DB-MTL (Lin, Ye, Zhang & Kwok, 2023, "Dual-Balancing for Multi-Task Learning"). Loss-scale balancing: every task
 * loss goes through a log, ℓ_k = log(L_k + ε). Gradient-magnitude balancing: an EMA of each task's gradient of
 * ℓ_k on the shared parameters,
 *
 *   ĝ_k ← β_t·ĝ_k + (1 − β_t)·∇ℓ_k,   β_t = β / t^σ   (ĝ_k = 0 before the first step, t counts from 1),
 *
 * is rescaled to the largest EMA norm, and the shared update is Σ_k (max_j ‖ĝ_j‖ / ‖ĝ_k‖)·ĝ_k. Task-specific
 * parameters get ∇ℓ_k of their own task. Defaults β = 0.9, σ = 0, ε = 1e-8 (the authors' LibMTL settings; the
 * paper leaves the schedule open). Everything stays on the device (no readback): combine returns
 * Σ_k ℓ_k + ⟨c, θ⟩ − ⟨c, θ⟩ with c = (balanced update − Σ_k ∇ℓ_k) held constant, so one backward gives the update.
 */
import type { Tensor } from '../tensor/tensor.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { add, div, log, maximum, mul, sqrt, sub } from '../ops/elementwise.js';
import { max, sum } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { createBuffer } from '../nn/index.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';
import { flattenGradients, taskGradients, unflattenLike } from './task-gradients.js';

export class DBMTL implements LossWeighting {
  readonly name = 'dbmtl';
  readonly beta: number;
  readonly sigma: number;
  readonly epsilon: number;
  private buffer: Tensor | null = null;
  private t = 0;

  constructor(
    readonly tasks: readonly string[],
    opts: { beta?: number; sigma?: number; epsilon?: number } = {},
  ) {
    checkTaskNames('DBMTL', tasks);
    this.beta = opts.beta ?? 0.9;
    this.sigma = opts.sigma ?? 0;
    this.epsilon = opts.epsilon ?? 1e-8;
    if (!(this.beta >= 0 && this.beta < 1)) throw new Error(`DBMTL: beta must be in [0, 1), got ${this.beta}`);
    if (!(this.sigma >= 0)) throw new Error(`DBMTL: sigma must be >= 0, got ${this.sigma}`);
  }

  /** The EMA gradients ĝ ([K, P]) after the latest combine; null before. */
  get emaGradients(): Tensor | null {
    return this.buffer;
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const shared = ctx.sharedParams;
    if (!shared || shared.length === 0)
      throw new Error('DBMTL.combine: ctx.sharedParams must list the shared parameters whose gradients it balances');
    const logs = orderedLosses('DBMTL', this.tasks, taskLosses).map((l) => log(add(l.reshape([]), this.epsilon)));
    const grads = taskGradients(Object.fromEntries(this.tasks.map((t, k) => [t, logs[k]])), shared);
    this.t++;
    const betaT = this.beta / this.t ** this.sigma;
    const correction = noGrad(() => {
      const G = stack(this.tasks.map((t) => flattenGradients(grads[t])));
      const prev = this.buffer;
      const ema = prev ? add(mul(prev, betaT), mul(G, 1 - betaT)) : mul(G, 1 - betaT);
      this.buffer = createBuffer(() => ema.mul(1));
      prev?.dispose();
      const norms = sqrt(sum(mul(ema, ema), 1, true)); // [K, 1]
      const scale = div(max(norms), maximum(norms, 1e-30));
      return unflattenLike(sub(sum(mul(ema, scale), 0), sum(G, 0)), shared);
    });
    const linear = shared.map((p, i) => sum(mul(p, correction[i]))).reduce((a, b) => add(a, b));
    return add(
      logs.reduce((a, b) => add(a, b)),
      sub(linear, stopGradient(linear)),
    );
  }

  /** max_j ‖ĝ_j‖ / ‖ĝ_k‖, the scale on each EMA gradient. */
  async appliedWeights(): Promise<number[] | null> {
    if (!this.buffer) return null;
    const K = this.tasks.length,
      P = this.buffer.shape[1];
    const g = await this.buffer.data();
    const norms = Array.from({ length: K }, (_, k) => {
      let s = 0;
      for (let i = 0; i < P; i++) s += g[k * P + i] ** 2;
      return Math.sqrt(s);
    });
    const top = Math.max(...norms);
    return norms.map((n) => (n > 0 ? top / n : 0));
  }

  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {
    this.buffer?.dispose();
    this.buffer = null;
  }
}
