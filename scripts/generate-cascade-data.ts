/**
 * Writes a click → conversion dataset of any size in the AliExpress (MTReclib) or Ali-CCP (ESMM / torch-rechub)
 * CSV layout, with a known cascade, streaming rows to disk (memory does not grow with --rows).
 *
 *   node --import tsx scripts/generate-cascade-data.ts --format aliexpress --rows 10000000 --out data/ae-10m [--country NL]
 *   node --import tsx scripts/generate-cascade-data.ts --format aliccp --rows 1000000 --out data/ccp-1m --gzip
 *
 * Generative model (seeded, `--seed`, default 2024), per impression:
 *   categorical field f takes value v with Zipf(1.1) probabilities over its vocabulary (sizes 2…5000, as skewed
 *   as real id fields); numeric features x_j ~ U(0, 1) (the layouts' min-max scaled columns), the first 8 informative;
 *   ctrLogit = ctrBias + Σ_f a_f[v_f] + Σ_j wa_j·(x_j − ½),   cvrLogit = cvrBias + Σ_f b_f[v_f] + Σ_j wb_j·(x_j − ½)
 *   with a_f[v], b_f[v] ~ N(0, effect²) correlated with ρ (`--correlation`, default 0.5) and likewise wa, wb;
 *   click ~ Bernoulli(σ(ctrLogit)); purchase/conversion ~ Bernoulli(σ(cvrLogit)) only when clicked, so
 *   conversion ⊂ click holds on every row, and the selection bias of clicked rows is what ESMM corrects.
 * Splits: aliexpress: train.csv (90 %) and test.csv (10 %) in `OUT/AliExpress_<country>/` (validation is held out
 * of train by the loader); aliccp: ali_ccp_train.csv (50 %), ali_ccp_val.csv (25 %), ali_ccp_test.csv (25 %) — the
 * 2:1:1 of the torch-rechub preprocessing. `OUT/truth.json` records the settings, label rates and the AUC of the
 * true probabilities on the test split (the ceiling any model can reach: pCTR for click, pCTR·pCVR for conversion).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip, type Gzip } from 'node:zlib';
import { SeededRandom } from '../src/data/random.js';
import { ALI_CCP_DENSE_FIELDS, ALI_CCP_SPARSE_FIELDS } from '../src/data/ecommerce/ali-ccp.js';
import { rocAuc } from '../src/metrics/auc.js';

const { values } = parseArgs({
  options: {
    format: { type: 'string', default: 'aliexpress' },
    rows: { type: 'string', default: '1000000' },
    out: { type: 'string' },
    country: { type: 'string', default: 'NL' },
    seed: { type: 'string', default: '2024' },
    correlation: { type: 'string', default: '0.5' },
    'ctr-bias': { type: 'string', default: '-3.2' },
    'cvr-bias': { type: 'string', default: '-2.2' },
    effect: { type: 'string', default: '0.6' },
    gzip: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`generate-cascade-data: ${message}\n`);
  process.exit(2);
}

const format =
  values.format === 'aliexpress' || values.format === 'aliccp'
    ? values.format
    : fail(`--format must be aliexpress or aliccp, got '${values.format}'`);
const rows = Number(values.rows);
if (!Number.isSafeInteger(rows) || rows < 10) fail(`--rows must be an integer >= 10, got '${values.rows}'`);
const out = values.out ?? fail('--out DIR is required');
const seed = Number(values.seed);
const rho = Number(values.correlation);
const ctrBias = Number(values['ctr-bias']);
const cvrBias = Number(values['cvr-bias']);
const effect = Number(values.effect);
if (![seed, rho, ctrBias, cvrBias, effect].every(Number.isFinite) || Math.abs(rho) > 1)
  fail('--seed, --correlation (in [-1, 1]), biases and --effect must be numbers');

const sparseNames =
  format === 'aliexpress' ? Array.from({ length: 16 }, (_, i) => `categorical_${i + 1}`) : [...ALI_CCP_SPARSE_FIELDS];
const denseNames =
  format === 'aliexpress' ? Array.from({ length: 63 }, (_, i) => `numerical_${i + 1}`) : [...ALI_CCP_DENSE_FIELDS];
const VOCABULARY_SIZES = [5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2];
const vocabulary = sparseNames.map((_, f) => VOCABULARY_SIZES[f % VOCABULARY_SIZES.length]);
const INFORMATIVE_NUMERIC = Math.min(8, denseNames.length);

const rng = new SeededRandom(seed);
const q = Math.sqrt(1 - rho * rho);
// Per-field effect scale so the summed logit has standard deviation ≈ effect·sqrt(fields)/sqrt(fields) · 2.
const fieldScale = (2 * effect) / Math.sqrt(sparseNames.length);
const a = vocabulary.map((size) => new Float64Array(size));
const b = vocabulary.map((size) => new Float64Array(size));
vocabulary.forEach((size, f) => {
  for (let v = 0; v < size; v++) {
    const g1 = rng.normal();
    const g2 = rng.normal();
    a[f][v] = fieldScale * g1;
    b[f][v] = fieldScale * (rho * g1 + q * g2);
  }
});
const wa = new Float64Array(denseNames.length);
const wb = new Float64Array(denseNames.length);
for (let j = 0; j < INFORMATIVE_NUMERIC; j++) {
  const g1 = rng.normal();
  const g2 = rng.normal();
  wa[j] = 2 * effect * g1;
  wb[j] = 2 * effect * (rho * g1 + q * g2);
}
// Zipf(1.1) cumulative probabilities per field, sampled by binary search.
const cdfs = vocabulary.map((size) => {
  const cdf = new Float64Array(size);
  let total = 0;
  for (let v = 0; v < size; v++) cdf[v] = total += 1 / (v + 1) ** 1.1;
  for (let v = 0; v < size; v++) cdf[v] /= total;
  return cdf;
});
function zipf(f: number): number {
  const u = rng.nextFloat();
  const cdf = cdfs[f];
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

interface Sink {
  path: string;
  gzip: Gzip | null;
  file: WriteStream;
  rows: number;
  clicks: number;
  conversions: number;
}
async function open(path: string, header: string): Promise<Sink> {
  const file = createWriteStream(values.gzip ? `${path}.gz` : path);
  const gzip = values.gzip ? createGzip({ level: 6 }) : null;
  if (gzip) gzip.pipe(file);
  const sink = { path: values.gzip ? `${path}.gz` : path, gzip, file, rows: 0, clicks: 0, conversions: 0 };
  await write(sink, `${header}\n`);
  return sink;
}
function write(sink: Sink, text: string): Promise<void> | void {
  const target = sink.gzip ?? sink.file;
  if (!target.write(text)) return new Promise((done) => target.once('drain', () => done()));
}
function close(sink: Sink): Promise<void> {
  return new Promise((done, error) => {
    sink.file.once('finish', () => done());
    sink.file.once('error', error);
    (sink.gzip ?? sink.file).end();
  });
}

const folder = format === 'aliexpress' ? join(out, `AliExpress_${values.country!.toUpperCase()}`) : out;
await mkdir(folder, { recursive: true });
const splits =
  format === 'aliexpress'
    ? [
        { name: 'train', share: 0.9, file: 'train.csv' },
        { name: 'test', share: 0.1, file: 'test.csv' },
      ]
    : [
        { name: 'train', share: 0.5, file: 'ali_ccp_train.csv' },
        { name: 'validation', share: 0.25, file: 'ali_ccp_val.csv' },
        { name: 'test', share: 0.25, file: 'ali_ccp_test.csv' },
      ];
const header =
  format === 'aliexpress'
    ? ['search_id', ...sparseNames, ...denseNames, 'click', 'conversion'].join(',')
    : ['click', 'purchase', ...sparseNames, ...denseNames].join(',');
const sinks = await Promise.all(splits.map((s) => open(join(folder, s.file), header)));
const testIndex = splits.findIndex((s) => s.name === 'test');
const testRows = Math.ceil(rows * splits[testIndex].share * 1.05) + 1000;
const testPctr = new Float32Array(testRows);
const testPctcvr = new Float32Array(testRows);
const testClick = new Float32Array(testRows);
const testConversion = new Float32Array(testRows);
let testCount = 0;

const started = performance.now();
const ids = new Int32Array(sparseNames.length);
const x = new Float64Array(denseNames.length);
let batch: string[] = Array.from({ length: splits.length }, () => '');
for (let r = 0; r < rows; r++) {
  // Contiguous blocks per split (train rows first), like the files of a real log.
  let split = 0;
  for (let acc = 0, s = 0; s < splits.length; s++) {
    acc += splits[s].share;
    if (r < Math.round(acc * rows)) {
      split = s;
      break;
    }
  }
  let ctr = ctrBias;
  let cvr = cvrBias;
  for (let f = 0; f < ids.length; f++) {
    ids[f] = zipf(f);
    ctr += a[f][ids[f]];
    cvr += b[f][ids[f]];
  }
  for (let j = 0; j < x.length; j++) {
    x[j] = Math.round(rng.nextFloat() * 1e4) / 1e4;
    ctr += wa[j] * (x[j] - 0.5);
    cvr += wb[j] * (x[j] - 0.5);
  }
  const pctr = sigmoid(ctr);
  const pcvr = sigmoid(cvr);
  const click = rng.nextFloat() < pctr ? 1 : 0;
  const conversion = click && rng.nextFloat() < pcvr ? 1 : 0;
  const sink = sinks[split];
  sink.rows++;
  sink.clicks += click;
  sink.conversions += conversion;
  if (split === testIndex && testCount < testRows) {
    testPctr[testCount] = pctr;
    testPctcvr[testCount] = pctr * pcvr;
    testClick[testCount] = click;
    testConversion[testCount++] = conversion;
  }
  // Ids are 0-based integers, as the preprocessed files encode them (label-encoded in first-seen order).
  const line =
    format === 'aliexpress'
      ? `${Math.floor(r / 20)},${ids.join(',')},${x.join(',')},${click},${conversion}\n`
      : `${click},${conversion},${ids.join(',')},${x.join(',')}\n`;
  batch[split] += line;
  if (batch[split].length > 1 << 16) {
    await write(sink, batch[split]);
    batch[split] = '';
  }
}
await Promise.all(
  sinks.map(async (sink, s) => {
    if (batch[s]) await write(sink, batch[s]);
    await close(sink);
  }),
);
batch = [];

const auc = (scores: Float32Array, labels: Float32Array) =>
  rocAuc(labels.subarray(0, testCount), scores.subarray(0, testCount));
const truth = {
  generator: 'scripts/generate-cascade-data.ts',
  format,
  rows,
  seed,
  correlation: rho,
  ctrBias,
  cvrBias,
  effect,
  country: format === 'aliexpress' ? values.country!.toUpperCase() : undefined,
  vocabularySizes: vocabulary,
  informativeNumeric: INFORMATIVE_NUMERIC,
  files: sinks.map((s, i) => ({
    split: splits[i].name,
    path: s.path,
    rows: s.rows,
    clicks: s.clicks,
    conversions: s.conversions,
  })),
  oracleTestAuc: { click: auc(testPctr, testClick), conversion: auc(testPctcvr, testConversion) },
};
await writeFile(join(out, 'truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
process.stderr.write(
  `wrote ${rows.toLocaleString('en-US')} rows to ${folder} in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
    `${sinks.map((s, i) => `${splits[i].name} ${s.rows} rows, CTR ${(s.clicks / s.rows).toFixed(4)}, CTCVR ${(s.conversions / s.rows).toFixed(4)}`).join('; ')}; ` +
    `oracle test AUC click ${truth.oracleTestAuc.click.toFixed(4)}, conversion ${truth.oracleTestAuc.conversion.toFixed(4)}\n`,
);
