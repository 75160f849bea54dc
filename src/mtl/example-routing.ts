/**
 * Per-example gradient routing (Cloud et al., 2024, "Gradient Routing: Masking Gradients to Localize Computation
 * in Neural Networks"): a data-dependent mask — one value per example, e.g. from a feature or a label — decides
 * which examples' gradients may flow into a target; the forward values never change.
 *
 *   routeGradient(h, isNewUser)                           every unit of h learns from new users only
 *   routeGradient(h, mask, { axis: 1, indices: [0, 1] }) units 0 and 1 of h [B, D] learn only from the masked
 *                                                         examples; the other units from every example
 *   routeExperts(bank.forward(x), mask, [3])              expert 3 (of [E, B, D] outputs) learns only from them
 *   routeParameters(mask, (p) => linear(x, p(W), p(b)))   W and b learn only from the masked examples, while x
 *                                                         still receives gradient from every example
 *
 * Mechanism: where(mask, x, stopGradient(x)) — the routed-away entries are the same value with the gradient cut,
 * so they contribute exactly zero (not a small number) upstream. routeParameters evaluates its closure twice, once
 * with the parameters as they are and once with them detached, and picks per example.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt } from '../tensor/shape.js';
import { stopGradient } from '../autograd/record.js';
import { cast, maximum, ne, where } from '../ops/elementwise.js';
import { tensor } from '../ops/creation.js';

export interface RouteOptions {
  /** The axis of x that indexes examples (default 0; 1 for an ExpertBank's [E, B, D] outputs). */
  batchAxis?: number;
  /** Restrict routing to some slices of x along this axis (units of an activation, experts…); with `indices`. */
  axis?: number;
  /** The slices along `axis` that learn only from the masked examples; the others learn from every example. */
  indices?: readonly number[];
}

function normAxis(op: string, what: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new Error(`${op}: ${what} ${axis} is out of range for a rank-${rank} tensor`);
  return a;
}

/** The condition (broadcastable to x, dtype of x): 1 where gradient may flow. */
function routeCondition(op: string, x: Tensor, mask: Tensor, opts: RouteOptions): Tensor {
  const rank = x.shape.length;
  if (rank === 0) throw new Error(`${op}: x must have an example axis, got a scalar`);
  const batchAxis = normAxis(op, 'batchAxis', opts.batchAxis ?? 0, rank);
  const B = x.shape[batchAxis];
  if (mask.size !== B || mask.shape.filter((d) => d !== 1).length > 1) {
    throw new Error(
      `${op}: mask ${fmt(mask.shape)} must hold one value per example (${B}, axis ${batchAxis} of x ${fmt(x.shape)})`,
    );
  }
  const shape = x.shape.map((d, i) => (i === batchAxis ? d : 1));
  const m = cast(ne(mask.reshape(shape), 0), x.dtype);
  if (opts.indices === undefined && opts.axis === undefined) return m;
  if (opts.indices === undefined || opts.axis === undefined)
    throw new Error(`${op}: give both axis and indices (the slices to route), or neither`);
  const axis = normAxis(op, 'axis', opts.axis, rank);
  if (axis === batchAxis) throw new Error(`${op}: axis ${opts.axis} is the example axis; route slices of another axis`);
  const n = x.shape[axis];
  const free = new Array<number>(n).fill(1);
  for (const i of opts.indices) {
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new Error(`${op}: index ${i} is out of range for axis ${axis} of size ${n}`);
    free[i] = 0;
  }
  const freeShape = x.shape.map((d, i) => (i === axis ? d : 1));
  return maximum(m, tensor(free, { backend: x.backendName, dtype: x.dtype, shape: freeShape }));
}

/** x unchanged forward; its gradient kept only for the masked examples (optionally only on some slices). */
export function routeGradient(x: Tensor, mask: Tensor, opts: RouteOptions = {}): Tensor {
  return where(routeCondition('routeGradient', x, mask, opts), x, stopGradient(x));
}

/** Experts' outputs [E, B, D] (ExpertBank.forward): the listed experts learn only from the masked examples. */
export function routeExperts(expertOutputs: Tensor, mask: Tensor, experts: readonly number[]): Tensor {
  if (expertOutputs.shape.length !== 3)
    throw new Error(`routeExperts: expected expert outputs [E, B, D], got ${fmt(expertOutputs.shape)}`);
  return where(
    routeCondition('routeExperts', expertOutputs, mask, { batchAxis: 1, axis: 0, indices: experts }),
    expertOutputs,
    stopGradient(expertOutputs),
  );
}

/**
 * compute(p) with p applied to every parameter of the group: the group's parameters learn only from the masked
 * examples; everything else (the inputs, other parameters) learns from all of them. compute must return a tensor
 * whose `batchAxis` indexes the examples.
 */
export function routeParameters(
  mask: Tensor,
  compute: (p: (param: Tensor) => Tensor) => Tensor,
  opts: { batchAxis?: number } = {},
): Tensor {
  const routed = compute((param) => param);
  const detached = compute((param) => stopGradient(param));
  return where(routeCondition('routeParameters', routed, mask, { batchAxis: opts.batchAxis }), routed, detached);
}
