/**
 * Exact ROC-AUC through the Mann–Whitney U statistic: sort once (O(n log n)), give tied scores their average
 * rank, then AUC = (sum of positive ranks − nPos(nPos+1)/2) / (nPos·nNeg). Ties between a positive and a negative
 * therefore count one half, exactly like counting all pairs.
 *
 * With only one class present among the selected samples the AUC is undefined: the function returns NaN (it does
 * not throw), so a per-task report can show "NaN" for a split without positives instead of aborting an epoch.
 */
import { assertBinaryLabels, assertNoNaN, checkSameLength, selectedIndices, type NumberArray } from './selection.js';

export function rocAuc(labels: NumberArray, scores: NumberArray, mask?: NumberArray): number {
  const n = checkSameLength('rocAuc', { labels, scores, mask });
  const kept = selectedIndices(n, mask);
  assertBinaryLabels('rocAuc', labels, kept);
  assertNoNaN('rocAuc', 'scores', scores, kept);

  const m = kept.length;
  const sortedScores = new Float64Array(m);
  const sortedLabels = new Uint8Array(m);
  const order = Array.from(kept);
  // Comparisons, not subtraction: Infinity − Infinity is NaN and would corrupt the sort.
  order.sort((a, b) => (scores[a] < scores[b] ? -1 : scores[a] > scores[b] ? 1 : 0));
  for (let k = 0; k < m; k++) {
    sortedScores[k] = scores[order[k]];
    sortedLabels[k] = labels[order[k]];
  }

  let positives = 0;
  let positiveRankSum = 0;
  let start = 0;
  while (start < m) {
    let end = start + 1;
    while (end < m && sortedScores[end] === sortedScores[start]) end++;
    // Ranks start..end-1 (1-based start+1..end) share their mean.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (sortedLabels[k] === 1) {
        positives++;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = m - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
