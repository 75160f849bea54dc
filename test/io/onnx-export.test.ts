/**
 * ONNX export checked in ONNX Runtime: every model of the zoo is trained for a few steps on real Census-Income rows,
 * saved as a checkpoint, exported with `mtgrad export` (the command, in-process), and run by onnxruntime-node; its
 * scores must equal mtgrad's predict() on the same encoded rows to 1e-5, at two batch sizes (the batch axis is
 * dynamic), with out-of-vocabulary ids included.
 *
 * onnxruntime-node is a dev dependency (installed with --ignore-scripts: its CPU binary is in the package). Where it
 * cannot load, the tests are skipped with a visible line — unless CI=true or MTGRAD_REQUIRE is set (as in CI),
 * where that fails the run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadCensus, type CensusData } from '../../src/data/census/load-census.js';
import { createModel, type ModelName, type MultiTaskModel } from '../../src/models/index.js';
import { Adam } from '../../src/optim/index.js';
import { readCheckpoint, restoreWeights, saveCheckpoint } from '../../src/train/checkpoint.js';
import { run } from '../../src/cli/main.js';
import { encodeModel } from '../../src/io/onnx/model.js';
import { exportOnnx, ONNX_EXPORT_MODELS, type OnnxExportDescription } from '../../src/index.js';

type Ort = typeof import('onnxruntime-node');

const required = /^(1|true)$/i.test(process.env.CI ?? '') || (process.env.MTGRAD_REQUIRE ?? '').trim() !== '';
let ort: Ort | null = null;
let ortProblem = '';
try {
  const loaded = await import('onnxruntime-node');
  // The native binding loads on the first session: open a one-node model so a broken binary counts as unavailable.
  const probe = encodeModel({
    graph: {
      name: 'probe',
      nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'], name: 'n' }],
      initializers: [],
      inputs: [{ name: 'x', dtype: 'float32', dims: [1] }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [1] }],
    },
    opset: 17,
    producerName: 'probe',
    producerVersion: '0',
  });
  await (await loaded.InferenceSession.create(probe)).release();
  ort = loaded;
} catch (error) {
  ortProblem = (error as Error).message.split('\n')[0]!;
}
if (!ort) {
  if (required)
    throw new Error(
      `onnxruntime-node cannot be loaded (${ortProblem}), and CI/MTGRAD_REQUIRE asks for every check to run`,
    );
  console.warn(
    `[onnx export] SKIPPING the ONNX Runtime checks: onnxruntime-node cannot be loaded (${ortProblem}); install it with npm install --ignore-scripts`,
  );
}

const TOLERANCE = 1e-5;
const ROWS = 512;

function capture() {
  let stdout = '',
    stderr = '';
  const out = new PassThrough(),
    err = new PassThrough();
  out.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  err.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return { io: { stdout: out, stderr: err, stdin: new PassThrough() }, text: () => ({ stdout, stderr }) };
}

/** One model per zoo entry, sized small, reading the census schema's fields (MRAN also on a dense input). */
function configs(census: CensusData): Record<string, { name: ModelName; config: Record<string, unknown> }> {
  const schema = census.schema;
  const categorical = schema.categoricalFeatures.map((f) => ({ name: f.name, vocabularySize: f.vocabularySize }));
  const numeric = schema.numericFeatures.map((f) => ({ name: f.name }));
  const features = { categorical, numeric, embeddingDim: 4 };
  // The encoder's own standardisation (num_mean/num_std buffers) on top of the schema's, to cover that path too.
  const standardising = { ...features, numeric: numeric.map((f, i) => ({ ...f, mean: 0.1 * i, std: 1 + 0.5 * i })) };
  const tasks = [{ name: 'income' }, { name: 'never_married' }];
  const regressionTasks = [{ name: 'income' }, { name: 'never_married', type: 'regression' }];
  return {
    singleTask: { name: 'singleTask', config: { features, tasks: regressionTasks, hiddenDims: [8, 4] } },
    sharedBottom: {
      name: 'sharedBottom',
      config: { features: standardising, tasks, bottomDims: [16, 8], towerDims: [4] },
    },
    omoe: {
      name: 'omoe',
      config: { features, tasks, numExperts: 3, expertDims: [8], towerDims: [4], gateHiddenDims: [5] },
    },
    mmoe: {
      name: 'mmoe',
      config: { features, tasks: regressionTasks, numExperts: 4, expertDims: [12, 8], towerDims: [4], gateBias: true },
    },
    cgc: {
      name: 'cgc',
      config: { features: standardising, tasks, specificExperts: 2, sharedExperts: 1, expertDims: [8], towerDims: [4] },
    },
    ple: {
      name: 'ple',
      config: { features, tasks, levels: 2, specificExperts: 1, sharedExperts: 2, expertDims: [8, 6], towerDims: [4] },
    },
    esmm: { name: 'esmm', config: { features, ctrTowerDims: [8, 4], cvrTowerDims: [6] } },
    aitm: { name: 'aitm', config: { features, tasks, towerDims: [8, 4], headDims: [3] } },
    rnr: {
      name: 'rnr',
      config: {
        numUsers: categorical[1]!.vocabularySize,
        numItems: categorical[2]!.vocabularySize,
        embeddingDim: 5,
        ratingActivation: 'tanh',
      },
    },
    mran: { name: 'mran', config: { features, tasks: regressionTasks, tokenDim: 4, towerDims: [6] } },
    mranDense: { name: 'mran', config: { inputDim: schema.nNum, tasks, tokenDim: 3, towerDims: [4] } },
  };
}

interface Rows {
  size: number;
  cat: Int32Array;
  num: Float32Array;
  labels: Record<string, Float32Array>;
}

function firstRows(census: CensusData, split: 'train' | 'test', n: number): Rows {
  const t = census[split];
  const { nCat, nNum } = census.schema;
  return {
    size: n,
    cat: t.cat.slice(0, n * nCat),
    num: t.num.slice(0, n * nNum),
    labels: Object.fromEntries(Object.entries(t.labels).map(([k, v]) => [k, v.slice(0, n)])),
  };
}

/** The model's input for these rows: the encoded batch, the numeric block alone (dense), or two id columns (rnr). */
function modelInput(
  key: string,
  rows: Rows,
  nCat: number,
  nNum: number,
): {
  mtgrad: unknown;
  ort: Record<string, { type: 'int32' | 'float32'; data: Int32Array | Float32Array; dims: number[] }>;
} {
  const B = rows.size;
  if (key === 'rnr') {
    const user = Int32Array.from({ length: B }, (_, i) => rows.cat[i * nCat + 1]!);
    const item = Int32Array.from({ length: B }, (_, i) => rows.cat[i * nCat + 2]!);
    return {
      mtgrad: {
        user: mt.tensor(user, { dtype: 'int32', shape: [B] }),
        item: mt.tensor(item, { dtype: 'int32', shape: [B] }),
      },
      ort: { user: { type: 'int32', data: user, dims: [B] }, item: { type: 'int32', data: item, dims: [B] } },
    };
  }
  if (key === 'mranDense') {
    return {
      mtgrad: mt.tensor(rows.num, { shape: [B, nNum] }),
      ort: { x: { type: 'float32', data: rows.num, dims: [B, nNum] } },
    };
  }
  return {
    mtgrad: {
      cat: mt.tensor(rows.cat, { dtype: 'int32', shape: [B, nCat] }),
      num: mt.tensor(rows.num, { shape: [B, nNum] }),
    },
    ort: {
      cat: { type: 'int32', data: rows.cat, dims: [B, nCat] },
      num: { type: 'float32', data: rows.num, dims: [B, nNum] },
    },
  };
}

// Any model of the zoo: the cases mix feature batches, dense tensors and rnr's ids.
// biome-ignore lint/suspicious/noExplicitAny: any of the ten models, whatever its config type
type Model = MultiTaskModel<any>;

function labelsFor(key: string, model: Model, rows: Rows): Record<string, Tensor> {
  const income = rows.labels.income!,
    married = rows.labels.never_married!;
  const B = rows.size;
  const t = (v: Float32Array) => mt.tensor(v, { shape: [B] });
  if (key === 'esmm') return { ctr: t(married), ctcvr: t(Float32Array.from(income, (y, i) => y * married[i]!)) };
  if (key === 'rnr')
    return { rank: t(income), rating: t(Float32Array.from({ length: B }, (_, i) => rows.num[i * 7]!)) };
  return Object.fromEntries(model.tasks.map((task) => [task.name, t(task.name === 'income' ? income : married)]));
}

/** A few Adam steps on census training rows, so the weights are not their initial values. */
function trainBriefly(key: string, model: Model, census: CensusData): void {
  const { nCat, nNum } = census.schema;
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  model.train();
  for (let step = 0; step < 4; step++) {
    const all = firstRows(census, 'train', 256 * (step + 1));
    const rows: Rows = {
      size: 256,
      cat: all.cat.slice(256 * step * nCat),
      num: all.num.slice(256 * step * nNum),
      labels: Object.fromEntries(Object.entries(all.labels).map(([k, v]) => [k, v.slice(256 * step)])),
    };
    mt.tidy(() => {
      opt.zeroGrad();
      const loss = model.loss(model.forward(modelInput(key, rows, nCat, nNum).mtgrad), labelsFor(key, model, rows));
      loss.backward();
      opt.step();
    });
  }
  model.eval();
}

describe.skipIf(!ort)('ONNX export, checked in ONNX Runtime on census rows', () => {
  let census: CensusData;
  let dir: string;
  let cases: ReturnType<typeof configs>;

  beforeAll(async () => {
    census = await loadCensus({ group: 1 });
    dir = await mkdtemp(join(tmpdir(), 'mtgrad-onnx-'));
    cases = configs(census);
  }, 120_000);

  it('covers every model of the zoo', () => {
    expect([...ONNX_EXPORT_MODELS].sort()).toEqual([...mt.MODEL_NAMES].sort());
    expect(new Set(Object.values(cases).map((c) => c.name))).toEqual(new Set(mt.MODEL_NAMES));
  });

  const KEYS = ['singleTask', 'sharedBottom', 'omoe', 'mmoe', 'cgc', 'ple', 'esmm', 'aitm', 'rnr', 'mran', 'mranDense'];
  it.each(KEYS)(
    '%s: ONNX Runtime scores equal mtgrad predict() to 1e-5',
    async (key) => {
      const { name, config } = cases[key]!;
      const { nCat, nNum } = census.schema;
      mt.manualSeed(7);
      const model: Model = createModel(name, config);
      trainBriefly(key, model, census);
      const checkpointPath = join(dir, `${key}.safetensors`);
      await saveCheckpoint(checkpointPath, { model, schema: census.schema });
      model.dispose();

      const out = join(dir, `${key}.onnx`);
      const cli = capture();
      const code = await run(['export', '--checkpoint', checkpointPath, '--format', 'onnx', '--out', out], cli.io);
      expect(code, cli.text().stderr).toBe(0);
      expect(cli.text().stdout).toContain(`export: ${name} → ${out}`);
      const description = JSON.parse(await readFile(join(dir, `${key}.schema.json`), 'utf8')) as OnnxExportDescription;
      expect(description.outputs.map((o) => o.name)).toEqual(description.outputs.map((o) => o.task));
      expect((await stat(out)).size).toBeGreaterThan(0);

      // mtgrad's side: the model rebuilt from the checkpoint, as an app would load it.
      const checkpoint = await readCheckpoint(checkpointPath);
      const loaded: Model = createModel(name, checkpoint.model.config);
      restoreWeights(checkpoint, loaded);
      const session = await ort!.InferenceSession.create(await readFile(out));
      expect([...session.inputNames].sort()).toEqual(description.inputs.map((i) => i.name).sort());
      expect([...session.outputNames]).toEqual(loaded.tasks.map((t) => t.name));

      const test = firstRows(census, 'test', ROWS);
      // Ids outside the vocabulary (negative, too large) must read row 0 in both, as the FeatureEncoder maps them.
      if (key !== 'rnr') {
        test.cat[3] = -5;
        test.cat[nCat + 4] = 100_000;
      }
      for (const n of [ROWS, 1]) {
        const rows: Rows = { ...test, size: n, cat: test.cat.slice(0, n * nCat), num: test.num.slice(0, n * nNum) };
        const input = modelInput(key, rows, nCat, nNum);
        const feeds = Object.fromEntries(
          Object.entries(input.ort).map(([k, v]) => [k, new ort!.Tensor(v.type, v.data, v.dims)]),
        );
        const got = await session.run(feeds);
        const want = mt.tidy(() =>
          Object.fromEntries(Object.entries(loaded.predict(input.mtgrad)).map(([k, v]) => [k, v.dataSync().slice()])),
        );
        for (const o of description.outputs) {
          const g = got[o.name]!;
          expect(g.dims).toEqual([n]);
          const a = g.data as Float32Array,
            b = want[o.name]!;
          let worst = 0;
          for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
          expect(worst, `${key} task ${o.name} (batch ${n}): max |onnx − mtgrad|`).toBeLessThanOrEqual(TOLERANCE);
          if (o.kind === 'probability') expect(Math.min(...a) >= 0 && Math.max(...a) <= 1).toBe(true);
        }
      }
      loaded.dispose();
      await session.release();
    },
    120_000,
  );
});

describe.skipIf(!ort)('ONNX export of float64 weights', () => {
  it('exports a float64 model in float32 and matches its predictions to 1e-5', async () => {
    mt.manualSeed(11);
    const config = {
      inputDim: 5,
      tasks: [{ name: 'a' }, { name: 'b', type: 'regression' }],
      numExperts: 3,
      expertDims: [6],
      towerDims: [3],
    };
    const model = createModel('mmoe', config, { dtype: 'float64' });
    const state = model.stateDict();
    const tensors = Object.fromEntries(
      Object.entries(state).map(([k, t]) => [
        k,
        { dtype: t.dtype === 'float64' ? 'F64' : 'F32', shape: [...t.shape], data: t.dataSync().slice() },
      ]),
    );
    mt.dispose(state);
    expect(Object.values(tensors).every((t) => t.data instanceof Float64Array)).toBe(true);
    const { bytes } = exportOnnx({ model: { name: 'mmoe', config }, tensors });
    const x = Float64Array.from({ length: 9 * 5 }, (_, i) => Math.cos(i * 1.3) * 2);
    const session = await ort!.InferenceSession.create(bytes);
    const got = await session.run({ x: new ort!.Tensor('float32', Float32Array.from(x), [9, 5]) });
    const want = mt.tidy(() =>
      Object.fromEntries(
        Object.entries(model.predict(mt.tensor(x, { shape: [9, 5], dtype: 'float64' }))).map(([k, v]) => [
          k,
          v.dataSync().slice(),
        ]),
      ),
    );
    for (const task of ['a', 'b']) {
      const a = got[task]!.data as Float32Array;
      for (let i = 0; i < 9; i++) expect(Math.abs(a[i]! - want[task]![i]!)).toBeLessThanOrEqual(TOLERANCE);
    }
    model.dispose();
    await session.release();
  });
});

describe('ONNX export errors', () => {
  const config = { inputDim: 3, tasks: [{ name: 'a' }], bottomDims: [4], towerDims: [2] };
  const stateOf = (cfg: Record<string, unknown> = config) => {
    const m = createModel('sharedBottom', cfg);
    const tensors = Object.fromEntries(
      Object.entries(m.stateDict()).map(([k, t]) => [
        k,
        { dtype: 'F32', shape: [...t.shape], data: t.dataSync().slice() },
      ]),
    );
    m.dispose();
    return tensors;
  };

  it('refuses weights that do not fit the model its config builds: missing, extra, misshapen', () => {
    const { 'towers.a.net.fc2.bias': _dropped, ...rest } = stateOf();
    expect(() => exportOnnx({ model: { name: 'sharedBottom', config }, tensors: rest })).toThrow(
      /ONNX export of sharedBottom: the checkpoint's weights do not fit the model its config builds: missing 'towers\.a\.net\.fc2\.bias'/,
    );
    const extra = { ...stateOf(), 'bottom.fc9.weight': { dtype: 'F32', shape: [1], data: new Float32Array(1) } };
    expect(() => exportOnnx({ model: { name: 'sharedBottom', config }, tensors: extra })).toThrow(
      /not in the model: 'bottom\.fc9\.weight'/,
    );
    const bent = { ...stateOf(), 'bottom.fc1.weight': { dtype: 'F32', shape: [3, 4], data: new Float32Array(12) } };
    expect(() => exportOnnx({ model: { name: 'sharedBottom', config }, tensors: bent })).toThrow(
      /'bottom\.fc1\.weight' is \[3, 4\], the model's \[4, 3\]/,
    );
  });

  it('names an unknown model and a task named like an input', () => {
    const rest = stateOf();
    expect(() => exportOnnx({ model: { name: 'wideAndDeep', config }, tensors: rest })).toThrow(
      /unknown model 'wideAndDeep' \(exportable: singleTask, /,
    );
    const named = { ...config, tasks: [{ name: 'x' }] };
    expect(() => exportOnnx({ model: { name: 'sharedBottom', config: named }, tensors: stateOf(named) })).toThrow(
      /task 'x' has the name of a graph input/,
    );
  });

  it('mtgrad export is listed in the help and answers --help with the supported models', async () => {
    const main = capture();
    expect(await run(['--help'], main.io)).toBe(0);
    expect(main.text().stdout).toMatch(/^\s+export\s+export a checkpoint to ONNX/m);
    const help = capture();
    expect(await run(['export', '--help'], help.io)).toBe(0);
    expect(help.text().stdout).toMatch(/^Usage: mtgrad export --checkpoint FILE --out FILE\.onnx/);
    expect(help.text().stdout).toContain(`Models: ${mt.MODEL_NAMES.join(', ')}.`);
  });

  it('mtgrad export rejects another format and a missing --out with usage errors', async () => {
    const a = capture();
    expect(
      await run(['export', '--checkpoint', 'm.safetensors', '--format', 'tflite', '--out', 'm.tflite'], a.io),
    ).toBe(2);
    expect(a.text().stderr).toMatch(/--format must be one of onnx, got 'tflite'/);
    const b = capture();
    expect(await run(['export', '--checkpoint', 'm.safetensors'], b.io)).toBe(2);
    expect(b.text().stderr).toMatch(/--out is required/);
  });
});
