/**
 * ESMM, AITM, MMoE and PLE on click → conversion data in the Ali-CCP and AliExpress layouts, loaded exactly as
 * `mtgrad train --data aliccp|aliexpress --data-dir DIR` loads them (src/cli/datasets.ts), trained through the
 * library API with the experiments' explicit loop (fit.ts: each model's own loss, Adam, early stopping on the mean
 * validation AUC of click and conversion, best weights restored).
 *
 *   MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/ecommerce.ts \
 *     --data aliccp:../shared/data/ali-ccp-sample,aliexpress:../shared/data/aliexpress-sample,aliexpress:data/ae-200k:NL \
 *     [--models esmm,aitm,mmoe,ple] [--seeds 0,1,2] [--epochs 10] [--backend native]
 *
 * Each --data entry is KIND:DIR[:COUNTRY]. Where DIR holds a truth.json (written by
 * scripts/generate-cascade-data.ts), the AUC of the true probabilities on the test split is shown as an oracle row.
 * Metrics: test AUC of click (CTR) and of conversion (CTCVR: click ∧ purchase over all impressions).
 * Writes docs/results/ecommerce.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as mt from '../../src/index.js';
import { loadDataset, type Dataset, type DatasetSpec } from '../../src/cli/datasets.js';
import { rocAuc } from '../../src/metrics/index.js';
import { createModel } from '../../src/models/index.js';
import { environmentLine, flags, intList, markdownTable, meanStd, writeResults } from './common.js';
import { fitModel, predictAll, type AnyModel } from './fit.js';

const f = flags({
  data: { type: 'string', default: 'aliccp:../shared/data/ali-ccp-sample,aliexpress:../shared/data/aliexpress-sample' },
  models: { type: 'string', default: 'esmm,aitm,mmoe,ple' },
  seeds: { type: 'string', default: '0,1,2' },
  epochs: { type: 'string', default: '10' },
  backend: { type: 'string', default: 'native' },
});
const seeds = intList(f.seeds as string);
const models = (f.models as string).split(',');
const EMBEDDING_DIM = 8;
const TOWER = [64, 32];
const HYPER = { epochs: Number(f.epochs), batchSize: 1024, lr: 0.002, patience: 2 };

function specOf(entry: string): DatasetSpec {
  const [kind, dir, country] = entry.split(':');
  if ((kind !== 'aliccp' && kind !== 'aliexpress') || !dir)
    throw new Error(`--data entries are aliccp:DIR or aliexpress:DIR[:COUNTRY], got '${entry}'`);
  return { name: kind, dir, ...(country ? { country } : {}) };
}

function build(model: string, data: Dataset): AnyModel {
  const features = {
    categorical: data.schema.categoricalFeatures.map((c) => ({ name: c.name, vocabularySize: c.vocabularySize })),
    numeric: data.schema.numericFeatures.map((n) => ({ name: n.name })),
    embeddingDim: EMBEDDING_DIM,
  };
  const tasks = [
    { name: 'click', type: 'binary' },
    { name: 'conversion', type: 'binary' },
  ];
  switch (model) {
    case 'esmm':
      return createModel('esmm', {
        features,
        ctrTowerDims: TOWER,
        cvrTowerDims: TOWER,
        taskNames: { ctr: 'click', cvr: 'cvr', ctcvr: 'conversion' },
      });
    case 'aitm':
      return createModel('aitm', { features, tasks: [{ name: 'click' }, { name: 'conversion' }], towerDims: TOWER });
    case 'mmoe':
      return createModel('mmoe', { features, tasks, numExperts: 8, expertDims: [TOWER[0]], towerDims: [TOWER[1]] });
    case 'ple':
      return createModel('ple', { features, tasks, expertDims: [TOWER[0]], towerDims: [TOWER[1]] });
    default:
      throw new Error(`--models: unknown model '${model}' (esmm, aitm, mmoe, ple)`);
  }
}

const init = await mt.init({ backend: f.backend as mt.BackendName });
const started = performance.now();
const sections: string[] = [];
const generated: string[] = [];
const commandLine = `MTGRAD_NUM_THREADS=1 node --import tsx scripts/experiments/ecommerce.ts --data ${f.data} --models ${f.models} --seeds ${f.seeds} --epochs ${f.epochs} --backend ${f.backend}`;

for (const entry of (f.data as string).split(',')) {
  const spec = specOf(entry);
  const data = await loadDataset(spec);
  const count = (t: typeof data.test, k: string) => t.labels[k].reduce((s, v) => s + v, 0);
  const describe =
    `${data.train.size.toLocaleString('en-US')} train / ${data.validation.size.toLocaleString('en-US')} validation / ${data.test.size.toLocaleString('en-US')} test rows; ` +
    `test CTR ${(count(data.test, 'click') / data.test.size).toFixed(4)}, CTCVR ${(count(data.test, 'conversion') / data.test.size).toFixed(4)} (${count(data.test, 'conversion')} conversion${count(data.test, 'conversion') === 1 ? '' : 's'})`;
  const rows: string[][] = [];
  const truthPath = [join(spec.dir!, 'truth.json')].find(existsSync);
  if (truthPath) {
    const truth = JSON.parse(readFileSync(truthPath, 'utf8')) as {
      oracleTestAuc: { click: number; conversion: number };
      format: string;
      rows: number;
      seed: number;
      country?: string;
    };
    generated.push(
      `\`node --import tsx scripts/generate-cascade-data.ts --format ${truth.format} --rows ${truth.rows} --seed ${truth.seed}${truth.country ? ` --country ${truth.country}` : ''} --out ${spec.dir} --gzip\``,
    );
    rows.push([
      'oracle (true probabilities)',
      truth.oracleTestAuc.click.toFixed(4),
      truth.oracleTestAuc.conversion.toFixed(4),
      '—',
      '—',
    ]);
  }
  for (const name of models) {
    const clickAuc: number[] = [];
    const conversionAuc: number[] = [];
    const epochs: string[] = [];
    let trainSeconds = 0;
    for (const seed of seeds) {
      mt.manualSeed(seed);
      const model = build(name, data);
      const validate = () => {
        const p = predictAll(model, data.validation);
        return (
          (rocAuc(data.validation.labels.click, p.click) + rocAuc(data.validation.labels.conversion, p.conversion)) / 2
        );
      };
      const r = await fitModel(model, data.train, { ...HYPER, seed, labels: ['click', 'conversion'], validate });
      const p = predictAll(model, data.test);
      clickAuc.push(rocAuc(data.test.labels.click, p.click));
      conversionAuc.push(rocAuc(data.test.labels.conversion, p.conversion));
      epochs.push(`${r.epochsRun} (${r.bestEpoch + 1})`);
      trainSeconds += r.trainSeconds;
      model.dispose();
      console.error(
        `${data.name} ${name} seed ${seed}: click ${clickAuc.at(-1)!.toFixed(4)}, conversion ${conversionAuc.at(-1)!.toFixed(4)}, ${r.epochsRun} epochs, ${r.trainSeconds.toFixed(1)} s`,
      );
    }
    rows.push([
      name,
      meanStd(clickAuc),
      meanStd(conversionAuc),
      epochs.join(', '),
      (trainSeconds / seeds.length).toFixed(1),
    ]);
  }
  sections.push(
    [
      `### ${data.name}: \`--data ${spec.name} --data-dir ${spec.dir}${spec.country ? ` --country ${spec.country}` : ''}\``,
      '',
      describe,
      '',
      markdownTable(
        [
          'model',
          'click AUC (test)',
          'conversion AUC (test, entire space)',
          'epochs run (best), per seed',
          'train s / run',
        ],
        rows,
      ),
    ].join('\n'),
  );
}

const markdown = [
  '# ESMM, AITM, MMoE and PLE on the Ali-CCP and AliExpress layouts',
  '',
  `Generated by \`${commandLine}\` (${((performance.now() - started) / 60000).toFixed(1)} min).`,
  environmentLine(`${init.backend} (${init.info.description})`),
  '',
  `Protocol: data loaded as \`mtgrad train --data aliccp|aliexpress\` loads it (tasks click and conversion = click ∧ purchase over all impressions; AliExpress validation = a seeded 10 % of train). Embeddings ${EMBEDDING_DIM}-dim; ESMM and AITM towers [${TOWER}]; MMoE 8 experts × [${TOWER[0]}], towers [${TOWER[1]}]; PLE its defaults with experts [${TOWER[0]}], towers [${TOWER[1]}]. Each model's own loss (ESMM: CTR + CTCVR; AITM: + calibrator; MMoE/PLE: sum of the two BCEs). Adam lr ${HYPER.lr}, batch ${HYPER.batchSize}, at most ${HYPER.epochs} epochs, early stopping (patience ${HYPER.patience}) on the mean validation AUC of click and conversion, best weights restored. Mean ± sample std over seeds ${seeds.join(', ')} (initialisation and shuffling).`,
  '',
  'The ../shared samples have 100–200 rows and 1–3 conversions per split: their AUCs are smoke tests, not benchmarks. The generated files come from `scripts/generate-cascade-data.ts` (a known cascade; see docs/data.md), whose truth.json gives the oracle row.',
  ...(generated.length ? ['', `Generated with ${generated.join(' and ')}.`] : []),
  '',
  'Training seconds are wall time on a 2-core machine shared with other jobs (load average 15–20 while this ran): compare them only roughly.',
  '',
  ...sections.flatMap((s) => [s, '']),
].join('\n');
console.error(`wrote ${writeResults('ecommerce', markdown)}`);
