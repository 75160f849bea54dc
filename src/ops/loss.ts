/**
 * Losses, numerically stable, with optional per-sample `weight` and `mask` (task-space masks: samples where a task's
 * label is undefined). Prediction and target shapes must match exactly: a [N,1] vs [N] mix-up is an error, not a
 * silent broadcast to [N,N].
 */
import { record } from '../autograd/record.js';
import type { Tensor } from '../tensor/tensor.js';
import { broadcastShapes, fmt, shapesEqual } from '../tensor/shape.js';
import { assertDtype, assertFloat, backendOf, wrap } from './util.js';
import { abs, cast, eq, gt, le, log, maximum, mul, neg, sub, where, add, lt, div, square } from './elementwise.js';
import { logSoftmax, sum } from './reduce.js';
import { arange } from './creation.js';
import { broadcastTo, reshape } from './shape.js';
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
    throw new Error(
      `${op}: prediction ${fmt(pred.shape)} and target ${fmt(target.shape)} must have the same shape (reshape one explicitly)`,
    );
  }
  if (pred.dtype !== target.dtype) throw new Error(`${op}: prediction is ${pred.dtype} but target is ${target.dtype}`);
}

function checkAux(op: string, what: string, t: Tensor | undefined, like: Tensor): void {
  if (!t) return;
  backendOf(op, t, like);
  if (!shapesEqual(broadcastShapes(`${op} ${what}`, t.shape, like.shape), like.shape)) {
    throw new Error(
      `${op}: ${what} ${fmt(t.shape)} must broadcast to the loss shape ${fmt(like.shape)} without enlarging it`,
    );
  }
  if (t.dtype !== like.dtype) throw new Error(`${op}: ${what} must be ${like.dtype}, got ${t.dtype}`);
}

/**
 * Where masked out, a value (target, prediction, logit, weight) is replaced by `fill` with `where` — not multiplied by
 * 0 — so that an undefined label or a NaN/∞ prediction in a masked row never reaches the loss or any gradient.
 */
function maskOut(t: Tensor, mask: Tensor | undefined, fill = 0): Tensor {
  return mask ? where(mask, t, fill) : t;
}

/** Checks weight and mask against the per-element loss shape before anything uses them. */
function checkOpts(op: string, like: Tensor, opts: LossOptions): void {
  checkAux(op, 'weight', opts.weight, like);
  checkAux(op, 'mask', opts.mask, like);
}

/**
 * log(t) clamped at −100 like PyTorch, with a finite gradient at t = 0 (no 0·∞): comparisons and `where` only, so a
 * NaN stays NaN (max/min may drop NaN on some backends).
 */
function clampedLog(t: Tensor): Tensor {
  const nonPositive = le(t, 0);
  const l = log(where(nonPositive, 1, t));
  return where(nonPositive, -100, where(lt(l, -100), -100, l));
}

/** ±∞ logits become ±FLOAT32_MAX (NaN stays NaN): the stable BCE formula then gives 0 or a huge finite loss, not ∞−∞. */
const FLOAT32_MAX = 3.4028234663852886e38;
function finiteLogits(x: Tensor): Tensor {
  return where(gt(x, FLOAT32_MAX), FLOAT32_MAX, where(lt(x, -FLOAT32_MAX), -FLOAT32_MAX, x));
}

function reduceLoss(op: string, per: Tensor, opts: LossOptions): Tensor {
  checkOpts(op, per, opts);
  let l = per;
  if (opts.weight) l = mul(l, maskOut(opts.weight, opts.mask));
  if (opts.mask) l = where(opts.mask, l, 0);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return l;
  const total = sum(l);
  if (reduction === 'sum') return total;
  if (reduction !== 'mean')
    throw new Error(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  if (!opts.mask) return div(total, Math.max(per.size, 1));
  // Counts the mask's non-zeros over the loss's shape (the mask may broadcast); never reads the loss's values.
  const counted = stopGradient(sum(broadcastTo(ne0(opts.mask), per.shape)));
  return div(total, maximum(counted, 1));
}

function ne0(m: Tensor): Tensor {
  return cast(lt(0, abs(m)), m.dtype);
}

/** Binary cross-entropy on logits: max(x,0) − x·y + log1p(e^−|x|), never overflowing. */
export const bceWithLogits = opScope(function bceWithLogits(
  logits: Tensor,
  target: Tensor,
  opts: LossOptions = {},
): Tensor {
  const op = 'bceWithLogits';
  checkSameShape(op, logits, target);
  assertFloat(op, logits);
  const be = backendOf(op, logits, target);
  checkOpts(op, logits, opts);
  const y = maskOut(target, opts.mask);
  const x = finiteLogits(maskOut(logits, opts.mask));
  const per = record(op, [x, y], wrap(be.bceWithLogits(x.storage, y.storage), x.shape), (g) => [
    x.requiresGrad ? mul(g, wrap(be.bceWithLogitsGrad(x.storage, y.storage), x.shape)) : null,
    y.requiresGrad ? mul(g, neg(x)) : null,
  ]);
  return reduceLoss(op, per, opts);
});

/** Binary cross-entropy on probabilities; each log is clamped at −100 like PyTorch, so p = 0 or 1 stays finite. */
export const bce = opScope(function bce(prob: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  const op = 'bce';
  checkSameShape(op, prob, target);
  assertFloat(op, prob);
  checkOpts(op, prob, opts);
  const y = maskOut(target, opts.mask);
  const p = maskOut(prob, opts.mask);
  const logP = clampedLog(p);
  const log1mP = clampedLog(sub(1, p));
  const per = neg(add(mul(y, logP), mul(sub(1, y), log1mP)));
  return reduceLoss(op, per, opts);
});

export const mse = opScope(function mse(pred: Tensor, target: Tensor, opts: LossOptions = {}): Tensor {
  checkSameShape('mse', pred, target);
  assertFloat('mse', pred);
  checkOpts('mse', pred, opts);
  return reduceLoss('mse', square(sub(maskOut(pred, opts.mask), maskOut(target, opts.mask))), opts);
});

/** Huber: ½d² where |d| ≤ δ, else δ(|d| − ½δ). */
export const huber = opScope(function huber(
  pred: Tensor,
  target: Tensor,
  opts: LossOptions & { delta?: number } = {},
): Tensor {
  const op = 'huber';
  checkSameShape(op, pred, target);
  assertFloat(op, pred);
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`${op}: delta must be positive, got ${delta}`);
  checkOpts(op, pred, opts);
  const d = sub(maskOut(pred, opts.mask), maskOut(target, opts.mask));
  const ad = abs(d);
  const per = where(lt(ad, delta), mul(square(d), 0.5), mul(sub(ad, 0.5 * delta), delta));
  return reduceLoss(op, per, opts);
});

/** One-hot rows of width `classes` for int32 labels, in the given float dtype. */
export const oneHot = opScope(function oneHot(
  labels: Tensor,
  classes: number,
  dtype: Tensor['dtype'] = 'float32',
): Tensor {
  assertDtype('oneHot', labels, 'int32', 'labels');
  const cls = arange(0, classes, 1, { dtype: 'int32', backend: labels.backendName });
  return cast(eq(reshape(labels, [...labels.shape, 1]), cls), dtype);
});

/** Softmax cross-entropy for logits [N, C] and int32 labels [N] in [0, C). */
export const crossEntropy = opScope(function crossEntropy(
  logits: Tensor,
  labels: Tensor,
  opts: LossOptions = {},
): Tensor {
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
      if ((lab[i] < 0 || lab[i] >= C) && maskData?.[i] !== 0) {
        throw new Error(`${op}: label ${lab[i]} at row ${i} is outside [0, ${C})`);
      }
    }
  }
  const m = opts.mask;
  if (m && (m.ndim > 1 || (m.ndim === 1 && m.shape[0] !== labels.shape[0] && m.shape[0] !== 1))) {
    throw new Error(
      `${op}: mask ${fmt(m.shape)} must broadcast to the loss shape ${fmt(labels.shape)} without enlarging it`,
    );
  }
  // Masked rows: logits 0 and label 0, so that their NaN/∞ logits or undefined labels reach no gradient.
  const x = opts.mask ? maskOut(logits, reshape(opts.mask, [...opts.mask.shape, 1])) : logits;
  const safeLabels = opts.mask ? maskOut(labels, opts.mask) : labels;
  // where, not mul: a −∞ logit (a class masked out by the caller) has log-probability −∞, and −∞·0 would be NaN.
  const per = neg(sum(where(oneHot(safeLabels, C, logits.dtype), logSoftmax(x, -1), 0), -1));
  return reduceLoss(op, per, opts);
});
