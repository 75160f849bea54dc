/**
 * Per-user top-k ranking metrics, averaged over users: NDCG@k and HR@k (hit rate).
 *
 * Inputs are flat, one entry per (user, item) candidate: the user id, the model score and the relevance
 * (0 = not relevant; a rating or 1 for relevant). Candidates of one user may appear anywhere in the arrays.
 *
 * Conventions (documented because published numbers differ on them):
 * - Users without any relevant candidate are left out of the average (their ideal DCG is 0, NDCG is undefined).
 *   When no user qualifies the result is NaN.
 * - Tied scores get the expected value over all orderings of the tie, so neither the input order nor a lucky
 *   tie-break can inflate a metric (a constant scorer gets the random-ranking value, not the best case).
 * - NDCG gain is linear in relevance by default (as in scikit-learn's ndcg_score); `gain: 'exponential'` uses
 *   2^rel − 1 (Burges et al.). For 0/1 relevance both are the same. Discount is 1/log2(position + 1), 1-based.
 * - HR@k is 1 for a user when at least one relevant candidate is in the top k.
 */
import { assertNoNaN, checkSameLength, selectedIndices, type NumberArray } from './selection.js';

export interface RankingOptions {
  mask?: NumberArray;
  /** NDCG only: 'linear' (gain = relevance, default) or 'exponential' (gain = 2^relevance − 1). */
  gain?: 'linear' | 'exponential';
}

/** The candidates of one user, best score first, with tie groups as [start, end) ranges. */
interface UserRanking {
  relevance: Float64Array;
  tieGroupEnds: Int32Array; // tieGroupEnds[g] = end of group g; groups are contiguous from 0
}

function rankingsByUser(
  metric: string,
  userIds: NumberArray,
  scores: NumberArray,
  relevance: NumberArray,
  k: number,
  mask: NumberArray | undefined,
): UserRanking[] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`${metric}: k must be a positive integer, got ${k}`);
  const n = checkSameLength(metric, { userIds, scores, relevance, mask });
  const kept = selectedIndices(n, mask);
  assertNoNaN(metric, 'scores', scores, kept);
  assertNoNaN(metric, 'userIds', userIds, kept);
  for (let j = 0; j < kept.length; j++) {
    const r = relevance[kept[j]];
    if (!(r >= 0)) throw new RangeError(`${metric}: relevance[${kept[j]}] = ${r}, expected a value >= 0`);
  }
  const order = Array.from(kept);
  // Comparisons, not subtraction: Infinity − Infinity is NaN and would corrupt the sort.
  const compare = (x: number, y: number) => (x < y ? -1 : x > y ? 1 : 0);
  order.sort((a, b) => compare(userIds[a], userIds[b]) || compare(scores[b], scores[a]));

  const users: UserRanking[] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && userIds[order[end]] === userIds[order[start]]) end++;
    const size = end - start;
    const userRelevance = new Float64Array(size);
    const ends: number[] = [];
    for (let p = 0; p < size; p++) {
      userRelevance[p] = relevance[order[start + p]];
      const isLast = p === size - 1 || scores[order[start + p + 1]] !== scores[order[start + p]];
      if (isLast) ends.push(p + 1);
    }
    users.push({ relevance: userRelevance, tieGroupEnds: Int32Array.from(ends) });
    start = end;
  }
  return users;
}

function discount(position: number): number {
  return 1 / Math.log2(position + 2); // position is 0-based
}

export function ndcgAtK(
  userIds: NumberArray,
  scores: NumberArray,
  relevance: NumberArray,
  k: number,
  options: RankingOptions = {},
): number {
  const gainOf = options.gain === 'exponential' ? (r: number) => 2 ** r - 1 : (r: number) => r;
  const users = rankingsByUser('ndcgAtK', userIds, scores, relevance, k, options.mask);
  let total = 0;
  let counted = 0;
  for (const { relevance: rel, tieGroupEnds } of users) {
    const gains = Array.from(rel, gainOf);
    const ideal = [...gains].sort((a, b) => b - a);
    let idealDcg = 0;
    for (let p = 0; p < Math.min(k, ideal.length); p++) idealDcg += ideal[p] * discount(p);
    if (idealDcg === 0) continue;

    let dcg = 0;
    let groupStart = 0;
    for (const groupEnd of tieGroupEnds) {
      if (groupStart >= k) break;
      let groupGain = 0;
      for (let p = groupStart; p < groupEnd; p++) groupGain += gains[p];
      const meanGain = groupGain / (groupEnd - groupStart);
      for (let p = groupStart; p < Math.min(groupEnd, k); p++) dcg += meanGain * discount(p);
      groupStart = groupEnd;
    }
    total += dcg / idealDcg;
    counted++;
  }
  return counted === 0 ? Number.NaN : total / counted;
}

export function hitRateAtK(
  userIds: NumberArray,
  scores: NumberArray,
  relevance: NumberArray,
  k: number,
  options: RankingOptions = {},
): number {
  const users = rankingsByUser('hitRateAtK', userIds, scores, relevance, k, options.mask);
  let total = 0;
  let counted = 0;
  for (const { relevance: rel, tieGroupEnds } of users) {
    if (!rel.some((r) => r > 0)) continue;
    counted++;
    let groupStart = 0;
    for (const groupEnd of tieGroupEnds) {
      if (groupStart >= k) break;
      let relevantInGroup = 0;
      for (let p = groupStart; p < groupEnd; p++) if (rel[p] > 0) relevantInGroup++;
      if (relevantInGroup > 0) {
        const size = groupEnd - groupStart;
        const slots = Math.min(groupEnd, k) - groupStart;
        // Probability that a random order of the tie puts no relevant candidate into the free slots.
        let miss = 1;
        for (let j = 0; j < slots; j++) miss *= (size - relevantInGroup - j) / (size - j);
        total += 1 - Math.max(miss, 0);
        break;
      }
      groupStart = groupEnd;
    }
  }
  return counted === 0 ? Number.NaN : total / counted;
}
