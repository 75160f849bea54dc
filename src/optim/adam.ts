/**
 * torch.optim.Adam and AdamW (bias-corrected moments; Adam adds wd·p to the gradient, AdamW decays p by lr·wd
 * directly). Without amsgrad one fused kernel does the whole update. With amsgrad the kernel updates the moments
 * only (lr = 0 leaves p as is), v̂ = max(v̂, v) is formed with ops, and the step
 * p −= lr·(m / ((1 − β1ᵗ)(√v̂/√(1 − β2ᵗ) + eps)) + [AdamW] wd·p) is applied by the in-place SGD kernel.
 * With lazy embedding rows only the looked-up rows' moments advance; the step count (bias correction) is per
 * parameter, as in torch.optim.SparseAdam.
 */
import type { Tensor } from '../tensor/tensor.js';
import type { RowSelection } from '../backends/kernels.js';
import { add, div, maximum, mul, sqrt } from '../ops/elementwise.js';
import { Optimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';
import { backendOfParam } from './kernel-call.js';
import { checkBoolean, checkInUnit, checkNonNegative } from './check.js';

export interface AdamHyper extends BaseHyper {
  lr: number;
  betas: readonly [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

export class Adam extends Optimizer<AdamHyper> {
  /** AdamW's decoupled weight decay. */
  protected readonly decoupled: boolean;

  constructor(
    params: ParamsArg<AdamHyper>,
    opts: Partial<AdamHyper> = {},
    variant: { name: string; decoupled: boolean; weightDecay: number } = {
      name: 'Adam',
      decoupled: false,
      weightDecay: 0,
    },
  ) {
    super(variant.name, params, {
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: variant.weightDecay,
      amsgrad: false,
      ...opts,
    });
    this.decoupled = variant.decoupled;
  }

  protected validate(h: AdamHyper, where: string): void {
    checkNonNegative(this.name, where, 'lr', h.lr);
    checkNonNegative(this.name, where, 'eps', h.eps);
    checkNonNegative(this.name, where, 'weightDecay', h.weightDecay);
    if (!Array.isArray(h.betas) || h.betas.length !== 2)
      throw new Error(`${this.name}: ${where}: betas must be [beta1, beta2], got ${JSON.stringify(h.betas)}`);
    checkInUnit(this.name, where, 'betas[0]', h.betas[0]);
    checkInUnit(this.name, where, 'betas[1]', h.betas[1]);
    checkBoolean(this.name, where, 'amsgrad', h.amsgrad);
  }

  protected initState(p: Tensor, group: ParamGroup<AdamHyper>): ParamState {
    const st: ParamState = { step: 0, exp_avg: this.stateBuffer(p), exp_avg_sq: this.stateBuffer(p) };
    if (group.amsgrad) st.max_exp_avg_sq = this.stateBuffer(p);
    return st;
  }

  protected update(
    p: Tensor,
    grad: Tensor,
    group: ParamGroup<AdamHyper>,
    state: ParamState,
    rows?: RowSelection,
  ): void {
    const be = backendOfParam(p);
    const step = (state.step as number) + 1;
    state.step = step;
    const m = state.exp_avg as Tensor,
      v = state.exp_avg_sq as Tensor;
    const [beta1, beta2] = group.betas;
    const { lr, eps, weightDecay } = group;
    if (!group.amsgrad) {
      be.adamUpdate(
        p.storage,
        grad.storage,
        m.storage,
        v.storage,
        { lr, beta1, beta2, eps, weightDecay, decoupled: this.decoupled, step },
        rows,
      );
    } else {
      be.adamUpdate(
        p.storage,
        grad.storage,
        m.storage,
        v.storage,
        { lr: 0, beta1, beta2, eps, weightDecay: this.decoupled ? 0 : weightDecay, decoupled: false, step },
        rows,
      );
      if (!state.max_exp_avg_sq) state.max_exp_avg_sq = this.stateBuffer(p);
      const vMax = maximum(state.max_exp_avg_sq as Tensor, v);
      this.replaceState(state, 'max_exp_avg_sq', vMax);
      const denom = add(div(sqrt(vMax), Math.sqrt(1 - beta2 ** step)), eps);
      const direction = div(m, mul(denom, 1 - beta1 ** step));
      be.sgdUpdate(
        p.storage,
        direction.storage,
        null,
        {
          lr,
          momentum: 0,
          dampening: 0,
          nesterov: false,
          weightDecay: this.decoupled ? weightDecay : 0,
          firstStep: true,
        },
        rows,
      );
    }
    m.version++;
    v.version++;
  }
}

/** AdamW: Adam with decoupled weight decay (default 0.01, as torch.optim.AdamW). */
export class AdamW extends Adam {
  constructor(params: ParamsArg<AdamHyper>, opts: Partial<AdamHyper> = {}) {
    super(params, opts, { name: 'AdamW', decoupled: true, weightDecay: 0.01 });
  }
}
