/**
 * Gradient routing: declare which task losses may reach which parameters — e.g. "the CVR loss must not update the
 * CTR tower" — and accumulate gradients accordingly. Each task's loss is differentiated (grad(), graph retained)
 * only with respect to the parameters it may reach, and the results are added into .grad; a parameter a task may
 * not reach gets nothing from it — not a small number, exactly nothing. This costs one backward per task.
 *
 * Inside a forward pass, the other routing tool is stopGradient: see feedPrediction (feed.ts) for one task's
 * prediction used as another's input without letting the second task's loss flow back into the first.
 */
import type { Tensor } from '../tensor/tensor.js';
import { keep } from '../tensor/scope.js';
import { noGrad } from '../autograd/mode.js';
import { grad } from '../autograd/backward.js';
import { add } from '../ops/elementwise.js';
import { Module, parameterName } from '../nn/index.js';

/** What a rule names: modules (all their parameters) or parameters directly. */
export type ParamSource = Module | Tensor | readonly (Module | Tensor)[];

export interface RouteRule {
  /** Only these may be reached (default: every parameter of the model). */
  allow?: ParamSource;
  /** Never reached, even when allowed. */
  deny?: ParamSource;
}

function paramsOf(src: ParamSource | undefined): Set<Tensor> {
  const out = new Set<Tensor>();
  if (!src) return out;
  const list = Array.isArray(src) ? src : [src];
  for (const s of list as (Module | Tensor)[]) {
    if (s instanceof Module) for (const p of s.parameters()) out.add(p);
    else out.add(s);
  }
  return out;
}

export class GradientRouter {
  private readonly reach = new Map<string, Tensor[]>();

  constructor(
    readonly model: Module,
    readonly rules: Readonly<Record<string, RouteRule>>,
  ) {
    const all = model.parameters().filter((p) => p.requiresGrad);
    const inModel = new Set(all);
    for (const [task, rule] of Object.entries(rules)) {
      const allow = rule.allow ? paramsOf(rule.allow) : inModel;
      const deny = paramsOf(rule.deny);
      for (const p of [...(rule.allow ? allow : []), ...deny]) {
        if (!inModel.has(p))
          throw new Error(
            `routeGradients: rule for task '${task}' names parameter ${parameterName(p) ?? `#${p.id}`}, which is not a trainable parameter of the model`,
          );
      }
      this.reach.set(
        task,
        all.filter((p) => allow.has(p) && !deny.has(p)),
      );
    }
  }

  /** The parameters a task's loss may reach (every model parameter for a task without a rule). */
  reachable(task: string): Tensor[] {
    return this.reach.get(task) ?? this.model.parameters().filter((p) => p.requiresGrad);
  }

  /**
   * Accumulates into .grad the routed gradient Σ_k ∂L_k/∂θ over the tasks allowed to reach θ. Losses may carry
   * weights already (pass w_k·L_k). The graph is released after the last task.
   */
  backward(taskLosses: Readonly<Record<string, Tensor>>): void {
    const entries = Object.entries(taskLosses);
    entries.forEach(([task, loss], i) => {
      const params = this.reachable(task).filter((p) => p.requiresGrad);
      if (params.length === 0) return;
      const grads = grad(loss, params, { retainGraph: i < entries.length - 1, allowUnused: true });
      noGrad(() =>
        params.forEach((p, j) => {
          const g = grads[j];
          if (p.grad) {
            const old = p.grad;
            p.grad = keep(add(old, g));
            old.dispose();
            g.dispose();
          } else p.grad = keep(g);
        }),
      );
    });
  }
}

/** routeGradients(model, { cvr: { deny: model.towers.get('ctr') } }).backward({ ctr: lCtr, cvr: lCvr }). */
export function routeGradients(model: Module, rules: Readonly<Record<string, RouteRule>>): GradientRouter {
  return new GradientRouter(model, rules);
}
