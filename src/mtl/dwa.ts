/**
 * Dynamic Weight Average (Liu, Johns & Davison, CVPR 2019):
 *   w_k(t) = K·exp(r_k(t−1)/T) / Σ_i exp(r_i(t−1)/T),   r_k(t−1) = L̄_k(t−1) / L̄_k(t−2),
 * where L̄_k(e) is task k's mean loss over epoch e and T the temperature (2 in the paper); w_k = 1 during the
 * first two epochs. Losses are averaged on the device (no readback); pass ctx.epoch to every combine.
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';
import { add, div, mul } from '../ops/elementwise.js';
import { softmax } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { createBuffer } from '../nn/index.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';

export class DynamicWeightAverage implements LossWeighting {
  readonly name = 'dwa';
  private epoch: number | undefined;
  private epochSum: Tensor | null = null;
  private epochCount = 0;
  /** Mean losses of the last two finished epochs: [t−2, t−1]. */
  private history: Tensor[] = [];
  /** The weights used by the latest combine ([K], detached); null before the first. */
  lastWeights: Tensor | null = null;

  constructor(
    readonly tasks: readonly string[],
    readonly temperature = 2,
  ) {
    checkTaskNames('DynamicWeightAverage', tasks);
    if (!(temperature > 0)) throw new Error(`DynamicWeightAverage: temperature must be positive, got ${temperature}`);
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const losses = orderedLosses('DynamicWeightAverage', this.tasks, taskLosses);
    const e = ctx.epoch;
    if (e === undefined || !Number.isInteger(e) || e < 0)
      throw new Error(
        `DynamicWeightAverage.combine: ctx.epoch must be the epoch count (integer >= 0), got ${String(e)}`,
      );
    if (this.epoch !== undefined && e < this.epoch)
      throw new Error(`DynamicWeightAverage.combine: epoch went back from ${this.epoch} to ${e}`);
    if (this.epoch !== undefined && e > this.epoch) this.finishEpoch();
    this.epoch = e;
    const current = stack(losses.map((l) => stopGradient(l).reshape([])));
    const prevSum = this.epochSum;
    this.epochSum = createBuffer(() => (prevSum ? add(prevSum, current) : current.mul(1)));
    prevSum?.dispose();
    this.epochCount++;
    const K = this.tasks.length;
    const w =
      this.history.length === 2
        ? mul(softmax(div(div(this.history[1], this.history[0]), this.temperature)), K)
        : current.mul(0).add(1);
    this.lastWeights?.dispose();
    this.lastWeights = createBuffer(() => w.mul(1));
    let total: Tensor | null = null;
    losses.forEach((l, k) => {
      const term = mul(l.reshape([]), w.slice([[k, k + 1]]).reshape([]));
      total = total ? add(total, term) : term;
    });
    return total!;
  }

  private finishEpoch(): void {
    if (!this.epochSum) return;
    const sum = this.epochSum,
      n = this.epochCount;
    const mean = createBuffer(() => div(sum, n));
    this.history.push(mean);
    if (this.history.length > 2) this.history.shift()!.dispose();
    sum.dispose();
    this.epochSum = null;
    this.epochCount = 0;
  }

  async appliedWeights(): Promise<number[] | null> {
    return this.lastWeights ? Array.from(await this.lastWeights.data()) : null;
  }
  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {
    for (const t of [this.epochSum, this.lastWeights, ...this.history]) t?.dispose();
    this.epochSum = null;
    this.lastWeights = null;
    this.history = [];
  }
}
