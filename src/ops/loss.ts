/**
 * Losses, numerically stable, with optional per-sample `weight` and `mask` (task-space masks: samples where a task's
 * label is undefined). Prediction and target shapes must match exactly: a [N,1] vs [N] mix-up is an error, not a
 * silent broadcast to [N,N].
 */
import { record } from '../autograd/record.js';
import { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, fmt, shapesEqual } from '../tensor/shape.js';
import { assertDtype, assertFloat, backendOf, wrap } from './util.js';
import { abs, cast, eq, log, maximum, mul, neg, sub, where, add, lt, div, square } from './elementwise.js';
import { logSoftmax, sum } from './reduce.js';
import { arange } from './creation.js';
import { reshape } from './shape.js';
import { knownValues } from './index-check.js';
import { stopGradient } from '../autograd/record.js';
import { opScope } from '../tensor/scope.js';

export type Reduction = 'mean' | 'sum' | 'none';

export interface LossOptions {
  /** Per-element weights, broadcastable to the per-element loss without changing its shape. */
  weight?: Tensor;
  /** 1 where the loss counts, 0 where the label is undefined; the mean divides by the number of counted elements
   * (and is 0, not NaN, when none counts). */
  mask?: Tensor;
  reduction?: Reduction;
}

function checkSameShape(op: string, pred: Tensor, target: Tensor): void {
  if (!shapesEqual(pred.shape, target.shape)) {
    throw new Error(`${op}: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape (reshape one explicitly)`);
  }
  if (pred.dtype !== target.dtype) throw new Error(`${op}: prediction is ${pred.dtype} but target is ${target.dtype}`);
}

function checkAux(op: string, what: string, t: Tensor | undefined, like: Tensor): void {
  if (!t) return;
  backendOf(op, t, like);
  if (!shapesEqual(broadcastShapes(`${op} ${what}`, t.shape, like.shape), like.shape)) {
    throw new Error(`${op}: ${what} ${fmt(t.shape)} must broadcast to the loss shape ${fmt(like.shape)} without enlarging it`);
  }
  if (t.dtype !== like.dtype) throw new Error(`${op}: ${what} must be ${like.dtype}, got ${t.dtype}`);
}

/** Where masked out, targets are replaced by 0 so that an undefined label (NaN, -1...) never reaches a gradient. */
function maskTargets(target: Tensor, mask?: Tensor): Tensor {
  return mask ? where(mask, target, 0) : target;
}

function reduceLoss(op: string, per: Tensor, opts: LossOptions): Tensor {
  checkAux(op, 'weight', opts.weight, per);
  checkAux(op, 'mask', opts.mask, per);
  let l = per;
  if (opts.weight) l = mul(l, opts.weight);
  if (opts.mask) l = where(opts.mask, l, 0);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return l;
  const total = sum(l);
  if (reduction === 'sum') return total;
  if (reduction !== 'mean') throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  if (!opts.mask) return div(total, Math.max(per.size, 1));
  const counted = stopGradient(sum(mul(ne0(opts.mask), ones(per))));
  return div(total, maximum(counted, 1));
}

function ne0(m: Tensor): Tensor { return cast(lt(0, abs(m)), m.dtype); }
function ones(like: Tensor): Tensor { return add(mul(like, 0), 1); }

/** Binary cross-entropy on logits: max(x,0) − x·y + log1p(e^−|x|), never overflowing. */
export const bceWithLogits = opScope(function bceWithLogits(logits: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'bceWithLogits';
  checkSameShape(op, logits, target);
  assertFloat(op, logits);
  const be = backendOf(op, logits, target);
  const y = maskTargets(target, opts.mask);
  const per = record(op, [logits, y], wrap(be.bceWithLogits(logits.storage, y.storage), logits.shape), (g) => [
    logits.requiresGrad ? mul(g, wrap(be.bceWithLogitsGrad(logits.storage, y.storage), logits.shape)) : null,
    y.requiresGrad ? mul(g, neg(logits)) : null,
  ]);
  return reduceLoss(op, per, opts);
});

/** Binary cross-entropy on probabilities; each log is clamped at −100 like PyTorch, so p = 0 or 1 stays finite. */
export const bce = opScope(function bce(prob: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'bce';
  checkSameShape(op, prob, target);
  assertFloat(op, prob);
  const y = maskTargets(target, opts.mask);
  const p = maskTargets(prob, opts.mask);
  const logP = maximum(log(p), -100);
  const log1mP = maximum(log(sub(1, p)), -100);
  const per = neg(add(mul(y, logP), mul(sub(1, y), log1mP)));
  return reduceLoss(op, per, opts);
});

export const mse = opScope(function mse(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('mse', pred, target);
  assertFloat('mse', pred);
  return reduceLoss('mse', square(sub(pred, maskTargets(target, opts.mask))), opts);
});

/** Huber: ½d² where |d| ≤ δ, else δ(|d| − ½δ). */
export const huber = opScope(function huber(pred: Tensor, target: Tensor, opts: LossOptions & { delta?: number } = {}): Tensor {
  const op = 'huber';
  checkSameShape(op, pred, target);
  assertFloat(op, pred);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`${op}: delta must be positive, got ${delta}`);
  const d = sub(pred, maskTargets(target, opts.mask));
  const ad = abs(d);
  const per = where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta));
  return reduceLoss(op, per, opts);
});

/** One-hot rows of width `classes` for int32 labels, in the given float dtype. */
export const oneHot = opScope(function oneHot(labels: Tensor, classes: number, dtype: Tensor['dtype'] = 'float32'): Tensor {
  assertDtype('oneHot', labels, 'int32', 'labels');
  const cls = arange(0, classes, 1, { dtype: 'int32', backend: labels.backendName });
  return cast(eq(reshape(labels, [...labels.shape, 1]), cls), dtype);
});

/** Softmax cross-entropy for logits [N, C] and int32 labels [N] in [0, C). */
export const crossEntropy = opScope(function crossEntropy(logits: Tensor, labels: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'crossEntropy';
  assertFloat(op, logits);
  assertDtype(op, labels, 'int32', 'labels');
  if (logits.ndim !== 2 || labels.ndim !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new Error(`${op}: expected logits [N, C] and labels [N], got ${fmt(logits.shape)} and ${fmt(labels.shape)}`);
  }
  const C = logits.shape[1];
  backendOf(op, logits, labels);
  const lab = labels.size > 0 ? knownValues(labels) : undefined;
  const maskData = opts.mask ? knownValues(opts.mask) : undefined;
  // With a mask the host cannot see (computed on the GPU), out-of-range labels may be masked-out ones: not checked.
  if (lab && (!opts.mask || maskData)) {
    for (let i = 0; i < lab.length; i++) {
      if ((lab[i] < 0 || lab[i] >= C) && (!maskData || maskData[i] !== 0)) {
        throw new Error(`${op}: label ${lab[i]} at row ${i} is outside [0, ${C})`);
      }
    }
  }
  const per = neg(sum(mul(logSoftmax(logits, -1), oneHot(labels, C, logits.dtype)), -1));
  return reduceLoss(op, per, opts);
});
