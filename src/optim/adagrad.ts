/**
 * torch.optim.Adagrad: g += wd·p; clr = lr / (1 + (t − 1)·lrDecay); sum += g²; p −= clr·g / (√sum + eps), with
 * sum starting at initialAccumulatorValue. Lazy embedding rows: only looked-up rows accumulate and move.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { RowSelection } from '../backends/kernels.js';
import { Optimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';
import { backendOfParam } from './kernel-call.js';
import { checkNonNegative } from './check.js';

export interface AdagradHyper extends BaseHyper {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

export class Adagrad extends Optimizer<AdagradHyper> {
  constructor(params: ParamsArg<AdagradHyper>, opts: Partial<AdagradHyper> = {}) {
    super('Adagrad', params, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...opts });
  }

  protected validate(h: AdagradHyper, where: string): void {
    for (const k of ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const)
      checkNonNegative('Adagrad', where, k, h[k]);
  }

  protected initState(p: Tensor, group: ParamGroup<AdagradHyper>): ParamState {
    return { step: 0, sum: this.stateBuffer(p, group.initialAccumulatorValue) };
  }

  protected update(
    p: Tensor,
    grad: Tensor,
    group: ParamGroup<AdagradHyper>,
    state: ParamState,
    rows?: RowSelection,
  ): void {
    const step = (state.step as number) + 1;
    state.step = step;
    const sum = state.sum as Tensor;
    backendOfParam(p).adagradUpdate(
      p.storage,
      grad.storage,
      sum.storage,
      { lr: group.lr, eps: group.eps, weightDecay: group.weightDecay, lrDecay: group.lrDecay, step },
      rows,
    );
    sum.version++;
  }
}
