import { describe, expect, it } from 'vitest';
import { hitRateAtK, ndcgAtK } from '../../src/metrics/ranking.js';
import { SeededRandom } from '../../src/data/random.js';

function permutationsOf(items: number[]): number[][] {
  if (items.length <= 1) return [items];
  const out: number[][] = [];
  items.forEach((item, i) => {
    for (const rest of permutationsOf([...items.slice(0, i), ...items.slice(i + 1)])) out.push([item, ...rest]);
  });
  return out;
}

/** Reference: average NDCG@k / HR@k over every order of the candidates that is consistent with the scores. */
function bruteForce(users: number[], scores: number[], rel: number[], k: number): { ndcg: number; hr: number } {
  const byUser = new Map<number, number[]>();
  users.forEach((u, i) => byUser.set(u, [...(byUser.get(u) ?? []), i]));
  let ndcgSum = 0;
  let hrSum = 0;
  let counted = 0;
  for (const indices of byUser.values()) {
    const ideal = indices.map((i) => rel[i]).sort((a, b) => b - a);
    const idcg = ideal.slice(0, k).reduce((s, g, p) => s + g / Math.log2(p + 2), 0);
    if (idcg === 0) continue;
    counted++;
    const valid = permutationsOf(indices).filter((order) =>
      order.every((i, p) => p === 0 || scores[order[p - 1]] >= scores[i]),
    );
    let ndcg = 0;
    let hr = 0;
    for (const order of valid) {
      const top = order.slice(0, k);
      ndcg += top.reduce((s, i, p) => s + rel[i] / Math.log2(p + 2), 0) / idcg;
      hr += top.some((i) => rel[i] > 0) ? 1 : 0;
    }
    ndcgSum += ndcg / valid.length;
    hrSum += hr / valid.length;
  }
  return { ndcg: ndcgSum / counted, hr: hrSum / counted };
}

describe('ndcgAtK and hitRateAtK', () => {
  it('match hand-computed values', () => {
    // user 1: ranking by score is items [rel 0, rel 1, rel 0]; the only relevant one is at position 2
    const users = [1, 1, 1, 2, 2];
    const scores = [0.9, 0.5, 0.1, 0.3, 0.8];
    const rel = [0, 1, 0, 1, 0];
    // both users: relevant item at rank 2 → NDCG = 1/log2(3)
    expect(ndcgAtK(users, scores, rel, 3)).toBeCloseTo(1 / Math.log2(3), 12);
    expect(ndcgAtK(users, scores, rel, 1)).toBe(0);
    expect(hitRateAtK(users, scores, rel, 1)).toBe(0);
    expect(hitRateAtK(users, scores, rel, 2)).toBe(1);
  });

  it('uses graded relevance with linear or exponential gain', () => {
    const users = [7, 7, 7];
    const scores = [3, 2, 1];
    const rel = [1, 3, 0];
    const linear = (1 + 3 / Math.log2(3)) / (3 + 1 / Math.log2(3));
    const exponential = (1 + 7 / Math.log2(3)) / (7 + 1 / Math.log2(3));
    expect(ndcgAtK(users, scores, rel, 3)).toBeCloseTo(linear, 12);
    expect(ndcgAtK(users, scores, rel, 3, { gain: 'exponential' })).toBeCloseTo(exponential, 12);
  });

  it('leaves out users without relevant candidates and respects the mask', () => {
    expect(ndcgAtK([1, 1, 2], [1, 0, 1], [1, 0, 0], 1)).toBe(1);
    expect(hitRateAtK([1, 1, 2, 2], [1, 0, 1, 0], [0, 1, 1, 0], 1, { mask: [0, 1, 1, 1] })).toBe(1);
    expect(ndcgAtK([1], [1], [0], 5)).toBeNaN();
  });

  it('gives the expected value over tie orders (a constant scorer gets the random-ranking value)', () => {
    // 4 candidates, 1 relevant, all tied: HR@1 = 1/4, HR@2 = 1/2
    expect(hitRateAtK([1, 1, 1, 1], [0, 0, 0, 0], [1, 0, 0, 0], 1)).toBeCloseTo(0.25, 12);
    expect(hitRateAtK([1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1], 2)).toBeCloseTo(0.5, 12);
  });

  it('equals brute force over all tie orders on random small data', () => {
    const rng = new SeededRandom(3);
    for (let trial = 0; trial < 30; trial++) {
      const users: number[] = [];
      const scores: number[] = [];
      const rel: number[] = [];
      const nUsers = 1 + rng.nextInt(4);
      for (let u = 0; u < nUsers; u++) {
        const count = 1 + rng.nextInt(6);
        for (let c = 0; c < count; c++) {
          users.push(u * 10);
          scores.push(rng.nextInt(3));
          rel.push(rng.nextFloat() < 0.4 ? rng.nextInt(3) + 1 : 0);
        }
      }
      // shuffle rows so users are interleaved
      const order = rng.permutation(users.length);
      const U = Array.from(order, (i) => users[i]);
      const S = Array.from(order, (i) => scores[i]);
      const R = Array.from(order, (i) => rel[i]);
      const k = 1 + rng.nextInt(4);
      const expected = bruteForce(U, S, R, k);
      if (Number.isNaN(expected.ndcg)) {
        expect(ndcgAtK(U, S, R, k)).toBeNaN();
        continue;
      }
      expect(ndcgAtK(U, new Float32Array(S), new Float32Array(R), k)).toBeCloseTo(expected.ndcg, 10);
      expect(hitRateAtK(new Int32Array(U), S, R, k)).toBeCloseTo(expected.hr, 10);
    }
  });

  it('orders infinite scores correctly', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(hitRateAtK([1, 1, 1], [inf, -inf, inf], [0, 0, 1], 1)).toBeCloseTo(0.5, 12);
    expect(hitRateAtK([1, 1, 1], [inf, -inf, 0], [0, 0, 1], 1)).toBe(0);
  });

  it('rejects invalid k and negative relevance', () => {
    expect(() => ndcgAtK([1], [1], [1], 0)).toThrow(/k must be/);
    expect(() => hitRateAtK([1], [1], [-1], 3)).toThrow(/relevance\[0\]/);
  });
});
