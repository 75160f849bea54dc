/** MovieLens 100K as the RnR dataset: interact (ratings + sampled negatives) and rating (masked on negatives). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMovieLensDataset } from '../../src/data/movielens/movie-lens-dataset.js';
import { FittedSchema } from '../../src/data/fitted-schema.js';
import type { DatasetTables } from '../../src/data/dataset-tables.js';

const dir = resolve(import.meta.dirname, '../../../shared/data/movielens-100k');
const present = existsSync(dir);
if (!present)
  console.log(
    `SKIPPED MovieLens dataset tests: ${dir} is absent (the data may not be redistributed; put ml-100k there to run them)`,
  );

describe.skipIf(!present)('MovieLens 100K dataset for RnR', () => {
  let data: DatasetTables;
  beforeAll(async () => {
    data = await loadMovieLensDataset({ dir, negatives: 2, seed: 0 });
  }, 60_000);

  it('has ua.base + 2 negatives per rating for train, ua.test halves for validation and test', () => {
    expect(data.tasks).toEqual(['interact', 'rating']);
    expect(data.kinds).toEqual({ interact: 'binary', rating: 'regression' });
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([90_570 * 3, 4_715 * 3, 4_715 * 3]);
    const positives = data.train.labels.interact.reduce((s, v) => s + v, 0);
    expect(positives).toBe(90_570);
    // rating is defined exactly on the observed ratings, and lies in 1..5 there
    let mismatches = 0;
    for (let i = 0; i < data.train.size; i++) {
      const masked = data.train.masks.rating[i];
      const rating = data.train.labels.rating[i];
      if (masked !== data.train.labels.interact[i] || (masked === 1 && !(rating >= 1 && rating <= 5))) mismatches++;
    }
    expect(mismatches).toBe(0);
  });

  it('keeps the dataset ids: user and item columns are the embedding rows, and the schema encodes raw rows to them', () => {
    expect(data.schema.categoricalFeatures.slice(0, 2)).toEqual([
      { name: 'user', vocabularySize: 944 },
      { name: 'item', vocabularySize: 1683 },
    ]);
    const restored = FittedSchema.fromJSON(JSON.parse(JSON.stringify(data.schema)));
    const encoded = restored.encodeObjects([
      {
        user: 17,
        item: '50',
        gender: 'F',
        occupation: 'writer',
        age_bucket: 3,
        ...Object.fromEntries(data.schema.numericFeatures.map((f) => [f.name, 0])),
      },
    ]);
    expect(Array.from(encoded.cat.slice(0, 3))).toEqual([17, 50, 2]);
    for (let r = 0; r < 50; r++) {
      const user = data.train.cat[r * data.train.nCat];
      expect(user >= 1 && user <= 943).toBe(true);
    }
  });

  it('draws the same negatives for the same seed', async () => {
    const again = await loadMovieLensDataset({ dir, negatives: 2, seed: 0 });
    expect(again.test.cat).toEqual(data.test.cat);
  }, 60_000);
});
