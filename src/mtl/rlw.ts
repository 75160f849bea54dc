/**
 * Random Loss Weighting (Lin, Ye, Xu, Shi & Zhang, TMLR 2022, "Reasonable Effectiveness of Random Weighting: A
 * Litmus Test for Multi-Task Learning"). Each step draws fresh weights λ = softmax(z), z ~ N(0, I_K) — the paper's
 * default distribution (it also studies uniform, Dirichlet, Bernoulli… which all behave alike) — and returns
 * Σ_k λ_k·L_k. The draws come from a PRNG seeded at construction (reproducible runs, no device readback).
 */
import type { Tensor } from '../tensor/tensor.js';
import { SeededRandom } from '../data/random.js';
import { checkTaskNames, orderedLosses, weightedSum, type LossWeighting } from './weighting.js';

export class RandomLossWeighting implements LossWeighting {
  readonly name = 'rlw';
  private readonly random: SeededRandom;
  /** λ of the latest combine. */
  lastWeights: number[] | null = null;

  constructor(
    readonly tasks: readonly string[],
    opts: { seed?: number } = {},
  ) {
    checkTaskNames('RandomLossWeighting', tasks);
    this.random = new SeededRandom(opts.seed ?? 0);
  }

  /** The next λ = softmax(z), z ~ N(0, I). */
  drawWeights(): number[] {
    const z = this.tasks.map(() => this.random.normal());
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>): Tensor {
    const losses = orderedLosses('RandomLossWeighting', this.tasks, taskLosses);
    this.lastWeights = this.drawWeights();
    return weightedSum(losses, this.lastWeights);
  }

  async appliedWeights(): Promise<number[] | null> {
    return this.lastWeights;
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {}
}
