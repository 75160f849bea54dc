/**
 * The loss-combination interface every strategy implements: combine(taskLosses, ctx) → one scalar whose backward
 * gives the strategy's update. Strategies with learnable parameters (uncertainty's log-variances, GradNorm's task
 * weights) expose them through parameters(), to be put in an optimizer group of their own.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { add, mul } from '../ops/elementwise.js';

export interface CombineContext {
  /** Global step (iteration) count. */
  step?: number;
  /** Epoch count, from 0 (DWA and PLE's decay need it). */
  epoch?: number;
  /** Shared parameters the gradient-based strategies (gradnorm, pcgrad, mgda on params) work on. */
  sharedParams?: readonly Tensor[];
  /** The shared representation Z (MGDA-UB: task gradients taken w.r.t. Z, one backward each through the heads). */
  sharedRepresentation?: Tensor;
}

export interface LossWeighting {
  readonly name: string;
  /** The task names, in the order the strategy reports them. */
  readonly tasks: readonly string[];
  combine(taskLosses: Readonly<Record<string, Tensor>>, ctx?: CombineContext): Tensor;
  /** Learnable parameters (empty when the strategy has none). */
  parameters(): Tensor[];
  /** Releases kept tensors (learnable parameters, running statistics). */
  dispose(): void;
  /**
   * Present on the strategies that solve a small problem on the host (MGDA, CAGrad, Nash-MTL, IMTL, Aligned-MTL,
   * GradVac; see host-solved.ts): after backward(combine(...)), await it to read their K×K numbers asynchronously
   * (so webgpu works) and rewrite the shared parameters' .grad. The Trainer does.
   */
  finishBackward?(): Promise<void>;
  /**
   * The per-task weights (or, for the gradient methods, the coefficients of Σ c_k g_k on the shared parameters)
   * the latest step applied, in `tasks` order; null when the method has none (PCGrad, GradDrop) or before a step.
   * Read at the Trainer's probe steps for the diagnostics.
   */
  appliedWeights?(): Promise<number[] | null>;
}

/** The losses in `tasks` order, checking that exactly the configured tasks are present and scalar. */
export function orderedLosses(
  op: string,
  tasks: readonly string[],
  taskLosses: Readonly<Record<string, Tensor>>,
): Tensor[] {
  const given = Object.keys(taskLosses);
  const missing = tasks.filter((t) => !(t in taskLosses));
  const unexpected = given.filter((t) => !tasks.includes(t));
  if (missing.length || unexpected.length) {
    throw new Error(
      `${op}: task losses for [${given.join(', ')}] do not match the configured tasks [${tasks.join(', ')}]` +
        `${missing.length ? `; missing ${missing.join(', ')}` : ''}${unexpected.length ? `; unexpected ${unexpected.join(', ')}` : ''}`,
    );
  }
  return tasks.map((t) => {
    const l = taskLosses[t];
    if (l.size !== 1) throw new Error(`${op}: the loss of task '${t}' must be a scalar, got shape ${fmt(l.shape)}`);
    return l;
  });
}

export function checkTaskNames(op: string, tasks: readonly string[]): void {
  if (tasks.length === 0) throw new Error(`${op}: needs at least one task`);
  const dup = tasks.find((t, i) => tasks.indexOf(t) !== i);
  if (dup) throw new Error(`${op}: task '${dup}' is listed twice`);
}

/** Σ_k w_k·L_k, with w_k a number or a (0-d or [1]) tensor. */
export function weightedSum(losses: readonly Tensor[], weights: readonly (Tensor | number)[]): Tensor {
  let total: Tensor | null = null;
  losses.forEach((l, i) => {
    const term = mul(l, weights[i]);
    total = total ? add(total, term) : term;
  });
  return total!;
}
