/**
 * Task-space masks: a task's loss counts only the samples where its label is defined (PLE eq. 9; ESMM's CVR
 * evaluated on clicked samples only). The losses of src/ops/loss.ts take `mask` directly (mean over the masked
 * count, 0 — not NaN — when nothing is counted, and undefined labels never reach a gradient); these helpers build
 * masks and average arbitrary per-sample values the same way.
 */
import type { Tensor } from '../tensor/tensor.js';
import { fmt, shapesEqual } from '../tensor/shape.js';
import { stopGradient } from '../autograd/record.js';
import { cast, div, eq, maximum, mul, ne, where } from '../ops/elementwise.js';
import { sum } from '../ops/reduce.js';

/** 1 where the label is defined: not NaN and, when given, not equal to the `missing` sentinel (e.g. −1). */
export function labelMask(labels: Tensor, opts: { missing?: number } = {}): Tensor {
  if (labels.dtype === 'int32') {
    return opts.missing === undefined ? cast(eq(labels, labels), 'float32') : cast(ne(labels, opts.missing), 'float32');
  }
  const defined = eq(labels, labels); // NaN ≠ NaN
  return opts.missing === undefined ? defined : mul(defined, ne(labels, opts.missing));
}

/** Σ mask·x / max(Σ mask, 1) over all elements; masked-out values (even NaN) never reach the result. */
export function maskedMean(values: Tensor, mask: Tensor): Tensor {
  if (!shapesEqual(values.shape, mask.shape))
    throw new Error(`maskedMean: values ${fmt(values.shape)} and mask ${fmt(mask.shape)} must have the same shape`);
  const m = mask.dtype === values.dtype ? mask : cast(mask, values.dtype);
  const kept = where(m, values, 0);
  const count = stopGradient(sum(where(m, 1, 0).cast(values.dtype)));
  return div(sum(kept), maximum(count, 1));
}
