import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { movieLensCandidates } from '../../src/data/movielens/candidates.js';
import { loadMovieLens100k, type MovieLens100k } from '../../src/data/movielens/load-movie-lens.js';

const dir = resolve(import.meta.dirname, '../../../shared/data/movielens-100k');
const present = existsSync(dir);
if (!present)
  console.log(
    `SKIPPED MovieLens tests: ${dir} is absent (the data may not be redistributed; put ml-100k there to run them)`,
  );

describe.skipIf(!present)('MovieLens 100K from a user-given folder', () => {
  let data: MovieLens100k;
  beforeAll(async () => {
    data = await loadMovieLens100k(dir);
  }, 30_000);

  it('reads the documented counts', () => {
    expect([data.nUsers, data.nItems, data.all.size, data.base.size, data.test.size]).toEqual([
      943, 1682, 100_000, 90_570, 9_430,
    ]);
    const histogram = [0, 0, 0, 0, 0];
    for (const r of data.all.ratings) histogram[r - 1]++;
    expect(histogram).toEqual([6_110, 11_370, 27_145, 34_174, 21_201]);
    expect(data.all.timestamps.reduce((m, t) => Math.min(m, t), Infinity)).toBe(874_724_710);
  });

  it('reads users, and items with their ISO-8859-1 titles and genres', () => {
    expect(data.users.age[1]).toBe(24);
    expect(data.users.gender[1]).toBe('M');
    expect(data.users.occupation[1]).toBe('technician');
    expect(data.items.title[1]).toBe('Toy Story (1995)');
    expect(data.items.title.some((t) => t.includes('é'))).toBe(true);
    // Toy Story: Animation, Children's, Comedy
    expect(Array.from(data.items.genres.subarray(19, 38)).flatMap((f, g) => (f ? [g] : []))).toEqual([3, 4, 5]);
  });

  it('has exactly 10 test ratings per user, disjoint from the base split', () => {
    const perUser = new Int32Array(data.nUsers + 1);
    for (const u of data.test.userIds) perUser[u]++;
    expect(perUser.subarray(1).every((c) => c === 10)).toBe(true);
    const base = new Set(Array.from(data.base.userIds, (u, r) => `${u}:${data.base.itemIds[r]}`));
    expect(Array.from(data.test.userIds).some((u, r) => base.has(`${u}:${data.test.itemIds[r]}`))).toBe(false);
  });

  it('builds interact / like / rating candidates with unrated negatives', () => {
    const { table, categoricalSizes } = movieLensCandidates(data, data.test, { negativesPerPositive: 4, seed: 1 });
    expect(table.size).toBe(9_430 * 5);
    expect(categoricalSizes).toEqual([944, 1683, 3, 22, 8]);
    const rated = new Set(Array.from(data.all.userIds, (u, r) => `${u}:${data.all.itemIds[r]}`));
    let positives = 0;
    let likes = 0;
    let inconsistent = 0;
    for (let i = 0; i < table.size; i++) {
      const pair = `${table.cat[i * 5]}:${table.cat[i * 5 + 1]}`;
      if (rated.has(pair) !== (table.labels.interact[i] === 1)) inconsistent++;
      if (table.masks.rating[i] !== table.labels.interact[i]) inconsistent++;
      positives += table.labels.interact[i];
      likes += table.labels.like[i];
    }
    expect(inconsistent).toBe(0);
    expect(positives).toBe(9_430);
    expect(likes).toBeGreaterThan(0.45 * 9_430);
    expect(likes).toBeLessThan(0.65 * 9_430);
  });
});
