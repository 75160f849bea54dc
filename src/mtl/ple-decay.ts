/**
 * PLE's per-epoch loss-weight decay (Tang et al., RecSys 2020, §4.3): w_k(t) = ω_k·γ_k^t with t the epoch, so a
 * task can be phased out (γ < 1) or in relative to others. L = Σ_k ω_k·γ_k^t·L_k.
 */
import type { Tensor } from '../tensor/tensor.js';
import { checkTaskNames, orderedLosses, weightedSum, type CombineContext, type LossWeighting } from './weighting.js';

export class PLEDecayWeighting implements LossWeighting {
  readonly name = 'pleDecay';
  readonly tasks: readonly string[];

  /** `initial` holds ω_k; `decay` holds γ_k (default 1: no decay). */
  constructor(
    readonly initial: Readonly<Record<string, number>>,
    readonly decay: Readonly<Record<string, number>> = {},
  ) {
    this.tasks = Object.keys(initial);
    checkTaskNames('PLEDecayWeighting', this.tasks);
    for (const t of Object.keys(decay))
      if (!this.tasks.includes(t)) throw new Error(`PLEDecayWeighting: decay given for unknown task '${t}'`);
    for (const t of this.tasks) {
      const g = decay[t] ?? 1;
      if (!(g > 0) || !Number.isFinite(initial[t]))
        throw new Error(`PLEDecayWeighting: task '${t}' needs a finite ω and γ > 0, got ω=${initial[t]}, γ=${g}`);
    }
  }

  /** w_k at epoch t. */
  weightsAt(epoch: number): Record<string, number> {
    return Object.fromEntries(this.tasks.map((t) => [t, this.initial[t] * (this.decay[t] ?? 1) ** epoch]));
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    if (ctx.epoch === undefined || !Number.isInteger(ctx.epoch) || ctx.epoch < 0) {
      throw new Error(
        `PLEDecayWeighting.combine: ctx.epoch must be the epoch count (integer >= 0), got ${String(ctx.epoch)}`,
      );
    }
    this.lastEpoch = ctx.epoch;
    const w = this.weightsAt(ctx.epoch);
    return weightedSum(
      orderedLosses('PLEDecayWeighting', this.tasks, taskLosses),
      this.tasks.map((t) => w[t]),
    );
  }

  private lastEpoch: number | null = null;
  async appliedWeights(): Promise<number[] | null> {
    if (this.lastEpoch === null) return null;
    const w = this.weightsAt(this.lastEpoch);
    return this.tasks.map((t) => w[t]);
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {}
}
