/** Regression errors (e.g. the rating task of Rank-and-Rate), honouring a task-space mask. NaN when nothing is selected. */
import { assertNoNaN, checkSameLength, selectedIndices, type NumberArray } from './selection.js';

function meanOfErrors(
  metric: string,
  targets: NumberArray,
  predictions: NumberArray,
  mask: NumberArray | undefined,
  errorOf: (difference: number) => number,
): number {
  const n = checkSameLength(metric, { targets, predictions, mask });
  const kept = selectedIndices(n, mask);
  assertNoNaN(metric, 'targets', targets, kept);
  assertNoNaN(metric, 'predictions', predictions, kept);
  let total = 0;
  for (let k = 0; k < kept.length; k++) total += errorOf(predictions[kept[k]] - targets[kept[k]]);
  return kept.length === 0 ? Number.NaN : total / kept.length;
}

export function rmse(targets: NumberArray, predictions: NumberArray, mask?: NumberArray): number {
  return Math.sqrt(meanOfErrors('rmse', targets, predictions, mask, (d) => d * d));
}

export function mae(targets: NumberArray, predictions: NumberArray, mask?: NumberArray): number {
  return meanOfErrors('mae', targets, predictions, mask, Math.abs);
}
