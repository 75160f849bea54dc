/**
 * Pieces several models share: towers (one per task, ending in one output unit), gates (logits over experts) and
 * the gated mixture of experts, fused (the backend's gatedMixture kernel) or built from primitive ops.
 */
import type { Tensor } from '../tensor/tensor.js';
import { stopGradient } from '../autograd/record.js';
import { mul } from '../ops/elementwise.js';
import { softmax, sum } from '../ops/reduce.js';
import { concat, reshape, split, squeeze, stack, transpose } from '../ops/shape.js';
import { gatedMixture } from '../ops/nn.js';
import { Module, type TensorModule } from '../nn/module.js';
import { asExpertMajor, materialize, type ExpertOutputs } from '../nn/expert-bank.js';
import { Linear } from '../nn/linear.js';
import { MLP } from '../nn/mlp.js';
import type { TensorPlacement } from '../nn/parameter.js';
import type { ConfigReader } from './config.js';

/** The keys every gated-experts model (MMoE, OMoE, CGC/PLE) reads, with one set of defaults. */
export interface ExpertModelKeys {
  expertDims: number[];
  towerDims: number[];
  gateHiddenDims: number[];
  gateBias: boolean;
  fusedGating: boolean;
  towerDropout: number;
}

export function readExpertModelKeys(r: ConfigReader): ExpertModelKeys {
  return {
    expertDims: r.intArray('expertDims', [16], { minLength: 1 }),
    towerDims: r.intArray('towerDims', [8]),
    gateHiddenDims: r.intArray('gateHiddenDims', []),
    gateBias: r.boolean('gateBias', false),
    fusedGating: r.boolean('fusedGating', true),
    towerDropout: r.number('towerDropout', 0, { min: 0, max: 0.99 }),
  };
}

/** A task tower: MLP in → hidden… → 1 (ReLU hidden layers, linear output), returning [B]. */
export class Tower extends Module implements TensorModule {
  readonly net: MLP;
  constructor(inFeatures: number, hidden: readonly number[], place: TensorPlacement, dropout = 0) {
    super();
    this.net = this.registerModule(
      'net',
      new MLP([inFeatures, ...hidden, 1], { ...place, activation: 'relu', dropout }),
    );
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
  constructor(
    inFeatures: number,
    numExperts: number,
    opts: { hidden: readonly number[]; bias: boolean } & TensorPlacement,
  ) {
    super();
    const place: TensorPlacement = { dtype: opts.dtype, backend: opts.backend };
    this.net =
      opts.hidden.length === 0
        ? this.registerModule('linear', new Linear(inFeatures, numExperts, { ...place, bias: opts.bias }))
        : this.registerModule(
            'mlp',
            new MLP([inFeatures, ...opts.hidden, numExperts], { ...place, activation: 'relu' }),
          );
  }
  forward(x: Tensor): Tensor {
    return this.net.forward(x);
  }
}

export interface Mixture {
  /** [B, D] = Σ_e softmax(logits)[:, e] · expert e. */
  out: Tensor;
  /** [B, E] gate weights (for lastGates). */
  weights: Tensor;
}

/**
 * Σ_i g_i(x) f_i(x) for one gate's logits [B, E] over the experts (either layout). `fused` runs the gatedMixture
 * kernel (one pass forward, one backward); otherwise softmax + broadcast multiply + sum over the expert axis, the
 * reference the fused kernel is tested against.
 */
export function mixExperts(experts: ExpertOutputs, logits: Tensor, fused: boolean): Mixture {
  return mixExpertsPerTask(experts, [logits], fused)[0]!;
}

/**
 * One mixture per gate, all over the same experts (MMoE: a gate per task). Fused, the T gates run as ONE
 * gatedMixture over logits [T, B, E]: the experts are read once and their gradient comes back already summed over
 * the tasks (no [E, B, D] add per extra task); the [T, B, D] result is split into the per-task [B, D] mixtures.
 */
export function mixExpertsPerTask(experts: ExpertOutputs, logits: readonly Tensor[], fused: boolean): Mixture[] {
  if (!fused) return logits.map((l) => composedMixture(experts, l));
  const opts = { layout: experts.layout, activation: experts.activation };
  if (logits.length === 1) return [gatedMixture(experts.tensor, logits[0]!, opts)];
  const r = gatedMixture(experts.tensor, stack(logits, 0), opts);
  const outs = split(r.out, logits.length, 0),
    weights = split(r.weights, logits.length, 0);
  return outs.map((o, t) => ({ out: squeeze(o, 0), weights: squeeze(weights[t]!, 0) }));
}

/** Several banks' experts as one set (PLE: a task's own experts then the shared ones), in their common layout. */
export function concatExperts(parts: readonly ExpertOutputs[]): ExpertOutputs {
  const layout = parts.every((p) => p.layout === 'BED') ? 'BED' : 'EBD';
  const activation = parts.every((p) => p.activation === parts[0]!.activation) ? parts[0]!.activation : 'none';
  const tensors = parts.map((p) => {
    const q = activation === 'none' ? materialize(p) : p;
    return (layout === 'EBD' ? asExpertMajor(q) : q).tensor;
  });
  return { tensor: concat(tensors, layout === 'EBD' ? 0 : 1), layout, activation };
}

function composedMixture(pending: ExpertOutputs, logits: Tensor): Mixture {
  const experts = materialize(pending);
  const weights = softmax(logits, -1);
  const [B, E] = logits.shape;
  const out =
    experts.layout === 'EBD'
      ? sum(mul(experts.tensor, reshape(transpose(weights, 0, 1), [E, B, 1])), 0)
      : sum(mul(experts.tensor, reshape(weights, [B, E, 1])), 1);
  return { out, weights: stopGradient(weights) };
}
