/** The MovieLens evaluation protocol of scripts/experiments (candidate sampling for NDCG/HR, the validation hold-out). */
import { describe, expect, it } from 'vitest';
import { holdOut, rankingCandidates, ratedItemsByUser } from '../../scripts/experiments/protocol.js';

describe('rankingCandidates', () => {
  // Users 1..3 over items 1..30; user 3 rated everything but 2 items.
  const users: number[] = [],
    items: number[] = [];
  for (const i of [1, 2, 3, 4, 5]) {
    users.push(1);
    items.push(i);
  }
  for (const i of [10, 11, 12]) {
    users.push(2);
    items.push(i);
  }
  for (let i = 1; i <= 28; i++) {
    users.push(3);
    items.push(i);
  }
  const rated = ratedItemsByUser(users, items);

  it('puts the held-out item first, then distinct never-rated items, one group per query', () => {
    const c = rankingCandidates({ users: [1, 2, 1], items: [4, 12, 5] }, rated, { nItems: 30, negatives: 20, seed: 3 });
    expect(c.item.length).toBe(3 * 21);
    for (let q = 0; q < 3; q++) {
      const rows = Array.from({ length: 21 }, (_, k) => q * 21 + k);
      expect(rows.every((r) => c.group[r] === q)).toBe(true);
      expect(c.relevance[rows[0]]).toBe(1);
      expect(rows.slice(1).every((r) => c.relevance[r] === 0)).toBe(true);
      const user = c.user[rows[0]];
      const sampled = rows.slice(1).map((r) => c.item[r]);
      expect(new Set(sampled).size).toBe(20);
      for (const item of sampled) {
        expect(item).toBeGreaterThanOrEqual(1);
        expect(item).toBeLessThanOrEqual(30);
        expect(rated.get(user)!.has(item)).toBe(false);
      }
    }
    expect([c.item[0], c.item[21], c.item[42]]).toEqual([4, 12, 5]);
  });

  it('is deterministic in the seed and changes with it', () => {
    const a = rankingCandidates({ users: [1, 2], items: [1, 10] }, rated, { nItems: 30, negatives: 10, seed: 7 });
    const b = rankingCandidates({ users: [1, 2], items: [1, 10] }, rated, { nItems: 30, negatives: 10, seed: 7 });
    const c = rankingCandidates({ users: [1, 2], items: [1, 10] }, rated, { nItems: 30, negatives: 10, seed: 8 });
    expect(Array.from(a.item)).toEqual(Array.from(b.item));
    expect(Array.from(a.item)).not.toEqual(Array.from(c.item));
  });

  it('can take every unseen item, and refuses when there are too few or the held-out item was never rated', () => {
    const all = rankingCandidates({ users: [3], items: [1] }, rated, { nItems: 30, negatives: 2, seed: 0 });
    expect(Array.from(all.item.slice(1)).sort((x, y) => x - y)).toEqual([29, 30]);
    expect(() => rankingCandidates({ users: [3], items: [1] }, rated, { nItems: 30, negatives: 3, seed: 0 })).toThrow(
      /only 2 unseen/,
    );
    expect(() => rankingCandidates({ users: [1], items: [9] }, rated, { nItems: 30, negatives: 3, seed: 0 })).toThrow(
      /not among the user's rated items/,
    );
  });
});

describe('holdOut', () => {
  it('splits every index exactly once, sorted, with the asked fraction, reproducibly', () => {
    const { train, validation } = holdOut(1000, 0.05, 0);
    expect(validation.length).toBe(50);
    expect(train.length).toBe(950);
    expect(Array.from([...train, ...validation]).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 1000 }, (_, i) => i),
    );
    expect(Array.from(train)).toEqual(Array.from(train).sort((a, b) => a - b));
    expect(Array.from(holdOut(1000, 0.05, 0).validation)).toEqual(Array.from(validation));
    expect(Array.from(holdOut(1000, 0.05, 1).validation)).not.toEqual(Array.from(validation));
  });
});
