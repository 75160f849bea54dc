/**
 * ESMM and AITM on the synthetic click → conversion cascade (src/data/synthetic/click-conversion.ts), where the
 * true pCTR and pCVR of every impression are known, against the sample-selection-bias baseline ESMM's paper argues
 * against: a CVR model trained on clicked impressions only ("naive"), paired with its own CTR model for CTCVR.
 *
 *   MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/cascade.ts [--seeds 0,1,2] [--backend native]
 *     [--train 200000] [--hidden 0,1]
 *
 * One dataset per --hidden value (data seed 2024, correlation 0.5; hiddenScale = the unobserved confounder), split
 * train / validation / test; every model is trained once per seed (initialisation and shuffling). Metrics on the
 * test impressions:
 *   - CTR AUC (click), CTCVR AUC (click ∧ conversion) over all impressions;
 *   - CVR AUC on clicked test impressions (the conventional, observable CVR metric);
 *   - entire-space CVR against the truth, over ALL test impressions: AUC of the predicted pCVR for a label drawn
 *     once from Bernoulli(true pCVR) (seeded; the oracle row shows the ceiling), RMSE to the true pCVR over all
 *     impressions and over the unclicked ones only, and calibration = mean predicted / mean true pCVR.
 * AITM has no CVR head: its pCVR is derived as min(1, ŷ_conversion / ŷ_click) (marked "derived").
 * Writes docs/results/cascade.md.
 */
import * as mt from '../../src/index.js';
import { generateClickConversion } from '../../src/data/synthetic/index.js';
import { SeededRandom } from '../../src/data/random.js';
import type { EncodedTable } from '../../src/data/table.js';
import { rocAuc, rmse } from '../../src/metrics/index.js';
import { createModel } from '../../src/models/index.js';
import { environmentLine, flags, intList, markdownTable, mean, meanStd, writeResults } from './common.js';
import { fitModel, predictAll, type AnyModel } from './fit.js';

const f = flags({
  seeds: { type: 'string', default: '0,1,2' },
  backend: { type: 'string', default: 'native' },
  train: { type: 'string', default: '200000' },
  hidden: { type: 'string', default: '0,1' },
});
const seeds = intList(f.seeds as string);
const nTrain = Number(f.train);
const nValidation = Math.round(nTrain / 4);
const nTest = Math.round(nTrain / 2);
const hiddenScales = (f.hidden as string).split(',').map(Number);
const DATA_SEED = 2024;
const CORRELATION = 0.5;
const EMBEDDING_DIM = 8;
const TOWER = [64, 32];
const HYPER = { epochs: 10, batchSize: 1024, lr: 0.002, patience: 2 };

const init = await mt.init({ backend: f.backend as mt.BackendName });
const started = performance.now();

function rows(table: EncodedTable, start: number, count: number): EncodedTable {
  return table.subset(Int32Array.from({ length: count }, (_, i) => start + i));
}

function whereMask(table: EncodedTable, key: string): EncodedTable {
  const keep: number[] = [];
  for (let i = 0; i < table.size; i++) if (table.labels[key][i] === 1) keep.push(i);
  return table.subset(keep);
}

interface Scores {
  ctr: Float32Array;
  cvr: Float32Array;
  ctcvr: Float32Array;
}

interface Metrics {
  ctrAuc: number;
  ctcvrAuc: number;
  cvrAucClicked: number;
  cvrAucTruth: number;
  rmseAll: number;
  rmseUnclicked: number;
  calibration: number;
  epochs: string;
  seconds: number;
}

const rowsRows: { setting: string; model: string; runs: Metrics[] }[] = [];
const dataLines: string[] = [];

for (const hiddenScale of hiddenScales) {
  const gen = generateClickConversion({
    n: nTrain + nValidation + nTest,
    seed: DATA_SEED,
    correlation: CORRELATION,
    hiddenScale,
  });
  const all = gen.table;
  const train = rows(all, 0, nTrain);
  const validation = rows(all, nTrain, nValidation);
  const test = rows(all, nTrain + nValidation, nTest);
  const clickedTrain = whereMask(train, 'click');
  const clickedValidation = whereMask(validation, 'click');
  const testOffset = nTrain + nValidation;
  const truePcvr = gen.truePcvr.subarray(testOffset);
  const truePctr = gen.truePctr.subarray(testOffset);
  const truePctcvr = gen.truePctcvr.subarray(testOffset);
  // One draw of "would it convert if clicked" for every test impression, the same for every model.
  const drawRng = new SeededRandom(DATA_SEED + 1);
  const cvrDraw = Float64Array.from(truePcvr, (p) => (drawRng.nextFloat() < p ? 1 : 0));
  const click = test.labels.click;
  const unclicked = Float32Array.from(click, (c) => 1 - c);
  const clicks = click.reduce((a, b) => a + b, 0);
  const conversions = test.labels.conversion.reduce((a, b) => a + b, 0);
  const setting =
    hiddenScale === 0 ? 'observed features only (hiddenScale 0)' : `unobserved confounder (hiddenScale ${hiddenScale})`;
  dataLines.push(
    `- **${setting}**: ${nTrain.toLocaleString('en-US')} train / ${nValidation.toLocaleString('en-US')} validation / ${nTest.toLocaleString('en-US')} test impressions; ` +
      `train clicks ${clickedTrain.size.toLocaleString('en-US')} (${((100 * clickedTrain.size) / nTrain).toFixed(1)} %); test CTR ${((100 * clicks) / nTest).toFixed(1)} %, CTCVR ${((100 * conversions) / nTest).toFixed(2)} %; ` +
      `mean true pCVR ${(mean(Array.from(truePcvr))).toFixed(3)} over all test impressions vs ${(Array.from(truePcvr).reduce((s, p, i) => s + p * click[i], 0) / clicks).toFixed(3)} over the clicked ones (the selection bias).`,
  );

  const evaluate = (s: Scores, epochs: string, seconds: number): Metrics => {
    let sumPred = 0,
      sumTrue = 0;
    for (let i = 0; i < nTest; i++) {
      sumPred += s.cvr[i];
      sumTrue += truePcvr[i];
    }
    return {
      ctrAuc: rocAuc(click, s.ctr),
      ctcvrAuc: rocAuc(test.labels.conversion, s.ctcvr),
      cvrAucClicked: rocAuc(test.labels.cvr, s.cvr, click),
      cvrAucTruth: rocAuc(cvrDraw, s.cvr),
      rmseAll: rmse(truePcvr, s.cvr),
      rmseUnclicked: rmse(truePcvr, s.cvr, unclicked),
      calibration: sumPred / sumTrue,
      epochs,
      seconds,
    };
  };
  rowsRows.push({
    setting,
    model: 'oracle (true pCTR, pCVR)',
    runs: [
      evaluate(
        { ctr: Float32Array.from(truePctr), cvr: Float32Array.from(truePcvr), ctcvr: Float32Array.from(truePctcvr) },
        '—',
        0,
      ),
    ],
  });

  const features = {
    categorical: gen.categoricalSizes.map((v, i) => ({ name: `c${i}`, vocabularySize: v })),
    numeric: Array.from({ length: all.nNum }, (_, i) => ({ name: `x${i}` })),
    embeddingDim: EMBEDDING_DIM,
  };
  const auc = (model: AnyModel, table: EncodedTable, key: string, label: string, mask?: Float32Array) =>
    rocAuc(table.labels[label], predictAll(model, table)[key], mask);
  const runs: Record<string, Metrics[]> = { esmm: [], aitm: [], naive: [] };
  for (const seed of seeds) {
    // ESMM: CTR + CTCVR losses over all impressions, no CVR loss.
    mt.manualSeed(seed);
    const esmm = createModel('esmm', {
      features,
      ctrTowerDims: TOWER,
      cvrTowerDims: TOWER,
      taskNames: { ctr: 'click', cvr: 'cvr', ctcvr: 'conversion' },
    });
    const validateCascade = (m: AnyModel) => () => {
      const p = predictAll(m, validation);
      return (rocAuc(validation.labels.click, p.click) + rocAuc(validation.labels.conversion, p.conversion)) / 2;
    };
    let r = await fitModel(esmm, train, {
      ...HYPER,
      seed,
      labels: ['click', 'conversion'],
      validate: validateCascade(esmm),
    });
    let p = predictAll(esmm, test);
    runs.esmm.push(evaluate({ ctr: p.click, cvr: p.cvr, ctcvr: p.conversion }, String(r.epochsRun), r.trainSeconds));
    esmm.dispose();

    // AITM: click → conversion (ŷ_2 = P(click ∧ conversion)), calibrator α = 0.6.
    mt.manualSeed(seed);
    const aitm = createModel('aitm', {
      features,
      tasks: [{ name: 'click' }, { name: 'conversion' }],
      towerDims: TOWER,
    });
    r = await fitModel(aitm, train, {
      ...HYPER,
      seed,
      labels: ['click', 'conversion'],
      validate: validateCascade(aitm),
    });
    p = predictAll(aitm, test);
    const derived = Float32Array.from(p.conversion, (v, i) => Math.min(1, v / Math.max(p.click[i], 1e-12)));
    runs.aitm.push(evaluate({ ctr: p.click, cvr: derived, ctcvr: p.conversion }, String(r.epochsRun), r.trainSeconds));
    aitm.dispose();

    // Naive: a CTR model on all impressions and a CVR model on clicked impressions only (same towers, own embeddings).
    mt.manualSeed(seed);
    const ctrModel = createModel('singleTask', { features, tasks: [{ name: 'click' }], hiddenDims: TOWER });
    const rc = await fitModel(ctrModel, train, {
      ...HYPER,
      seed,
      labels: ['click'],
      validate: () => auc(ctrModel, validation, 'click', 'click'),
    });
    mt.manualSeed(seed);
    const cvrModel = createModel('singleTask', { features, tasks: [{ name: 'cvr' }], hiddenDims: TOWER });
    const rv = await fitModel(cvrModel, clickedTrain, {
      ...HYPER,
      seed,
      labels: ['cvr'],
      validate: () => auc(cvrModel, clickedValidation, 'cvr', 'cvr'),
    });
    const pc = predictAll(ctrModel, test).click;
    const pv = predictAll(cvrModel, test).cvr;
    runs.naive.push(
      evaluate(
        { ctr: pc, cvr: pv, ctcvr: Float32Array.from(pc, (c, i) => c * pv[i]) },
        `${rc.epochsRun}+${rv.epochsRun}`,
        rc.trainSeconds + rv.trainSeconds,
      ),
    );
    ctrModel.dispose();
    cvrModel.dispose();
    console.error(
      `cascade hidden ${hiddenScale} seed ${seed}: esmm CVR-truth AUC ${runs.esmm.at(-1)!.cvrAucTruth.toFixed(4)}, aitm ${runs.aitm.at(-1)!.cvrAucTruth.toFixed(4)}, naive ${runs.naive.at(-1)!.cvrAucTruth.toFixed(4)} (${((performance.now() - started) / 60000).toFixed(1)} min so far)`,
    );
  }
  rowsRows.push({ setting, model: 'ESMM', runs: runs.esmm });
  rowsRows.push({ setting, model: 'AITM (pCVR derived)', runs: runs.aitm });
  rowsRows.push({ setting, model: 'naive: CTR model + CVR model on clicked only', runs: runs.naive });
}

const command = (hidden: string) =>
  `MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/cascade.ts --seeds ${seeds.join(',')} --train ${nTrain} --hidden ${hidden} --backend ${f.backend}`;
const cell = (runs: Metrics[], k: keyof Metrics, digits = 4) =>
  meanStd(
    runs.map((m) => m[k] as number),
    digits,
  );
const table = markdownTable(
  [
    'setting',
    'model',
    'CTR AUC',
    'CTCVR AUC',
    'CVR AUC (clicked)',
    'CVR AUC vs truth (all)',
    'RMSE to true pCVR (all)',
    'RMSE (unclicked)',
    'mean pCVR / true',
    'epochs',
    'train s',
  ],
  rowsRows.map(({ setting, model, runs }) => [
    setting,
    model,
    cell(runs, 'ctrAuc'),
    cell(runs, 'ctcvrAuc'),
    cell(runs, 'cvrAucClicked'),
    cell(runs, 'cvrAucTruth'),
    model.startsWith('oracle') ? '0' : cell(runs, 'rmseAll'),
    model.startsWith('oracle') ? '0' : cell(runs, 'rmseUnclicked'),
    cell(runs, 'calibration', 3),
    runs.map((m) => m.epochs).join('/'),
    model.startsWith('oracle') ? '—' : `${mean(runs.map((m) => m.seconds)).toFixed(0)}`,
  ]),
);
const markdown = [
  '# ESMM and AITM on the synthetic click → conversion cascade',
  '',
  `Generated by \`${command(hiddenScales.join(','))}\` (${((performance.now() - started) / 60000).toFixed(1)} min).`,
  environmentLine(`${init.backend} (${init.info.description})`),
  '',
  'Data (`generateClickConversion`, data seed 2024, correlation ρ = 0.5 between the CTR and CVR logits, 4 categorical fields × 50 values, 4 numeric features, default biases):',
  ...dataLines,
  '',
  `Models: embeddings ${EMBEDDING_DIM}-dim, every tower ${JSON.stringify(TOWER)} (ReLU). ESMM: the paper's loss (CTR + CTCVR over all impressions, log-space CTCVR). ` +
    'AITM: towers ' +
    JSON.stringify(TOWER) +
    ' (k = 32), calibrator α = 0.6; its pCVR is derived as min(1, ŷ_conversion / ŷ_click). ' +
    'Naive: two `singleTask` networks, CTR trained on all impressions, CVR trained on clicked impressions only (label = converted), CTCVR = product. ' +
    `Adam lr ${HYPER.lr}, batch ${HYPER.batchSize}, at most ${HYPER.epochs} epochs, early stopping (patience ${HYPER.patience}, best weights restored) on the validation split's observable metrics ` +
    "(ESMM/AITM: mean of click and conversion AUC; naive: each model's own AUC, the CVR model on clicked validation rows). " +
    `Mean ± sample std over seeds ${seeds.join(', ')} (initialisation and shuffling; the data are fixed).`,
  '',
  'Columns: CTR and CTCVR AUC over all test impressions; CVR AUC (clicked) = AUC of pCVR for `converted` on clicked test impressions; ' +
    'CVR AUC vs truth (all) = AUC of pCVR for a label drawn once from Bernoulli(true pCVR) on every test impression (the oracle row is its ceiling); ' +
    'RMSE to the true pCVR over all / unclicked test impressions; mean pCVR / true = mean predicted pCVR over all test impressions divided by the mean true pCVR (1 = calibrated in the entire space).',
  '',
  table,
  '',
  `Reproduce one setting: \`${command('0')}\` or \`${command('1')}\`.`,
  '',
].join('\n');
console.log(markdown);
console.error(`wrote ${writeResults('cascade', markdown)}`);
