/**
 * FAMO (Liu, Liang, Chen, Stone & Liu, NeurIPS 2023, "FAMO: Fast Adaptive Multitask Optimization"). Task weights
 * z = softmax(ξ) over logits ξ (start 0). Each step minimises the weighted log-loss surrogate
 *
 *   Σ_k z_k·log(L_k − b_k) / c,   c = Σ_k z_k/(L_k − b_k)   (c held constant; b_k the loss lower bounds, 0 here),
 *
 * whose gradient c⁻¹·Σ_k (z_k/L_k)·∇L_k decreases every log-loss at an equal rate to first order. After the step,
 * with δ_k = log(L_k(θ_t) − b_k) − log(L_k(θ_{t+1}) − b_k) the observed log-loss decreases, ξ takes a step on the
 * gradient J_softmax(ξ)ᵀ·δ = z ⊙ (δ − ⟨z, δ⟩) with weight decay γ: Adam, lr 0.025, γ = 0.001 (the paper's values;
 * the authors run Adam with those settings). All of it stays on the device (no readback); ε = 1e-8 inside the logs.
 *
 * Choice the paper leaves to the training loop: L_k(θ_{t+1}) should be the same batch re-evaluated after the step.
 * `update(lossesAfterStep)` does exactly that for a caller that re-evaluates; when it is not called, the next
 * combine() uses its own batch's losses as L(θ_{t+1}) (one forward saved per step, the Trainer's way) — a noisier δ.
 */
import { Tensor } from '../tensor/tensor.js';
import { dispose, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { stopGradient } from '../autograd/record.js';
import { add, div, log, mul, sqrt, square, sub } from '../ops/elementwise.js';
import { softmax, sum } from '../ops/reduce.js';
import { stack } from '../ops/shape.js';
import { full } from '../ops/creation.js';
import { createBuffer, type TensorPlacement } from '../nn/index.js';
import { checkTaskNames, orderedLosses, type LossWeighting } from './weighting.js';

export interface FAMOOptions extends TensorPlacement {
  /** Adam learning rate of ξ (default 0.025). */
  lr?: number;
  /** Weight decay γ of ξ (default 0.001). */
  gamma?: number;
}

export class FAMO implements LossWeighting {
  readonly name = 'famo';
  readonly lr: number;
  readonly gamma: number;
  /** ξ [K]. */
  private logits: Tensor;
  private m: Tensor;
  private v: Tensor;
  private adamStep = 0;
  /** L(θ_t) − b + ε of the latest combine, detached; cleared by update(). */
  private previous: Tensor | null = null;
  private readonly epsilon = 1e-8;

  constructor(
    readonly tasks: readonly string[],
    opts: FAMOOptions = {},
  ) {
    checkTaskNames('FAMO', tasks);
    this.lr = opts.lr ?? 0.025;
    this.gamma = opts.gamma ?? 0.001;
    if (!(this.lr > 0)) throw new Error(`FAMO: lr must be > 0, got ${this.lr}`);
    if (!(this.gamma >= 0)) throw new Error(`FAMO: gamma must be >= 0, got ${this.gamma}`);
    const place = { backend: opts.backend, dtype: opts.dtype };
    this.logits = createBuffer(() => full([tasks.length], 0, place));
    this.m = createBuffer(() => full([tasks.length], 0, place));
    this.v = createBuffer(() => full([tasks.length], 0, place));
  }

  /** z = softmax(ξ), the current task weights ([K], a fresh tensor). */
  weights(): Tensor {
    return noGrad(() => softmax(this.logits));
  }

  /** ξ's step from the losses after the optimizer step (same batch, ideally): [K] in `tasks` order, or by task. */
  update(lossesAfterStep: Tensor | Readonly<Record<string, Tensor>>): void {
    const prev = this.previous;
    if (!prev) throw new Error('FAMO.update: no combine() since the last update');
    this.previous = null;
    tidy(() =>
      noGrad(() => {
        const curr =
          lossesAfterStep instanceof Tensor
            ? lossesAfterStep.reshape([this.tasks.length])
            : stack(orderedLosses('FAMO.update', this.tasks, lossesAfterStep).map((l) => l.reshape([])));
        const delta = sub(log(prev), log(add(stopGradient(curr), this.epsilon)));
        const z = softmax(this.logits);
        const d = mul(z, sub(delta, sum(mul(z, delta))));
        const g = add(d, mul(this.logits, this.gamma));
        this.adamStep++;
        const b1 = 0.9,
          b2 = 0.999;
        const m = add(mul(this.m, b1), mul(g, 1 - b1));
        const v = add(mul(this.v, b2), mul(square(g), 1 - b2));
        const mHat = div(m, 1 - b1 ** this.adamStep),
          vHat = div(v, 1 - b2 ** this.adamStep);
        const logits = sub(this.logits, mul(div(mHat, add(sqrt(vHat), 1e-8)), this.lr));
        const old = [this.logits, this.m, this.v];
        this.logits = createBuffer(() => logits.mul(1));
        this.m = createBuffer(() => m.mul(1));
        this.v = createBuffer(() => v.mul(1));
        dispose(old);
      }),
    );
    prev.dispose();
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>): Tensor {
    const L = stack(orderedLosses('FAMO', this.tasks, taskLosses).map((l) => l.reshape([])));
    if (this.previous) this.update(L);
    const D = add(L, this.epsilon);
    this.previous = createBuffer(() => stopGradient(D).mul(1));
    const z = this.weights();
    const c = stopGradient(sum(div(z, D)));
    return div(sum(mul(log(D), z)), c);
  }

  async appliedWeights(): Promise<number[]> {
    const z = this.weights();
    const out = Array.from(await z.data());
    z.dispose();
    return out;
  }

  parameters(): Tensor[] {
    return [];
  }
  dispose(): void {
    dispose([this.logits, this.m, this.v, this.previous]);
    this.previous = null;
  }
}
