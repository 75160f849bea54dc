/**
 * The common machinery of the gradient-manipulation methods whose update comes from a small problem solved on the
 * host from the K×K Gram matrix M_ij = ⟨g_i, g_j⟩ of the task gradients on the shared parameters: MGDA, CAGrad,
 * Nash-MTL, IMTL-G, Aligned-MTL, GradVac. Each one's update on the shared parameters is a linear combination
 * Σ_k c_k·g_k whose coefficients c depend only on M (and the loss values), so the solve needs K² + K numbers.
 *
 * Reading them back asynchronously (so that webgpu, which cannot read synchronously, works too) splits a step in two:
 *
 *   const total = w.combine(losses, { sharedParams });  // per-task gradients g_k kept; returns Σ_k L_k
 *   backward(total);                                    // .grad = Σ_k ∇L_k everywhere
 *   await w.finishBackward();                           // reads M, solves c, shared .grad += Σ_k (c_k − 1)·g_k
 *
 * after which the shared parameters hold Σ c_k g_k (plus whatever else the loss added, e.g. a regulariser) and the
 * task-specific parameters keep their own task's gradient, as in MGDA's Algorithm 2 (Sener & Koltun 2018). The
 * Trainer awaits finishBackward() after every backward (src/train/trainer.ts). A combine() before the previous
 * step's finishBackward() is an error, so a forgotten finish cannot silently train with the plain sum.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep, tidy } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { add, mul } from '../ops/elementwise.js';
import { matmul } from '../ops/linalg.js';
import { concat, reshape, stack } from '../ops/shape.js';
import { tensor } from '../ops/creation.js';
import { stopGradient } from '../autograd/record.js';
import { checkTaskNames, orderedLosses, type CombineContext, type LossWeighting } from './weighting.js';
import { flattenGradients, taskGradients, unflattenLike } from './task-gradients.js';

interface Pending {
  /** [K, P] task gradients on the shared parameters. */
  grads: Tensor;
  /** M (K·K, row-major) then the K loss values. */
  readout: Tensor;
  shared: readonly Tensor[];
}

export abstract class HostSolvedWeighting implements LossWeighting {
  abstract readonly name: string;
  private pending: Pending | null = null;
  /** c of the latest finishBackward (the update on the shared parameters is Σ c_k g_k), in `tasks` order. */
  lastCoefficients: number[] | null = null;

  constructor(
    readonly tasks: readonly string[],
    op: string,
  ) {
    checkTaskNames(op, tasks);
  }

  /** The coefficients c from the Gram matrix of the task gradients and the task loss values. */
  protected abstract solve(gram: number[][], losses: number[]): number[];

  /**
   * The losses whose gradients are manipulated (IMTL-L scales them first) and any extra term the returned loss
   * carries (IMTL-L's −s_k), from the ordered task losses.
   */
  protected transformLosses(losses: Tensor[]): { losses: Tensor[]; extra: Tensor | null } {
    return { losses, extra: null };
  }

  /** The gradients the Gram matrix is taken of (MGDA-UB: the shared representation); default the shared parameters. */
  protected gramSource(_ctx: CombineContext): Tensor | null {
    return null;
  }

  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx: CombineContext = {}): Tensor {
    const cls = this.constructor.name;
    if (this.pending) {
      throw new Error(
        `${cls}.combine: the previous step's gradients were never finished; call \`await ${this.name}.finishBackward()\` after backward() (the Trainer does)`,
      );
    }
    const ordered = orderedLosses(cls, this.tasks, taskLosses).map((l) => l.reshape([]));
    const shared = ctx.sharedParams;
    if (!shared || shared.length === 0)
      throw new Error(`${cls}.combine: ctx.sharedParams must list the shared parameters whose gradients it combines`);
    const { losses, extra } = this.transformLosses(ordered);
    const byTask = (ls: Tensor[]): Record<string, Tensor> => Object.fromEntries(this.tasks.map((t, k) => [t, ls[k]]));
    const grads = taskGradients(byTask(losses), shared);
    const z = this.gramSource(ctx);
    const zGrads = z ? taskGradients(byTask(losses), [z]) : null;
    this.pending = noGrad(() => {
      const G = stack(this.tasks.map((t) => flattenGradients(grads[t])));
      const Gg = zGrads ? stack(this.tasks.map((t) => flattenGradients(zGrads[t]))) : G;
      const K = this.tasks.length;
      const readout = concat(
        [reshape(matmul(Gg, Gg.transpose()), [K * K]), stack(ordered.map((l) => stopGradient(l)))],
        0,
      );
      return { grads: keep(G), readout: keep(readout), shared };
    });
    const total = losses.reduce((a, b) => add(a, b));
    return extra ? add(total, extra) : total;
  }

  /** Reads the Gram matrix (asynchronously), solves for c and rewrites the shared parameters' .grad. */
  async finishBackward(): Promise<void> {
    const p = this.pending;
    if (!p)
      throw new Error(`${this.constructor.name}.finishBackward: no pending step (call combine() and backward() first)`);
    this.pending = null;
    try {
      const data = await p.readout.data();
      const K = this.tasks.length;
      const gram = this.tasks.map((_, i) => this.tasks.map((__, j) => data[i * K + j]));
      const losses = this.tasks.map((_, k) => data[K * K + k]);
      for (const [i, row] of gram.entries()) {
        if (row.some((v) => !Number.isFinite(v)))
          throw new Error(
            `${this.constructor.name}: the gradient of task '${this.tasks[i]}' is not finite (Gram row ${row.join(', ')})`,
          );
      }
      const c = this.solve(gram, losses);
      if (c.length !== K || c.some((v) => !Number.isFinite(v)))
        throw new Error(`${this.constructor.name}: solved coefficients are not finite: ${c.join(', ')}`);
      this.lastCoefficients = c;
      tidy(() =>
        noGrad(() => {
          const delta = tensor(
            c.map((v) => v - 1),
            { backend: p.grads.backendName, dtype: p.grads.dtype },
          ).reshape([1, K]);
          const pieces = unflattenLike(reshape(matmul(delta, p.grads), [p.grads.shape[1]]), p.shared);
          p.shared.forEach((param, i) => {
            const old = param.grad;
            param.grad = keep(old ? add(old, pieces[i]) : mul(pieces[i], 1));
            old?.dispose();
          });
        }),
      );
    } finally {
      p.grads.dispose();
      p.readout.dispose();
    }
  }

  async appliedWeights(): Promise<number[] | null> {
    return this.lastCoefficients;
  }

  parameters(): Tensor[] {
    return [];
  }

  dispose(): void {
    if (this.pending) {
      this.pending.grads.dispose();
      this.pending.readout.dispose();
      this.pending = null;
    }
  }
}
