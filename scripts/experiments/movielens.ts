/**
 * MovieLens-100K: Rank-and-Rate (rating RMSE on ua.test, ranking NDCG@10 / HR@10) and ESMM / AITM on the
 * interaction → like (rating ≥ 4) cascade. The data are not redistributable and never part of this repository:
 * the script reads them from --data (default ../shared/data/movielens-100k) and stops with one line if absent.
 *
 *   MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/movielens.ts [--seeds 0,1,2] [--backend native] [--data DIR]
 *
 * Splits: GroupLens's ua.base / ua.test (10 ratings per user held out). 5 % of ua.base ratings (seeded, fixed) are
 * held out as the validation split for early stopping; models train on the other 95 %. Test metrics only on ua.test.
 *  - RnR rating: RMSE of r̂ on all 9,430 ua.test ratings (raw predictions, no clipping).
 *  - RnR ranking (protocol.ts): every ua.test rating is a query; candidates = its item + 100 items drawn without
 *    replacement from the items the user never rated in u.data; scored by the ranking head; NDCG@10 and HR@10
 *    averaged over the 9,430 queries (one relevant item each). Random scoring gives HR@10 ≈ 10/101.
 *  - Cascade (movieLensCandidates): every rating is an `interact` positive, 4 never-rated items per rating are
 *    negatives; `like` = rating ≥ 4 (0 on negatives) is the entire-space CTCVR-style label; like | interact is the
 *    "CVR". Test candidates come from ua.test with their own sampled negatives.
 * Writes docs/results/movielens.md.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as mt from '../../src/index.js';
import { loadMovieLens100k, movieLensCandidates, type Ratings } from '../../src/data/movielens/index.js';
import { EncodedTable, type Batch } from '../../src/data/table.js';
import { hitRateAtK, ndcgAtK, rmse, rocAuc } from '../../src/metrics/index.js';
import { createModel, rnrTrainingRows } from '../../src/models/index.js';
import { environmentLine, flags, intList, markdownTable, mean, meanStd, REPO_ROOT, writeResults } from './common.js';
import { fitModel, predictAll, type AnyModel, type FitResult } from './fit.js';
import { holdOut, rankingCandidates, ratedItemsByUser } from './protocol.js';

const f = flags({
  seeds: { type: 'string', default: '0,1,2' },
  backend: { type: 'string', default: 'native' },
  data: { type: 'string', default: resolve(REPO_ROOT, '..', 'shared', 'data', 'movielens-100k') },
  /** Caps every model's epochs (smoke tests only; the results use the defaults). */
  'max-epochs': { type: 'string' },
});
const epochCap = f['max-epochs'] === undefined ? Infinity : Number(f['max-epochs']);
const dataDir = f.data as string;
if (!existsSync(join(dataDir, 'u.data')) && !existsSync(join(dataDir, 'u.data.gz'))) {
  console.log(
    `movielens: skipped — MovieLens 100K not found in ${dataDir} (not redistributable; download ml-100k from GroupLens and pass --data DIR)`,
  );
  process.exit(0);
}
const seeds = intList(f.seeds as string);
const init = await mt.init({ backend: f.backend as mt.BackendName });
const started = performance.now();
const PROTOCOL_SEED = 0;
const NEGATIVES_RANK = 100;
const K = 10;

const data = await loadMovieLens100k(dataDir);
const ratingsSubset = (r: Ratings, idx: Int32Array): Ratings => ({
  size: idx.length,
  userIds: Int32Array.from(idx, (i) => r.userIds[i]),
  itemIds: Int32Array.from(idx, (i) => r.itemIds[i]),
  ratings: Float32Array.from(idx, (i) => r.ratings[i]),
  timestamps: Float64Array.from(idx, (i) => r.timestamps[i]),
});
const split = holdOut(data.base.size, 0.05, PROTOCOL_SEED);
const trainRatings = ratingsSubset(data.base, split.train);
const validationRatings = ratingsSubset(data.base, split.validation);
const trainMean = mean(Array.from(trainRatings.ratings));
const ratedAll = ratedItemsByUser(data.all.userIds, data.all.itemIds);
const numItemRows = data.nItems + 1;

// ---------------------------------------------------------------------------------------------- RnR
/** An id-pair table: cat = [user, item]; labels rank (1/0), rating (masked to rated rows). */
function pairTable(
  user: Int32Array,
  item: Int32Array,
  rank: Float32Array,
  rating: Float32Array,
  ratingMask: Float32Array,
): EncodedTable {
  const cat = new Int32Array(user.length * 2);
  for (let i = 0; i < user.length; i++) {
    cat[2 * i] = user[i];
    cat[2 * i + 1] = item[i];
  }
  return new EncodedTable({
    size: user.length,
    nCat: 2,
    nNum: 0,
    cat,
    num: new Float32Array(0),
    labels: { rank, rating },
    masks: { rank: new Float32Array(user.length).fill(1), rating: ratingMask },
  });
}
const idInputs = (batch: Batch) => {
  const user = new Int32Array(batch.size),
    item = new Int32Array(batch.size);
  for (let i = 0; i < batch.size; i++) {
    user[i] = batch.cat[2 * i];
    item[i] = batch.cat[2 * i + 1];
  }
  return {
    user: mt.tensor(user, { dtype: 'int32', shape: [batch.size] }),
    item: mt.tensor(item, { dtype: 'int32', shape: [batch.size] }),
  };
};
const ratedTable = (r: Ratings) =>
  pairTable(
    r.userIds,
    r.itemIds,
    new Float32Array(r.size).fill(1),
    Float32Array.from(r.ratings),
    new Float32Array(r.size).fill(1),
  );
const validationPairs = ratedTable(validationRatings);
const testPairs = ratedTable(data.test);
const rankingTable = (r: Ratings, seed: number) => {
  const c = rankingCandidates({ users: r.userIds, items: r.itemIds }, ratedAll, {
    nItems: data.nItems,
    negatives: NEGATIVES_RANK,
    seed,
  });
  return {
    c,
    table: pairTable(c.user, c.item, c.relevance, new Float32Array(c.user.length), new Float32Array(c.user.length)),
  };
};
const testRanking = rankingTable(data.test, PROTOCOL_SEED);

interface RnrRun {
  rmse: number;
  ndcg: number;
  hr: number;
  fit: FitResult;
}
const RNR = { embeddingDim: 32, negatives: 4, l2: 1e-4 };
const RNR_HYPER = { epochs: Math.min(40, epochCap), batchSize: 1024, lr: 0.002, patience: 3 };
const rnrRuns: RnrRun[] = [];
const trainPairsObserved = new Set<number>();
for (let r = 0; r < trainRatings.size; r++)
  trainPairsObserved.add(trainRatings.userIds[r] * numItemRows + trainRatings.itemIds[r]);
for (const seed of seeds) {
  const rows = rnrTrainingRows(trainRatings.userIds, trainRatings.itemIds, trainRatings.ratings, {
    numItems: numItemRows,
    negatives: RNR.negatives,
    seed,
    observed: trainPairsObserved,
  });
  const train = pairTable(rows.user, rows.item, rows.rank, rows.rating, rows.ratingMask);
  mt.manualSeed(seed);
  const model = createModel('rnr', {
    numUsers: data.nUsers + 1,
    numItems: numItemRows,
    embeddingDim: RNR.embeddingDim,
    l2: RNR.l2,
    ratingOffset: trainMean,
  });
  const fit = await fitModel(model, train, {
    ...RNR_HYPER,
    seed,
    labels: ['rank', 'rating'],
    inputsOf: idInputs,
    // Early stopping on validation rating RMSE (lower is better, hence the minus).
    validate: () => -rmse(validationPairs.labels.rating, predictAll(model, validationPairs, idInputs).rating),
  });
  const rating = predictAll(model, testPairs, idInputs).rating;
  const rank = predictAll(model, testRanking.table, idInputs).rank;
  rnrRuns.push({
    rmse: rmse(testPairs.labels.rating, rating),
    ndcg: ndcgAtK(testRanking.c.group, rank, testRanking.c.relevance, K),
    hr: hitRateAtK(testRanking.c.group, rank, testRanking.c.relevance, K),
    fit,
  });
  model.dispose();
  console.error(
    `movielens rnr seed ${seed}: RMSE ${rnrRuns.at(-1)!.rmse.toFixed(4)}, NDCG@10 ${rnrRuns.at(-1)!.ndcg.toFixed(4)}, HR@10 ${rnrRuns.at(-1)!.hr.toFixed(4)}, ${fit.epochsRun} epochs (${((performance.now() - started) / 60000).toFixed(1)} min so far)`,
  );
}

// Baselines: global mean and item mean (training ratings) for RMSE; training popularity for ranking.
const itemSum = new Float64Array(numItemRows),
  itemCount = new Float64Array(numItemRows);
for (let r = 0; r < trainRatings.size; r++) {
  itemSum[trainRatings.itemIds[r]] += trainRatings.ratings[r];
  itemCount[trainRatings.itemIds[r]]++;
}
const itemMean = (i: number) => (itemCount[i] > 0 ? (itemSum[i] + 5 * trainMean) / (itemCount[i] + 5) : trainMean); // shrunk towards the global mean
const baselineRmseMean = rmse(testPairs.labels.rating, new Float64Array(data.test.size).fill(trainMean));
const baselineRmseItem = rmse(testPairs.labels.rating, Float64Array.from(data.test.itemIds, itemMean));
const popularity = Float64Array.from(testRanking.c.item, (i) => itemCount[i]);
const popNdcg = ndcgAtK(testRanking.c.group, popularity, testRanking.c.relevance, K);
const popHr = hitRateAtK(testRanking.c.group, popularity, testRanking.c.relevance, K);

// ---------------------------------------------------------------------------------------------- cascade
const candidates = movieLensCandidates(data, trainRatings, { negativesPerPositive: 4, seed: PROTOCOL_SEED });
const validationCandidates = movieLensCandidates(data, validationRatings, {
  negativesPerPositive: 4,
  seed: PROTOCOL_SEED + 1,
});
const testCandidates = movieLensCandidates(data, data.test, { negativesPerPositive: 4, seed: PROTOCOL_SEED + 2 });
// ESMM's CVR head reads no label, but give the tables one named after it: like, defined only where interact = 1.
const withCvr = (t: EncodedTable) =>
  new EncodedTable({
    size: t.size,
    nCat: t.nCat,
    nNum: t.nNum,
    cat: t.cat,
    num: t.num,
    labels: { ...t.labels, likeIfRated: t.labels.like },
    masks: { ...t.masks, likeIfRated: t.labels.interact },
  });
const cTrain = withCvr(candidates.table),
  cValidation = withCvr(validationCandidates.table),
  cTest = withCvr(testCandidates.table);
const rowsWhere = (t: EncodedTable, key: string) =>
  t.subset(Int32Array.from(Array.from(t.labels[key].keys()).filter((i) => t.labels[key][i] === 1)));
const ratedTrain = rowsWhere(cTrain, 'interact'),
  ratedValidation = rowsWhere(cValidation, 'interact');
const CASCADE = { embeddingDim: 16, tower: [64, 32] };
const CASCADE_HYPER = { epochs: Math.min(10, epochCap), batchSize: 1024, lr: 0.002, patience: 2 };
const features = {
  categorical: candidates.categoricalNames.map((name, i) => ({ name, vocabularySize: candidates.categoricalSizes[i] })),
  numeric: Array.from({ length: cTrain.nNum }, (_, i) => ({ name: `genre${i}` })),
  embeddingDim: CASCADE.embeddingDim,
};
interface CascadeRun {
  interact: number;
  like: number;
  likeIfRated: number;
  epochs: string;
  seconds: number;
}
const cascadeRuns: Record<string, CascadeRun[]> = { esmm: [], aitm: [], naive: [] };
const cascadeScore = (
  p: { interact: Float32Array; like: Float32Array; cvr: Float32Array },
  epochs: string,
  seconds: number,
): CascadeRun => ({
  interact: rocAuc(cTest.labels.interact, p.interact),
  like: rocAuc(cTest.labels.like, p.like),
  likeIfRated: rocAuc(cTest.labels.like, p.cvr, cTest.labels.interact),
  epochs,
  seconds,
});
const validateCascade = (m: AnyModel) => () => {
  const p = predictAll(m, cValidation);
  return (rocAuc(cValidation.labels.interact, p.interact) + rocAuc(cValidation.labels.like, p.like)) / 2;
};
for (const seed of seeds) {
  mt.manualSeed(seed);
  const esmm = createModel('esmm', {
    features,
    ctrTowerDims: CASCADE.tower,
    cvrTowerDims: CASCADE.tower,
    taskNames: { ctr: 'interact', cvr: 'likeIfRated', ctcvr: 'like' },
  });
  let r = await fitModel(esmm, cTrain, {
    ...CASCADE_HYPER,
    seed,
    labels: ['interact', 'like'],
    validate: validateCascade(esmm),
  });
  let p = predictAll(esmm, cTest);
  cascadeRuns.esmm.push(
    cascadeScore({ interact: p.interact, like: p.like, cvr: p.likeIfRated }, String(r.epochsRun), r.trainSeconds),
  );
  esmm.dispose();

  mt.manualSeed(seed);
  const aitm = createModel('aitm', {
    features,
    tasks: [{ name: 'interact' }, { name: 'like' }],
    towerDims: CASCADE.tower,
  });
  r = await fitModel(aitm, cTrain, {
    ...CASCADE_HYPER,
    seed,
    labels: ['interact', 'like'],
    validate: validateCascade(aitm),
  });
  p = predictAll(aitm, cTest);
  cascadeRuns.aitm.push(
    cascadeScore(
      {
        interact: p.interact,
        like: p.like,
        cvr: Float32Array.from(p.like, (v, i) => Math.min(1, v / Math.max(p.interact[i], 1e-12))),
      },
      String(r.epochsRun),
      r.trainSeconds,
    ),
  );
  aitm.dispose();

  mt.manualSeed(seed);
  const interactModel = createModel('singleTask', {
    features,
    tasks: [{ name: 'interact' }],
    hiddenDims: CASCADE.tower,
  });
  const ri = await fitModel(interactModel, cTrain, {
    ...CASCADE_HYPER,
    seed,
    labels: ['interact'],
    validate: () => rocAuc(cValidation.labels.interact, predictAll(interactModel, cValidation).interact),
  });
  mt.manualSeed(seed);
  const likeModel = createModel('singleTask', { features, tasks: [{ name: 'like' }], hiddenDims: CASCADE.tower });
  const rl = await fitModel(likeModel, ratedTrain, {
    ...CASCADE_HYPER,
    seed,
    labels: ['like'],
    validate: () => rocAuc(ratedValidation.labels.like, predictAll(likeModel, ratedValidation).like),
  });
  const pi = predictAll(interactModel, cTest).interact;
  const pl = predictAll(likeModel, cTest).like;
  cascadeRuns.naive.push(
    cascadeScore(
      { interact: pi, like: Float32Array.from(pi, (v, i) => v * pl[i]), cvr: pl },
      `${ri.epochsRun}+${rl.epochsRun}`,
      ri.trainSeconds + rl.trainSeconds,
    ),
  );
  interactModel.dispose();
  likeModel.dispose();
  console.error(
    `movielens cascade seed ${seed}: like AUC esmm ${cascadeRuns.esmm.at(-1)!.like.toFixed(4)}, aitm ${cascadeRuns.aitm.at(-1)!.like.toFixed(4)}, naive ${cascadeRuns.naive.at(-1)!.like.toFixed(4)} (${((performance.now() - started) / 60000).toFixed(1)} min so far)`,
  );
}

// ---------------------------------------------------------------------------------------------- report
const command = `MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/movielens.ts --seeds ${seeds.join(',')} --backend ${f.backend}${Number.isFinite(epochCap) ? ` --max-epochs ${epochCap}` : ''}`;
const ms = (xs: number[]) => meanStd(xs);
const rnrTable = markdownTable(
  ['model', 'rating RMSE (ua.test)', 'NDCG@10', 'HR@10', 'epochs (best)', 'train s'],
  [
    [
      'RnR',
      ms(rnrRuns.map((r) => r.rmse)),
      ms(rnrRuns.map((r) => r.ndcg)),
      ms(rnrRuns.map((r) => r.hr)),
      rnrRuns.map((r) => `${r.fit.epochsRun} (${r.fit.bestEpoch + 1})`).join(', '),
      mean(rnrRuns.map((r) => r.fit.trainSeconds)).toFixed(0),
    ],
    ['global mean rating', baselineRmseMean.toFixed(4), '—', '—', '—', '—'],
    ['item mean (shrunk, 5 pseudo-ratings)', baselineRmseItem.toFixed(4), '—', '—', '—', '—'],
    ['popularity (training ratings per item)', '—', popNdcg.toFixed(4), popHr.toFixed(4), '—', '—'],
    ['random scores (expected)', '—', '—', (K / (NEGATIVES_RANK + 1)).toFixed(4), '—', '—'],
  ],
);
const cascadeRow = (name: string, runs: CascadeRun[]) => [
  name,
  ms(runs.map((r) => r.interact)),
  ms(runs.map((r) => r.like)),
  ms(runs.map((r) => r.likeIfRated)),
  runs.map((r) => r.epochs).join(', '),
  mean(runs.map((r) => r.seconds)).toFixed(0),
];
const cascadeTable = markdownTable(
  ['model', 'interact AUC', 'like AUC (entire space)', 'like | rated AUC', 'epochs', 'train s'],
  [
    cascadeRow('ESMM', cascadeRuns.esmm),
    cascadeRow('AITM (like | rated derived as ŷ_like / ŷ_interact)', cascadeRuns.aitm),
    cascadeRow('naive: interact model × like model trained on rated only', cascadeRuns.naive),
  ],
);
const markdown = [
  '# MovieLens-100K: Rank-and-Rate, and ESMM / AITM on interaction → like',
  '',
  `Generated by \`${command}\` (${((performance.now() - started) / 60000).toFixed(1)} min); every row below comes from this one command.`,
  environmentLine(`${init.backend} (${init.info.description})`),
  '',
  `Data: ua.base (${data.base.size.toLocaleString('en-US')} ratings) / ua.test (${data.test.size.toLocaleString('en-US')} ratings, 10 per user), from a local copy (MovieLens is not redistributable and not in this repository). ` +
    `A fixed 5 % of ua.base ratings (${validationRatings.size.toLocaleString('en-US')}, seed 0) is the validation split for early stopping; models train on the other ${trainRatings.size.toLocaleString('en-US')}. ` +
    `Mean ± sample std over seeds ${seeds.join(', ')} (initialisation, shuffling and the RnR training negatives; the evaluation candidates are fixed).`,
  '',
  '## Rank-and-Rate',
  '',
  `RnR: embeddings ${RNR.embeddingDim}-dim, ${RNR.negatives} sampled negatives per training rating (never a training pair), λ = 1, ℓ2 ${RNR.l2}, rating offset initialised to the training mean (${trainMean.toFixed(3)}); ` +
    `Adam lr ${RNR_HYPER.lr}, batch ${RNR_HYPER.batchSize}, at most ${RNR_HYPER.epochs} epochs, early stopping on validation rating RMSE (patience ${RNR_HYPER.patience}, best weights restored). ` +
    'Rating RMSE: raw r̂ on all ua.test ratings. Ranking protocol: each of the 9,430 ua.test ratings is a query whose candidates are its item and 100 items drawn without replacement (seed 0) from the items that user never rated in u.data; ' +
    'scored by the ranking head ⟨u, v⟩; NDCG@10 (binary relevance) and HR@10 averaged over queries (ties get their expected value).',
  '',
  rnrTable,
  '',
  '## Interaction → like cascade (ESMM, AITM)',
  '',
  "Candidates (`movieLensCandidates`): every rating is an interaction; 4 items the user never rated (anywhere in u.data) are sampled per rating as non-interactions; `like` = rating ≥ 4 on interactions, 0 on non-interactions (the entire-space label, CTCVR's role); " +
    `like | rated (the CVR role) is evaluated on the rated test candidates only. Test candidates: ua.test ratings + their own negatives (${cTest.size.toLocaleString('en-US')} rows). ` +
    `Features: user, item, gender, occupation, age bucket (${CASCADE.embeddingDim}-dim embeddings) + 19 genre flags; towers ${JSON.stringify(CASCADE.tower)}; ` +
    `Adam lr ${CASCADE_HYPER.lr}, batch ${CASCADE_HYPER.batchSize}, at most ${CASCADE_HYPER.epochs} epochs, early stopping (patience ${CASCADE_HYPER.patience}) on the mean of validation interact and like AUC (the naive models: their own AUC, the like model on rated validation rows).`,
  '',
  cascadeTable,
  '',
].join('\n');
console.log(markdown);
console.error(`wrote ${writeResults('movielens', markdown)}`);
