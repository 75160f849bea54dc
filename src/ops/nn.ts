/** Functional pieces layers are made of: dropout and the fused gated mixture of experts. */
import { record } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { assertFloat, backendOf, wrap } from './util.js';
import { rand } from './creation.js';
import { cast, lt, mul } from './elementwise.js';

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1−p); identity when not training. */
export function dropout(x: Tensor, p: number, opts: { training?: boolean } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (opts.training === false || p === 0) return x;
  assertFloat('dropout', x);
  const keep = cast(lt(rand(x.shape, { backend: x.backendName, dtype: x.dtype }), 1 - p), x.dtype);
  return p === 1 ? mul(x, 0) : mul(x, mul(keep, 1 / (1 - p)));
}

export interface GatedMixtureResult {
  /** [B, D]: Σ_e softmax(gateLogits)[b,e] · experts[e,b,:]. */
  out: Tensor;
  /** [B, E] gate weights (softmax of the logits), detached: for analysis (expert utilisation), not for losses. */
  weights: Tensor;
}

/**
 * The MMoE/PLE mixture in one fused kernel: experts [E, B, D], gate logits [B, E]. Gradients flow to both the
 * experts and the gate logits (also computed by one fused kernel).
 */
export function gatedMixture(experts: Tensor, gateLogits: Tensor): GatedMixtureResult {
  const op = 'gatedMixture';
  const be = backendOf(op, experts, gateLogits);
  assertFloat(op, experts);
  if (experts.ndim !== 3 || gateLogits.ndim !== 2 || gateLogits.shape[0] !== experts.shape[1] || gateLogits.shape[1] !== experts.shape[0]) {
    throw new Error(`${op}: expected experts [E, B, D] and gate logits [B, E], got ${fmt(experts.shape)} and ${fmt(gateLogits.shape)}`);
  }
  if (experts.dtype !== gateLogits.dtype) throw new Error(`${op}: experts are ${experts.dtype} but gate logits are ${gateLogits.dtype}`);
  const [E, B, D] = experts.shape;
  const r = be.gatedMixture(experts.storage, gateLogits.storage, E, B, D);
  const weights = wrap(r.weights, [B, E]);
  const out = record(op, [experts, gateLogits], wrap(r.out, [B, D]), (g) => {
    weights.assertLive(`${op} backward (the gate weights it saved must outlive the backward pass)`);
    const gr = be.gatedMixtureBackward(g.storage, experts.storage, weights.storage, E, B, D);
    return [wrap(gr.gExperts, [E, B, D]), wrap(gr.gLogits, [B, E])];
  });
  return { out, weights };
}
