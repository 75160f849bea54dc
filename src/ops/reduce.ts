/** Reductions over one or several axes (with keepdim), softmax and friends. */
import type { ReduceOp } from '../backends/kernels.js';
import { record, stopGradient } from '../autograd/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { fmt, normAxes, normAxis, shapesEqual, sizeOf } from '../tensor/shape.js';
import { assertFloat, backendOf, wrap } from './util.js';
import { broadcastTo, reshape } from './shape.js';
import { add, div, eq, exp, log, mul, sub, where } from './elementwise.js';
import { opScope } from '../tensor/scope.js';

export type Axes = number | readonly number[] | undefined;

/** Shape after reducing `axes`, with or without the reduced axes kept as 1. */
function reducedShape(shape: readonly number[], axes: number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/**
 * Lowers a reduction to the kernel's [outer, n, inner] view: directly when the reduced axes are adjacent,
 * else after moving them last. Returns the result with keepdim shape.
 */
function reduceKernel(op: ReduceOp, x: Tensor, axes: number[]): Tensor {
  const be = backendOf(op, x);
  const keepShape = reducedShape(x.shape, axes, true);
  if (axes.length === 0) return wrap(be.reduce(op, x.storage, x.size, 1, 1), keepShape);
  const contiguous = axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (contiguous) {
    const outer = sizeOf(x.shape.slice(0, axes[0]));
    const n = sizeOf(x.shape.slice(axes[0], axes[axes.length - 1] + 1));
    const inner = sizeOf(x.shape.slice(axes[axes.length - 1] + 1));
    checkNonEmpty(op, x, n);
    return wrap(be.reduce(op, x.storage, outer, n, inner), keepShape);
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const perm = [...kept, ...axes];
  const moved = be.permute(x.storage, x.shape, perm);
  const n = sizeOf(axes.map((a) => x.shape[a]));
  checkNonEmpty(op, x, n);
  const s = be.reduce(op, moved, sizeOf(kept.map((a) => x.shape[a])), n, 1);
  be.dispose(moved);
  return wrap(s, keepShape);
}

function checkNonEmpty(op: ReduceOp, x: Tensor, n: number): void {
  if (n === 0 && op !== 'sum' && op !== 'prod') {
    throw new Error(
      `${op}: cannot reduce over an empty axis (input shape ${fmt(x.shape)}); the result would have no identity`,
    );
  }
}

function finishShape(t: Tensor, shape: readonly number[], axes: number[], keepdim: boolean): Tensor {
  return keepdim ? t : reshape(t, reducedShape(shape, axes, false));
}

export const sum = opScope(function sum(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  const ax = normAxes('sum', axes, x.ndim);
  const y = record('sum', [x], reduceKernel('sum', x, ax), (g) => [broadcastTo(g, x.shape)]);
  return finishShape(y, x.shape, ax, keepdim);
});

export const mean = opScope(function mean(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  assertFloat('mean', x);
  const ax = normAxes('mean', axes, x.ndim);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  if (n === 0) throw new Error(`mean: cannot average over an empty axis (input shape ${fmt(x.shape)})`);
  return div(sum(x, ax, keepdim), n);
});

/** max/min: the gradient is shared equally among tied extremes (like torch.amax). */
const extreme = opScope(function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, keepdim: boolean): Tensor {
  const ax = normAxes(op, axes, x.ndim);
  const y = reduceKernel(op, x, ax);
  const r = record(op, [x], y, (g) => {
    const mask = eq(x, broadcastTo(y, x.shape));
    const count = sum(mask, ax, true);
    return [mul(broadcastTo(div(g, count), x.shape), mask)];
  });
  return finishShape(r, x.shape, ax, keepdim);
});
export function max(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extreme('max', x, axes, keepdim);
}
export function min(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  return extreme('min', x, axes, keepdim);
}

/** Index of the first extreme along one axis (int32). */
const argExtreme = opScope(function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis: number | undefined,
  keepdim: boolean,
): Tensor {
  if (axis === undefined) return argExtreme(op, reshape(x, [x.size]), 0, false);
  const a = normAxis(op, axis, x.ndim);
  return finishShape(reduceKernel(op, x, [a]), x.shape, [a], keepdim);
});
export function argmax(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, axis, keepdim);
}
export function argmin(x: Tensor, axis?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, axis, keepdim);
}

/** Variance with Bessel's correction by default (correction = 1, like torch.var). */
export const variance = opScope(function variance(
  x: Tensor,
  axes?: Axes,
  opts: { keepdim?: boolean; correction?: number } = {},
): Tensor {
  assertFloat('var', x);
  const ax = normAxes('var', axes, x.ndim);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  const dof = n - (opts.correction ?? 1);
  if (dof <= 0)
    throw new Error(
      `var: ${n} elements with correction ${opts.correction ?? 1} leave no degrees of freedom (shape ${fmt(x.shape)})`,
    );
  const centered = sub(x, mean(x, ax, true));
  return div(sum(mul(centered, centered), ax, opts.keepdim ?? false), dof);
});

/**
 * log Σ exp(x), stable: the max is subtracted first (and treated as a constant; the gradient is exact). A row whose
 * max is not finite gives that max (all −∞ or empty: −∞; any +∞: +∞) with a zero gradient, never NaN: those rows are
 * computed on zeros and replaced with `where`.
 */
export const logsumexp = opScope(function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  assertFloat('logsumexp', x);
  const ax = normAxes('logsumexp', axes, x.ndim);
  const keepShape = reducedShape(x.shape, ax, true);
  if (sizeOf(ax.map((a) => x.shape[a])) === 0) {
    // log of an empty sum: −∞ (and no gradient reaches x, which has no elements along the axes).
    const empty = wrap(backendOf('logsumexp', x).fill(sizeOf(keepShape), -Infinity, x.dtype), keepShape);
    return finishShape(empty, x.shape, ax, keepdim);
  }
  const m = stopGradient(extreme('max', x, ax, true));
  const finite = eq(sub(m, m), 0); // ±∞ - ±∞ and NaN - NaN are NaN
  const xs = where(broadcastTo(finite, x.shape), x, 0);
  const ms = where(finite, m, 0);
  const y = where(finite, add(log(sum(exp(sub(xs, ms)), ax, true)), ms), m);
  return finishShape(y, x.shape, ax, keepdim);
});

/** Runs the row-softmax kernel along `axis` (moving it last when it is not). */
function softmaxAlong(x: Tensor, axis: number, logForm: boolean): Tensor {
  const op = logForm ? 'logSoftmax' : 'softmax';
  assertFloat(op, x);
  const be = backendOf(op, x);
  const a = normAxis(op, axis, x.ndim);
  if (x.ndim === 0) throw new Error(`${op}: needs at least one axis, got a scalar`);
  const n = x.shape[a];
  if (a === x.ndim - 1) {
    return wrap(be.softmax(x.storage, x.size / Math.max(n, 1), n, logForm), x.shape);
  }
  const perm = x.shape
    .map((_, i) => i)
    .filter((i) => i !== a)
    .concat([a]);
  const inv = perm.map((_, i) => perm.indexOf(i));
  const movedShape = perm.map((i) => x.shape[i]);
  const moved = be.permute(x.storage, x.shape, perm);
  const y = be.softmax(moved, x.size / Math.max(n, 1), n, logForm);
  be.dispose(moved);
  const back = be.permute(y, movedShape, inv);
  be.dispose(y);
  return wrap(back, x.shape);
}

export function softmax(x: Tensor, axis = -1): Tensor {
  const y = softmaxAlong(x, axis, false);
  return record('softmax', [x], y, (g) => [mul(y, sub(g, sum(mul(g, y), axis, true)))]);
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const y = softmaxAlong(x, axis, true);
  return record('logSoftmax', [x], y, (g) => [sub(g, mul(exp(y), sum(g, axis, true)))]);
}

/** Sums g down to `shape` (the adjoint of broadcasting): leading axes and axes where shape has 1. */
export const sumToShape = opScope(function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = sum(g, axes, true);
  return reshape(s, shape);
});
