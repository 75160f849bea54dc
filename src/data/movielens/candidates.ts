/**
 * Turns MovieLens ratings into a multi-task table over (user, item) candidates, for Rank-and-Rate and the
 * interact → like cascade: every rating is a positive candidate, and `negativesPerPositive` items the user never
 * rated (anywhere in u.data, so held-out ratings are never sampled as negatives) are drawn per positive, seeded.
 *
 * Features: categorical [user id, item id, gender, occupation, age bucket] and numeric = the 19 genre flags.
 * Tasks: `interact` (1 for a rating, 0 for a sampled negative), `like` (rating >= likeThreshold, 0 for negatives:
 * the entire-space label of the cascade) and `rating` (the stars, masked to the rated candidates).
 */
import { SeededRandom } from '../random.js';
import { EncodedTable } from '../table.js';
import { MOVIELENS_GENRES, type MovieLens100k, type Ratings } from './load-movie-lens.js';

export interface CandidateOptions {
  negativesPerPositive?: number;
  seed?: number;
  likeThreshold?: number;
}

/** Age buckets (the ML-1M convention): <18, 18–24, 25–34, 35–44, 45–49, 50–55, 56+ → ids 1..7. */
export function ageBucket(age: number): number {
  const bounds = [18, 25, 35, 45, 50, 56];
  let bucket = 1;
  for (const bound of bounds) if (age >= bound) bucket++;
  return bucket;
}

export interface CandidateTable {
  table: EncodedTable;
  /** Embedding rows per categorical feature, in order [user, item, gender, occupation, age bucket]. */
  categoricalSizes: number[];
  categoricalNames: string[];
}

export function movieLensCandidates(
  data: MovieLens100k,
  ratings: Ratings,
  options: CandidateOptions = {},
): CandidateTable {
  const { negativesPerPositive = 4, seed = 0, likeThreshold = 4 } = options;
  if (!Number.isInteger(negativesPerPositive) || negativesPerPositive < 0)
    throw new RangeError('movieLensCandidates: negativesPerPositive must be a non-negative integer');
  const rng = new SeededRandom(seed);
  const rated = new Set<number>();
  const key = (user: number, item: number) => user * (data.nItems + 1) + item;
  const ratedPerUser = new Int32Array(data.nUsers + 1);
  for (let r = 0; r < data.all.size; r++) {
    if (!rated.has(key(data.all.userIds[r], data.all.itemIds[r]))) ratedPerUser[data.all.userIds[r]]++;
    rated.add(key(data.all.userIds[r], data.all.itemIds[r]));
  }

  const occupations = [...new Set(data.users.occupation.slice(1))].sort();
  const occupationId = new Map(occupations.map((o, i) => [o, i + 1]));
  const genderId = (g: string) => (g === 'M' ? 1 : g === 'F' ? 2 : 0);
  const nGenres = MOVIELENS_GENRES.length;
  const size = ratings.size * (1 + negativesPerPositive);
  const nCat = 5;
  const cat = new Int32Array(size * nCat);
  const num = new Float32Array(size * nGenres);
  const interact = new Float32Array(size);
  const like = new Float32Array(size);
  const rating = new Float32Array(size);
  const ratingMask = new Float32Array(size);

  let row = 0;
  const addCandidate = (user: number, item: number, stars: number): void => {
    const c = row * nCat;
    cat[c] = user;
    cat[c + 1] = item;
    cat[c + 2] = genderId(data.users.gender[user]);
    cat[c + 3] = occupationId.get(data.users.occupation[user]) ?? 0;
    cat[c + 4] = ageBucket(data.users.age[user]);
    for (let g = 0; g < nGenres; g++) num[row * nGenres + g] = data.items.genres[item * nGenres + g];
    if (stars > 0) {
      interact[row] = 1;
      like[row] = stars >= likeThreshold ? 1 : 0;
      rating[row] = stars;
      ratingMask[row] = 1;
    }
    row++;
  };
  for (let r = 0; r < ratings.size; r++) {
    const user = ratings.userIds[r];
    if (negativesPerPositive > 0 && ratedPerUser[user] >= data.nItems) {
      throw new Error(`movieLensCandidates: user ${user} rated every item, so no negative can be sampled`);
    }
    addCandidate(user, ratings.itemIds[r], ratings.ratings[r]);
    for (let k = 0; k < negativesPerPositive; k++) {
      let item: number;
      do item = 1 + rng.nextInt(data.nItems);
      while (rated.has(key(user, item)));
      addCandidate(user, item, 0);
    }
  }
  const ones = new Float32Array(size).fill(1);
  const table = new EncodedTable({
    size,
    nCat,
    nNum: nGenres,
    cat,
    num,
    labels: { interact, like, rating },
    masks: { interact: ones, like: ones.slice(), rating: ratingMask },
  });
  return {
    table,
    categoricalNames: ['user', 'item', 'gender', 'occupation', 'age_bucket'],
    categoricalSizes: [data.nUsers + 1, data.nItems + 1, 3, occupations.length + 1, 8],
  };
}
