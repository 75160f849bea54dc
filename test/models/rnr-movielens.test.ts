/**
 * Rank-and-Rate smoke test on MovieLens-100K (GroupLens's ua.base / ua.test split), read from
 * ../shared/data/movielens-100k: the licence forbids shipping it, so the test is skipped (with a visible line)
 * where the folder is absent.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { loadMovieLens100k } from '../../src/data/movielens/index.js';
import { rmse, rocAuc } from '../../src/metrics/index.js';
import { createModel, rnrTrainingRows } from '../../src/models/index.js';
import { fit, meanOf } from './helpers.js';

const DIR = '../shared/data/movielens-100k';
const present = existsSync(DIR);
if (!present)
  console.warn(`[models] SKIPPING the RnR MovieLens smoke test: ${DIR} is absent (MovieLens may not be redistributed)`);

describe.skipIf(!present)('rnr on MovieLens-100K', () => {
  it('learns: ranking AUC and rating RMSE beat the trivial predictors', async () => {
    const ml = await loadMovieLens100k(DIR);
    const { base, test } = ml;
    const observed = new Set<number>();
    const nItems = ml.nItems + 1;
    for (const r of [base, test]) for (let i = 0; i < r.size; i++) observed.add(r.userIds[i] * nItems + r.itemIds[i]);
    const meanRating = meanOf(Array.from(base.ratings));
    mt.manualSeed(2);
    const model = createModel('rnr', {
      numUsers: ml.nUsers + 1,
      numItems: nItems,
      embeddingDim: 16,
      ratingOffset: meanRating,
      l2: 1e-4,
    });
    const rows = rnrTrainingRows(base.userIds, base.itemIds, base.ratings, {
      numItems: nItems,
      negatives: 1,
      seed: 1,
      observed,
    });
    // Shuffle once so that every batch mixes users.
    const n = rows.user.length,
      order = Uint32Array.from({ length: n }, (_, i) => i);
    let s = 12345;
    for (let i = n - 1; i > 0; i--) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const j = s % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const take = <T extends Int32Array | Float32Array>(a: T, from: number, size: number): T => {
      const out = new (a.constructor as new (n: number) => T)(size);
      for (let k = 0; k < size; k++) out[k] = a[order[from + k]];
      return out;
    };
    const B = 1024,
      steps = 360; // about two epochs of ua.base with one negative per rating
    const losses = fit(model, steps, 0.01, (step) => {
      const from = (step * B) % (n - B);
      const out = model.forward({
        user: mt.tensor(take(rows.user, from, B)),
        item: mt.tensor(take(rows.item, from, B)),
      });
      return model.loss(
        out,
        { rank: mt.tensor(take(rows.rank, from, B)), rating: mt.tensor(take(rows.rating, from, B)) },
        { rating: mt.tensor(take(rows.ratingMask, from, B)) },
      );
    });
    const testRows = rnrTrainingRows(test.userIds, test.itemIds, test.ratings, {
      numItems: nItems,
      negatives: 1,
      seed: 2,
      observed,
    });
    const pred = mt.tidy(() => {
      const p = model.predict({ user: mt.tensor(testRows.user), item: mt.tensor(testRows.item) });
      return { rank: p.rank.dataSync(), rating: p.rating.dataSync() };
    });
    const auc = rocAuc(testRows.rank, pred.rank);
    const got = rmse(testRows.rating, pred.rating, testRows.ratingMask);
    const trivial = rmse(
      testRows.rating,
      new Float64Array(testRows.rating.length).fill(meanRating),
      testRows.ratingMask,
    );
    console.log(
      `[models learning] rnr MovieLens-100K ua.test: loss ${meanOf(losses.slice(0, 20)).toFixed(3)} → ${meanOf(losses.slice(-20)).toFixed(3)}; rank AUC ${auc.toFixed(3)} (trivial 0.5); rating RMSE ${got.toFixed(3)} vs mean ${trivial.toFixed(3)}`,
    );
    expect(auc).toBeGreaterThan(0.7);
    expect(got).toBeLessThan(trivial - 0.05);
    model.dispose();
  });
});
