/** Fixed task weights: L = Σ_k w_k·L_k (every task must have a weight; 1 for an equal sum). */
import type { Tensor } from '../tensor/tensor.js';
import { checkTaskNames, orderedLosses, weightedSum, type LossWeighting } from './weighting.js';

export class FixedWeighting implements LossWeighting {
  readonly name = 'fixed';
  readonly tasks: readonly string[];

  constructor(readonly weights: Readonly<Record<string, number>>) {
    this.tasks = Object.keys(weights);
    checkTaskNames('FixedWeighting', this.tasks);
    for (const [t, w] of Object.entries(weights)) {
      if (!Number.isFinite(w))
        throw new Error(`FixedWeighting: weight of task '${t}' must be a finite number, got ${w}`);
    }
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>): Tensor {
    return weightedSum(
      orderedLosses('FixedWeighting', this.tasks, taskLosses),
      this.tasks.map((t) => this.weights[t]),
    );
  }

  async appliedWeights(): Promise<number[]> {
    return this.tasks.map((t) => this.weights[t]);
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {}
}
