/**
 * The MovieLens evaluation protocol, kept apart from the script so that it can be tested
 * (test/experiments/protocol.test.ts).
 *
 * Ranking candidates ("1 held-out item vs N sampled unseen items", as in NCF, with every ua.test rating a query):
 * for each held-out (user, item) pair, the candidate list is the held-out item (relevance 1) followed by
 * `negatives` distinct items (relevance 0) drawn uniformly, without replacement, from the items the user never
 * rated anywhere (`rated`: all of u.data, so neither training nor other test items of the user are negatives).
 * Every list gets its own group id (the pair's index): NDCG@k / HR@k are then averaged over held-out pairs.
 */
import { SeededRandom } from '../../src/data/random.js';

export interface RankingCandidates {
  /** Query id per candidate (index of the held-out pair). */
  group: Int32Array;
  user: Int32Array;
  item: Int32Array;
  /** 1 for the held-out item, 0 for sampled ones. */
  relevance: Float32Array;
}

/** Items (1..nItems) each user rated, as one Set per user id. */
export function ratedItemsByUser(users: ArrayLike<number>, items: ArrayLike<number>): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (let r = 0; r < users.length; r++) {
    let set = out.get(users[r]);
    if (!set) out.set(users[r], (set = new Set()));
    set.add(items[r]);
  }
  return out;
}

export function rankingCandidates(
  heldOut: { users: ArrayLike<number>; items: ArrayLike<number> },
  rated: ReadonlyMap<number, ReadonlySet<number>>,
  options: { nItems: number; negatives: number; seed: number },
): RankingCandidates {
  const { nItems, negatives, seed } = options;
  if (!Number.isInteger(negatives) || negatives < 0)
    throw new RangeError(`rankingCandidates: negatives must be a non-negative integer, got ${negatives}`);
  const n = heldOut.users.length;
  if (heldOut.items.length !== n) throw new RangeError('rankingCandidates: users and items differ in length');
  const per = 1 + negatives;
  const out: RankingCandidates = {
    group: new Int32Array(n * per),
    user: new Int32Array(n * per),
    item: new Int32Array(n * per),
    relevance: new Float32Array(n * per),
  };
  const rng = new SeededRandom(seed);
  for (let q = 0; q < n; q++) {
    const user = heldOut.users[q];
    const seen = rated.get(user) ?? new Set<number>();
    if (!seen.has(heldOut.items[q]))
      throw new Error(
        `rankingCandidates: held-out item ${heldOut.items[q]} of user ${user} is not among the user's rated items`,
      );
    const unseen = nItems - seen.size;
    if (unseen < negatives)
      throw new Error(`rankingCandidates: user ${user} has only ${unseen} unseen items, ${negatives} needed`);
    const chosen = new Set<number>();
    let row = q * per;
    out.group[row] = q;
    out.user[row] = user;
    out.item[row] = heldOut.items[q];
    out.relevance[row] = 1;
    while (chosen.size < negatives) {
      const item = 1 + rng.nextInt(nItems);
      if (seen.has(item) || chosen.has(item)) continue;
      chosen.add(item);
      row++;
      out.group[row] = q;
      out.user[row] = user;
      out.item[row] = item;
    }
  }
  return out;
}

/** A seeded split of `n` row indices: `fraction` of them (rounded) for validation, the rest for training. */
export function holdOut(n: number, fraction: number, seed: number): { train: Int32Array; validation: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`holdOut: fraction must be in [0, 1), got ${fraction}`);
  const order = new SeededRandom(seed).permutation(n);
  const k = Math.round(n * fraction);
  const sorted = (a: Int32Array) => Int32Array.from(a).sort();
  return { validation: sorted(order.subarray(0, k)), train: sorted(order.subarray(k)) };
}
