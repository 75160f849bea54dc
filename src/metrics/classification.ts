/** Probability-based binary metrics: log loss and accuracy at a threshold, both honouring a task-space mask. */
import { assertBinaryLabels, assertNoNaN, checkSameLength, selectedIndices, type NumberArray } from './selection.js';

export interface LogLossOptions {
  mask?: NumberArray;
  /** Probabilities are clipped to [eps, 1 − eps] so a confident mistake costs a finite −log(eps). Default 1e-7. */
  eps?: number;
}

/**
 * Mean binary cross-entropy of probabilities against labels in [0, 1] (soft labels are allowed).
 * Returns NaN when the mask selects no sample.
 */
export function logLoss(labels: NumberArray, probabilities: NumberArray, options: LogLossOptions = {}): number {
  const { mask, eps = 1e-7 } = options;
  if (!(eps > 0 && eps < 0.5)) throw new RangeError(`logLoss: eps must be in (0, 0.5), got ${eps}`);
  const n = checkSameLength('logLoss', { labels, probabilities, mask });
  const kept = selectedIndices(n, mask);
  assertNoNaN('logLoss', 'probabilities', probabilities, kept);
  let total = 0;
  for (let k = 0; k < kept.length; k++) {
    const i = kept[k];
    const y = labels[i];
    if (!(y >= 0 && y <= 1)) throw new RangeError(`logLoss: labels[${i}] = ${y}, expected a value in [0, 1]`);
    const p = Math.min(Math.max(probabilities[i], eps), 1 - eps);
    total -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
  }
  return kept.length === 0 ? Number.NaN : total / kept.length;
}

export interface AccuracyOptions {
  mask?: NumberArray;
  /** A score at or above the threshold predicts 1. Default 0.5 (for probabilities; use 0 for logits). */
  threshold?: number;
}

/** Fraction of selected samples whose thresholded score equals the 0/1 label. NaN when nothing is selected. */
export function accuracy(labels: NumberArray, scores: NumberArray, options: AccuracyOptions = {}): number {
  const { mask, threshold = 0.5 } = options;
  const n = checkSameLength('accuracy', { labels, scores, mask });
  const kept = selectedIndices(n, mask);
  assertBinaryLabels('accuracy', labels, kept);
  assertNoNaN('accuracy', 'scores', scores, kept);
  let correct = 0;
  for (let k = 0; k < kept.length; k++) {
    const i = kept[k];
    const predicted = scores[i] >= threshold ? 1 : 0;
    if (predicted === labels[i]) correct++;
  }
  return kept.length === 0 ? Number.NaN : correct / kept.length;
}
