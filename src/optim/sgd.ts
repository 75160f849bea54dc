/**
 * torch.optim.SGD: d = g + wd·p; with momentum, buf = d on the first step and momentum·buf + (1 − dampening)·d
 * after; d = nesterov ? d + momentum·buf : buf; p −= lr·d. (With lazy embedding rows, a row's buffer starts at 0
 * rather than at its first gradient when the row first appears after the parameter's first step.)
 */
import type { Tensor } from '../tensor/tensor.js';
import type { RowSelection } from '../backends/kernels.js';
import { Optimizer, type BaseHyper, type ParamGroup, type ParamState, type ParamsArg } from './optimizer.js';
import { backendOfParam } from './kernel-call.js';
import { checkBoolean, checkNonNegative } from './check.js';

export interface SGDHyper extends BaseHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

export class SGD extends Optimizer<SGDHyper> {
  constructor(params: ParamsArg<SGDHyper>, opts: Partial<SGDHyper> = {}) {
    super('SGD', params, { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0, ...opts });
  }

  protected validate(h: SGDHyper, where: string): void {
    for (const k of ['lr', 'momentum', 'dampening', 'weightDecay'] as const) checkNonNegative('SGD', where, k, h[k]);
    checkBoolean('SGD', where, 'nesterov', h.nesterov);
    if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
      throw new Error(
        `SGD: ${where}: nesterov needs momentum > 0 and dampening = 0, got momentum ${h.momentum}, dampening ${h.dampening}`,
      );
    }
  }

  protected initState(p: Tensor, group: ParamGroup<SGDHyper>): ParamState {
    return group.momentum !== 0 ? { step: 0, momentum_buffer: this.stateBuffer(p) } : { step: 0 };
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<SGDHyper>, state: ParamState, rows?: RowSelection): void {
    // Momentum switched on for a group after its parameters already stepped: start the buffer now.
    if (group.momentum !== 0 && !state.momentum_buffer) {
      state.momentum_buffer = this.stateBuffer(p);
      state.step = 0;
    }
    const buf = group.momentum !== 0 ? (state.momentum_buffer as Tensor) : null;
    backendOfParam(p).sgdUpdate(
      p.storage,
      grad.storage,
      buf ? buf.storage : null,
      {
        lr: group.lr,
        momentum: group.momentum,
        dampening: group.dampening,
        nesterov: group.nesterov,
        weightDecay: group.weightDecay,
        firstStep: state.step === 0,
      },
      rows,
    );
    if (buf) buf.version++;
    state.step = (state.step as number) + 1;
  }
}
