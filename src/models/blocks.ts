/**
 * Pieces several models share: towers (one per task, ending in one output unit), gates (logits over experts) and
 * the gated mixture of experts, fused (the backend's gatedMixture kernel) or built from primitive ops.
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';
import { mul } from '../ops/elementwise.js';
import { softmax, sum } from '../ops/reduce.js';
import { reshape, transpose } from '../ops/shape.js';
import { gatedMixture } from '../ops/nn.js';
import { Module, type TensorModule } from '../nn/module.js';
import { Linear } from '../nn/linear.js';
import { MLP } from '../nn/mlp.js';
import type { TensorPlacement } from '../nn/parameter.js';

/** A task tower: MLP in → hidden… → 1 (ReLU hidden layers, linear output), returning [B]. */
export class Tower extends Module implements TensorModule {
  readonly net: MLP;
  constructor(inFeatures: number, hidden: readonly number[], place: TensorPlacement, dropout = 0) {
    super();
    this.net = this.registerModule('net', new MLP([inFeatures, ...hidden, 1], { ...place, activation: 'relu', dropout }));
  }
  forward(x: Tensor): Tensor {
    const y = this.net.forward(x);
    return reshape(y, [y.shape[0]]);
  }
}

/**
 * A gate: logits over `numExperts` from the gate's input. MMoE's g(x) = softmax(W x) is the linear form (no
 * hidden layers; bias optional, off by default as in the paper's formula); hidden sizes give an MLP gate.
 */
export class Gate extends Module implements TensorModule {
  private readonly net: TensorModule;
  constructor(inFeatures: number, numExperts: number, opts: { hidden: readonly number[]; bias: boolean } & TensorPlacement) {
    super();
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    this.net = opts.hidden.length === 0
      ? this.registerModule('linear', new Linear(inFeatures, numExperts, { ...place, bias: opts.bias }))
      : this.registerModule('mlp', new MLP([inFeatures, ...opts.hidden, numExperts], { ...place, activation: 'relu' }));
  }
  forward(x: Tensor): Tensor { return this.net.forward(x); }
}

export interface Mixture {
  /** [B, D] = Σ_e softmax(logits)[:, e] · experts[e]. */
  out: Tensor;
  /** [B, E] gate weights (for lastGates). */
  weights: Tensor;
}

/**
 * Σ_i g_i(x) f_i(x) for experts [E, B, D] and gate logits [B, E]. `fused` runs the gatedMixture kernel (one pass
 * forward, one backward); otherwise softmax + broadcast multiply + sum over the expert axis, the reference the
 * fused kernel is tested against.
 */
export function mixExperts(experts: Tensor, logits: Tensor, fused: boolean): Mixture {
  if (fused) return gatedMixture(experts, logits);
  const [E, B] = experts.shape;
  const weights = softmax(logits, -1);
  const out = sum(mul(experts, reshape(transpose(weights, 0, 1), [E, B, 1])), 0);
  return { out, weights: stopGradient(weights) };
}
