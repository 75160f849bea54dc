/**
 * MovieLens 100K as a two-task dataset for Rank-and-Rate (and any model taking categorical features):
 *
 *  - `interact` (binary ranking task): 1 for an observed rating, 0 for a sampled negative (`negatives` items per
 *    rating that the user never rated anywhere in u.data, seeded);
 *  - `rating` (regression): the stars 1–5, masked to 0 on the sampled negatives.
 *
 * Splits: train = GroupLens's ua.base; ua.test (10 ratings per user) split 1:1 by row parity into validation (even
 * 0-based rows) and test (odd rows). Each split draws its own negatives from seed, seed + 1, seed + 2.
 * Features: categorical user, item, gender, occupation, age_bucket (user and item ids as the dataset numbers them,
 * so an RnR model reads `user`/`item` as its embedding rows) and the 19 genre flags as numeric columns. The schema's
 * vocabularies reproduce those ids exactly (token "17" → id 17), so a checkpoint encodes raw rows the same way.
 */
import { FittedSchema } from '../fitted-schema.js';
import type { ColumnSpec, TableSpec } from '../schema.js';
import { EncodedTable } from '../table.js';
import { Vocabulary } from '../vocabulary.js';
import { datasetTables, type DatasetTables } from '../dataset-tables.js';
import { movieLensCandidates } from './candidates.js';
import { loadMovieLens100k, MOVIELENS_GENRES, type MovieLens100k, type Ratings } from './load-movie-lens.js';

export interface MovieLensDatasetOptions {
  dir: string;
  /** Sampled negatives per rating. Default 4. */
  negatives?: number;
  /** Seed of the negative sampling. Default 0. */
  seed?: number;
}

function rows(ratings: Ratings, keep: (r: number) => boolean): Ratings {
  const index: number[] = [];
  for (let r = 0; r < ratings.size; r++) if (keep(r)) index.push(r);
  return {
    size: index.length,
    userIds: Int32Array.from(index, (r) => ratings.userIds[r]),
    itemIds: Int32Array.from(index, (r) => ratings.itemIds[r]),
    ratings: Float32Array.from(index, (r) => ratings.ratings[r]),
    timestamps: Float64Array.from(index, (r) => ratings.timestamps[r]),
  };
}

function range(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i + 1));
}

/** Feature name of a genre flag, letters, digits and _ only: "Children's" → genre_children_s. */
export function genreFeature(genre: string): string {
  return `genre_${genre.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
}

/** The schema of the candidate table: a description of its columns plus vocabularies that keep the dataset's ids. */
export function movieLensSchema(data: MovieLens100k): FittedSchema {
  const occupations = [...new Set(data.users.occupation.slice(1))].sort();
  const columns: ColumnSpec[] = [
    ...['user', 'item', 'gender', 'occupation', 'age_bucket'].map(
      (column): ColumnSpec => ({ column, role: 'categorical' }),
    ),
    ...MOVIELENS_GENRES.map(
      (genre): ColumnSpec => ({ column: genreFeature(genre), role: 'numeric', standardize: false }),
    ),
    { column: 'interact', role: 'label', task: 'interact', kind: 'binary', positive: ['1'], negative: ['0'] },
    { column: 'rating', role: 'label', task: 'rating', kind: 'regression', missing: [''] },
  ];
  const spec: TableSpec = { columns };
  const vocabularies = [range(data.nUsers), range(data.nItems), ['M', 'F'], occupations, range(7)].map((tokens) =>
    Vocabulary.fromJSON({ tokens, minFrequency: 1 }),
  );
  return new FittedSchema(
    spec,
    vocabularies,
    MOVIELENS_GENRES.map(() => ({ count: 0, mean: 0, std: 1 })),
  );
}

export async function loadMovieLensDataset(options: MovieLensDatasetOptions): Promise<DatasetTables> {
  const { dir, negatives = 4, seed = 0 } = options;
  const data = await loadMovieLens100k(dir);
  const table = (ratings: Ratings, offset: number) => {
    const { table: full } = movieLensCandidates(data, ratings, {
      negativesPerPositive: negatives,
      seed: seed + offset,
    });
    // The candidate builder also derives `like`; this dataset's tasks are interact and rating.
    return new EncodedTable({
      size: full.size,
      nCat: full.nCat,
      nNum: full.nNum,
      cat: full.cat,
      num: full.num,
      labels: { interact: full.labels.interact, rating: full.labels.rating },
      masks: { interact: full.masks.interact, rating: full.masks.rating },
    });
  };
  const schema = movieLensSchema(data);
  return datasetTables(
    schema,
    table(data.base, 0),
    table(
      rows(data.test, (r) => r % 2 === 0),
      1,
    ),
    table(
      rows(data.test, (r) => r % 2 === 1),
      2,
    ),
  );
}
