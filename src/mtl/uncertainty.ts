/**
 * Homoscedastic uncertainty weighting (Kendall, Gal & Cipolla, CVPR 2018), with learnable s_k = log σ_k²:
 *
 *   L = Σ_k e^{−s_k}·c_k·L_k + s_k/2,   c_k = 1/2 for regression tasks, 1 for classification tasks.
 *
 * (Regression: L_k/(2σ²) + log σ; classification: L_k/σ² + log σ.) For a fixed task loss L_k the optimum is
 * s_k = log(2·c_k·L_k): log L_k for regression, log 2L_k for classification. No clamping is applied to s_k; the
 * s_k start at 0 (σ = 1) and go into an optimizer group via parameters().
 */
import type { Tensor } from '../tensor/tensor.js';
import { add, exp, mul, neg } from '../ops/elementwise.js';
import { full } from '../ops/creation.js';
import { createParameter, type TensorPlacement } from '../nn/index.js';
import { checkTaskNames, orderedLosses, type LossWeighting } from './weighting.js';

export type TaskKind = 'regression' | 'classification';

export class UncertaintyWeighting implements LossWeighting {
  readonly name = 'uncertainty';
  readonly tasks: readonly string[];
  /** s_k = log σ_k², one 0-d tensor per task. */
  readonly logVars: Readonly<Record<string, Tensor>>;

  constructor(
    readonly kinds: Readonly<Record<string, TaskKind>>,
    opts: TensorPlacement & { initLogVar?: number } = {},
  ) {
    this.tasks = Object.keys(kinds);
    checkTaskNames('UncertaintyWeighting', this.tasks);
    for (const [t, k] of Object.entries(kinds)) {
      if (k !== 'regression' && k !== 'classification')
        throw new Error(
          `UncertaintyWeighting: task '${t}' has kind '${String(k)}', expected 'regression' or 'classification'`,
        );
    }
    this.logVars = Object.fromEntries(
      this.tasks.map((t) => [t, createParameter(() => full([], opts.initLogVar ?? 0, opts))]),
    );
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>): Tensor {
    const losses = orderedLosses('UncertaintyWeighting', this.tasks, taskLosses);
    let total: Tensor | null = null;
    losses.forEach((l, i) => {
      const t = this.tasks[i];
      const s = this.logVars[t];
      const c = this.kinds[t] === 'regression' ? 0.5 : 1;
      const term = add(mul(mul(exp(neg(s)), l), c), mul(s, 0.5));
      total = total ? add(total, term) : term;
    });
    return total!;
  }

  /** e^{−s_k}·c_k, the weight on L_k. */
  async appliedWeights(): Promise<number[]> {
    return Promise.all(
      this.tasks.map(
        async (t) => Math.exp(-(await this.logVars[t].item())) * (this.kinds[t] === 'regression' ? 0.5 : 1),
      ),
    );
  }

  parameters(): Tensor[] {
    return this.tasks.map((t) => this.logVars[t]);
  }
  dispose(): void {
    for (const p of this.parameters()) p.dispose();
  }
}
