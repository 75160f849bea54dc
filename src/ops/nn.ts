/** Functional pieces layers are made of: dropout and the fused gated mixture of experts. */
import { record } from '../autograd/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import type { MixtureLayout, MixtureParams } from '../backends/kernels.js';
import { assertFloat, backendOf, wrap } from './util.js';
import { rand } from './creation.js';
import { cast, lt, mul } from './elementwise.js';
import { opScope } from '../tensor/scope.js';

/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1−p); identity when not training. */
export const dropout = opScope(function dropout(x: Tensor, p: number, opts: { training?: boolean } = {}): Tensor {
  if (!(p >= 0 && p <= 1)) throw new Error(`dropout: p must be in [0, 1], got ${p}`);
  if (opts.training === false || p === 0) return x;
  assertFloat('dropout', x);
  const keep = cast(lt(rand(x.shape, { backend: x.backendName, dtype: x.dtype }), 1 - p), x.dtype);
  return p === 1 ? mul(x, 0) : mul(x, mul(keep, 1 / (1 - p)));
});

export interface GatedMixtureResult {
  /** [B, D] (gate logits [B, E]) or [T, B, D] (gate logits [T, B, E]): Σ_e softmax(gateLogits)[…, b, e] · expert e's row b. */
  out: Tensor;
  /** Gate weights (softmax of the logits, the logits' shape), detached: for analysis (expert utilisation), not for losses. */
  weights: Tensor;
}

export interface GatedMixtureOptions {
  /** 'EBD' (default): experts [E, B, D]; 'BED': experts [B, E, D] (a one-GEMM expert layer's [B, E·D] output, reshaped). */
  layout?: MixtureLayout;
  /**
   * 'relu': the experts are pre-activations and the mixture reads relu(experts), fused (relu(experts) is never
   * materialised, and its gradient mask costs no extra pass); the gradient is with respect to the pre-activations.
   */
  activation?: 'none' | 'relu';
}

/**
 * The MMoE/PLE mixture in one fused kernel: experts [E, B, D] (or [B, E, D] with layout 'BED') and gate logits
 * [B, E], or [T, B, E] for T gates (tasks) sharing the experts, mixed in one pass that reads the experts once.
 * Gradients flow to the experts (one gradient, already summed over the T gates) and the gate logits; the backward
 * is one fused kernel too.
 */
export function gatedMixture(experts: Tensor, gateLogits: Tensor, opts: GatedMixtureOptions = {}): GatedMixtureResult {
  const op = 'gatedMixture';
  const be = backendOf(op, experts, gateLogits);
  assertFloat(op, experts);
  const layout = opts.layout ?? 'EBD';
  const activation = opts.activation ?? 'none';
  if (activation !== 'none' && activation !== 'relu')
    throw new Error(`${op}: activation must be 'none' or 'relu', got '${String(activation)}'`);
  if (layout !== 'EBD' && layout !== 'BED')
    throw new Error(`${op}: layout must be 'EBD' or 'BED', got '${String(layout)}'`);
  const eAxis = layout === 'EBD' ? 0 : 1;
  const expectedShapes = `experts ${layout === 'EBD' ? '[E, B, D]' : '[B, E, D]'} and gate logits [B, E] or [T, B, E]`;
  const [B, E] = [experts.shape[1 - eAxis], experts.shape[eAxis]];
  const gb = gateLogits.shape[gateLogits.ndim - 2],
    ge = gateLogits.shape[gateLogits.ndim - 1];
  if (
    experts.ndim !== 3 ||
    (gateLogits.ndim !== 2 && gateLogits.ndim !== 3) ||
    gb !== B ||
    ge !== E ||
    (gateLogits.ndim === 3 && gateLogits.shape[0] === 0)
  ) {
    throw new Error(
      `${op}: expected ${expectedShapes} (layout '${layout}'), got ${fmt(experts.shape)} and ${fmt(gateLogits.shape)}`,
    );
  }
  if (experts.dtype !== gateLogits.dtype)
    throw new Error(`${op}: experts are ${experts.dtype} but gate logits are ${gateLogits.dtype}`);
  const D = experts.shape[2];
  const T = gateLogits.ndim === 3 ? gateLogits.shape[0] : 1;
  const p: MixtureParams = { e: E, b: B, d: D, t: T, layout, activation };
  const outShape = gateLogits.ndim === 3 ? [T, B, D] : [B, D];
  const r = be.gatedMixture(experts.storage, gateLogits.storage, p);
  const weights = wrap(r.weights, gateLogits.shape);
  const out = record(
    op,
    [experts, gateLogits],
    wrap(r.out, outShape),
    (g) => {
      const gr = be.gatedMixtureBackward(g.storage, experts.storage, weights.storage, p);
      return [wrap(gr.gExperts, experts.shape), wrap(gr.gLogits, gateLogits.shape)];
    },
    [weights],
  );
  return { out, weights };
}
