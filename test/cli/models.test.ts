/**
 * All ten models from the command line: the tabular ones train on any dataset and `eval` reloads the data from the
 * checkpoint's metadata (no --data); esmm/aitm/rnr refuse data of the wrong kind in one line naming the kind they
 * need, and train on click → conversion and user–item tables through the command's own run (`trainOnData`, what
 * `mtgrad train` calls once the data is loaded), whose checkpoints `mtgrad predict` then scores.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fitTable } from '../../src/data/table-reader.js';
import { SeededRandom } from '../../src/data/random.js';
import type { EncodedTable } from '../../src/data/table.js';
import type { TableSpec } from '../../src/data/schema.js';
import { trainOnData, type TrainData, type TrainSettings } from '../../src/cli/commands/train.js';
import type { CascadeRelation } from '../../src/cli/model-config.js';
import { readCheckpoint } from '../../src/infer/index.js';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { type CliResult as Result, mtgrad } from './run-cli.js';

const errorLines = (r: Result) => r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Warning:'));

describe("every tabular model from the command line, evaluated from the checkpoint's metadata", () => {
  const TABULAR = ['singleTask', 'sharedBottom', 'omoe', 'mmoe', 'cgc', 'ple', 'mran'];
  const outs: Record<string, string> = {};
  it.each(TABULAR)(
    '%s: trains on synthetic data, then eval needs no --data',
    async (model) => {
      const out = await mkdtemp(join(tmpdir(), `mtgrad-${model}-`));
      outs[model] = out;
      const train = await mtgrad([
        'train',
        '--model',
        model,
        '--data',
        'synthetic',
        '--limit',
        '300',
        '--epochs',
        '1',
        '--batch-size',
        '100',
        '--backend',
        'js',
        '--probe-every',
        '0',
        '--seed',
        '3',
        '--out',
        out,
      ]);
      expect(train.stderr).not.toMatch(/mtgrad train:/);
      expect(train.code).toBe(0);
      for (const file of ['model.safetensors', 'metrics.json', 'report.html'])
        expect(existsSync(join(out, file))).toBe(true);
      const checkpoint = await readCheckpoint(join(out, 'model.safetensors'));
      expect(checkpoint.dataset).toEqual({ name: 'synthetic', limit: 300, seed: 3 });
      const evaluated = await mtgrad([
        'eval',
        '--checkpoint',
        join(out, 'model.safetensors'),
        '--backend',
        'js',
        '--json',
      ]);
      expect(evaluated.stderr).not.toMatch(/mtgrad eval:/);
      expect(evaluated.code).toBe(0);
      const metrics = JSON.parse(evaluated.stdout);
      const trained = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
      expect(metrics.task1.count).toBe(75);
      expect(metrics.task1.rmse).toBeCloseTo(trained.test.task1.rmse, 6);
      expect(metrics.task2.rmse).toBeCloseTo(trained.test.task2.rmse, 6);
    },
    120_000,
  );

  it('evaluates a checkpoint written before mtgrad.dataset existed (dataset in its metrics), and asks for --data when none is recorded', async () => {
    const file = parseSafetensors(await readFile(join(outs.mmoe, 'model.safetensors')));
    const { 'mtgrad.dataset': _dataset, 'mtgrad.labels': _labels, ...older } = file.metadata;
    // What `mtgrad train` recorded before: the dataset inside the metrics, without the row limit.
    const metrics = { ...JSON.parse(older['mtgrad.metrics']), dataset: { name: 'synthetic', group: 1, seed: 3 } };
    const oldPath = join(outs.mmoe, 'old.safetensors');
    await writeFile(
      oldPath,
      serializeSafetensors(file.tensors, { ...older, 'mtgrad.metrics': JSON.stringify(metrics) }),
    );
    const r = await mtgrad(['eval', '--checkpoint', oldPath, '--limit', '300', '--backend', 'js', '--json']);
    expect(r.stderr).not.toMatch(/mtgrad eval:/);
    expect(r.code).toBe(0);
    const trained = JSON.parse(await readFile(join(outs.mmoe, 'metrics.json'), 'utf8'));
    expect(JSON.parse(r.stdout).task1.rmse).toBeCloseTo(trained.test.task1.rmse, 6);

    const barePath = join(outs.mmoe, 'bare.safetensors');
    const { 'mtgrad.metrics': _metrics, ...bare } = older;
    await writeFile(barePath, serializeSafetensors(file.tensors, bare));
    const missing = await mtgrad(['eval', '--checkpoint', barePath, '--backend', 'js']);
    expect(missing.code).toBe(2);
    expect(errorLines(missing).at(-1)).toBe(
      `mtgrad eval: --data is required: ${barePath} does not record the dataset it was trained on`,
    );
  }, 120_000);

  it('refuses esmm, aitm and rnr on data without a cascade or user–item columns, in one line naming the data kind', async () => {
    const cases: [string, RegExp][] = [
      [
        'esmm',
        /^mtgrad train: --model esmm needs click → conversion data: a cascade relation conversion ⊂ click .*; synthetic \(p = 0\.5\) has none$/,
      ],
      [
        'aitm',
        /^mtgrad train: --model aitm needs funnel data: a cascade relation conversion ⊂ click .*; synthetic \(p = 0\.5\) has none$/,
      ],
      [
        'rnr',
        /^mtgrad train: --model rnr needs user–item data: .*\(e\.g\. --data movielens\); synthetic \(p = 0\.5\) has none$/,
      ],
    ];
    for (const [model, message] of cases) {
      const r = await mtgrad([
        'train',
        '--model',
        model,
        '--data',
        'synthetic',
        '--limit',
        '50',
        '--backend',
        'js',
        '--out',
        join(tmpdir(), 'mtgrad-refused'),
      ]);
      expect(r.code, model).toBe(2);
      // Notes on the backend and the loaded data come first; the error is one line, the last.
      const errors = errorLines(r).filter((l) => l.startsWith('mtgrad'));
      expect(errors, model).toHaveLength(1);
      expect(errorLines(r).at(-1)).toMatch(message);
    }
  }, 120_000);
});

/** Splits a fitted table 60/20/20 into a TrainData. */
function splitData(
  name: string,
  schema: TrainData['schema'],
  table: EncodedTable,
  tasks: TrainData['tasks'],
  kinds: TrainData['kinds'],
  relations?: CascadeRelation[],
): TrainData {
  const rows = (a: number, b: number) => table.subset(Int32Array.from({ length: b - a }, (_, i) => a + i));
  const n = table.size,
    a = Math.floor(n * 0.6),
    b = Math.floor(n * 0.8);
  return {
    name,
    schema,
    tasks,
    kinds,
    train: rows(0, a),
    validation: rows(a, b),
    test: rows(b, n),
    ...(relations ? { relations } : {}),
  };
}

/** A click → conversion table: conversion = click ∧ purchase on every impression (the ESMM paper's layout). */
async function cascadeData(dir: string): Promise<TrainData> {
  const rng = new SeededRandom(5);
  const colours = ['red', 'blue', 'green', 'black'];
  const lines = ['colour,shop,price,click,conversion'];
  for (let i = 0; i < 900; i++) {
    const c = rng.nextInt(4),
      shop = rng.nextInt(6),
      price = rng.normal();
    const click = rng.nextFloat() < 1 / (1 + Math.exp(-(c - 1.5 - price))) ? 1 : 0;
    const buy = click && rng.nextFloat() < 1 / (1 + Math.exp(-(shop - 3))) ? 1 : 0;
    lines.push(`${colours[c]},s${shop},${price.toFixed(3)},${click},${buy}`);
  }
  await writeFile(join(dir, 'impressions.csv'), `${lines.join('\n')}\n`);
  const spec: TableSpec = {
    columns: [
      { column: 'colour', role: 'categorical' },
      { column: 'shop', role: 'categorical' },
      { column: 'price', role: 'numeric' },
      { column: 'click', role: 'label', task: 'click' },
      { column: 'conversion', role: 'label', task: 'conversion' },
    ],
  };
  const { schema, table } = await fitTable(join(dir, 'impressions.csv'), spec);
  return splitData('impressions', schema, table, ['click', 'conversion'], { click: 'binary', conversion: 'binary' }, [
    { kind: 'cascade', parent: 'click', child: 'conversion' },
  ]);
}

/** Observed (user, item, stars) pairs and sampled negatives (watched 0, stars missing). */
async function userItemData(dir: string): Promise<TrainData> {
  const rng = new SeededRandom(6);
  const lines = ['user,item,watched,stars'];
  for (let i = 0; i < 800; i++) {
    const user = rng.nextInt(20),
      item = rng.nextInt(30),
      watched = rng.nextInt(2);
    lines.push(`u${user},i${item},${watched},${watched ? 1 + ((user + item) % 5) : 'NA'}`);
  }
  await writeFile(join(dir, 'ratings.csv'), `${lines.join('\n')}\n`);
  const spec: TableSpec = {
    columns: [
      { column: 'user', role: 'categorical' },
      { column: 'item', role: 'categorical' },
      { column: 'watched', role: 'label', task: 'watched' },
      { column: 'stars', role: 'label', task: 'stars', missing: ['NA'] },
    ],
  };
  const { schema, table } = await fitTable(join(dir, 'ratings.csv'), spec);
  return splitData('ratings', schema, table, ['watched', 'stars'], { watched: 'binary', stars: 'regression' });
}

function settings(modelName: string, outDir: string): TrainSettings {
  return {
    modelName,
    backend: 'js',
    epochs: 2,
    batchSize: 128,
    lr: 0.01,
    seed: 1,
    patience: 2,
    probeEvery: 2,
    optimizerName: 'adam',
    weightingName: 'sum',
    groupLrs: {},
    sizes: { embeddingDim: 4 },
    explicit: new Set(),
    outDir,
    wallStart: performance.now(),
  };
}

function quietIO() {
  const stdout = new PassThrough(),
    stderr = new PassThrough();
  let text = '';
  stdout.on('data', (d: Buffer) => {
    text += d.toString();
  });
  stderr.resume();
  return { io: { stdout, stderr, stdin: new PassThrough() }, output: () => text };
}

describe("esmm, aitm and rnr through the train command's run, scored by mtgrad predict", () => {
  it('esmm on click → conversion data: ctr ← click, ctcvr ← conversion, predict gives pCTCVR = pCTR·pCVR', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-esmm-'));
    const { io, output } = quietIO();
    expect(
      await trainOnData(
        { ...settings('esmm', dir), sizes: { embeddingDim: 4, towerDims: [8] }, explicit: new Set(['tower-dims']) },
        await cascadeData(dir),
        null,
        io,
      ),
    ).toBe(0);
    expect(output()).toMatch(/test metrics/);
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    // pCVR has no loss but is scored on the clicked impressions (conversion where click), as in the paper.
    expect(Object.keys(metrics.test)).toEqual(['ctr', 'cvr', 'ctcvr']);
    expect(metrics.test.ctr.count).toBe(180);
    const clicked = (await cascadeData(dir)).test.labels.click.reduce((s, v) => s + v, 0);
    expect(metrics.test.cvr.count).toBe(clicked);
    const labels = { ctr: 'click', ctcvr: 'conversion', cvr: { label: 'conversion', where: 'click' } };
    expect(metrics.labels).toEqual(labels);
    const checkpoint = await readCheckpoint(join(dir, 'model.safetensors'));
    expect(checkpoint.labels).toEqual(labels);
    expect(checkpoint.model.config).toMatchObject({ ctrTowerDims: [8], cvrTowerDims: [8] });
    const r = await mtgrad(
      ['predict', '--checkpoint', join(dir, 'model.safetensors'), '--backend', 'js'],
      '{"colour": "red", "shop": "s4", "price": 0.5}\n{"colour": "blue", "shop": "s1", "price": -1}\n',
    );
    expect(r.stderr).not.toMatch(/mtgrad predict:/);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['ctr', 'cvr', 'ctcvr']);
      expect(l.ctcvr).toBeCloseTo(l.ctr * l.cvr, 5);
    }
  }, 120_000);

  it('aitm on click → conversion data: the funnel [click, conversion] as its tasks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-aitm-'));
    const { io } = quietIO();
    expect(
      await trainOnData(
        { ...settings('aitm', dir), sizes: { embeddingDim: 4, towerDims: [8, 4] }, explicit: new Set(['tower-dims']) },
        await cascadeData(dir),
        null,
        io,
      ),
    ).toBe(0);
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    expect(Object.keys(metrics.test)).toEqual(['click', 'conversion']);
    expect(metrics.history.gradientCosines.length).toBeGreaterThan(0);
    const r = await mtgrad(
      ['predict', '--checkpoint', join(dir, 'model.safetensors'), '--backend', 'js'],
      '{"colour": "red", "shop": "s4", "price": 0.5}\n',
    );
    expect(r.code).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['click', 'conversion']);
  }, 120_000);

  it('rnr on user–item data: rank ← the binary task, rating ← the regression task (masked on negatives)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-rnr-'));
    const { io } = quietIO();
    const data = await userItemData(dir);
    expect(await trainOnData(settings('rnr', dir), data, null, io)).toBe(0);
    const metrics = JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.labels).toEqual({ rank: 'watched', rating: 'stars' });
    expect(metrics.test.rank.count).toBe(data.test.size);
    expect(metrics.test.rating.count).toBeLessThan(data.test.size);
    expect(metrics.test.rating.rmse).toBeGreaterThan(0);
    const r = await mtgrad(
      ['predict', '--checkpoint', join(dir, 'model.safetensors'), '--backend', 'js'],
      '{"user": "u3", "item": "i5"}\n{"user": "nobody", "item": "i1"}\n',
    );
    expect(r.stderr).not.toMatch(/mtgrad predict:/);
    expect(r.code).toBe(0);
    for (const l of r.stdout
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x))) {
      expect(l.rank).toBeGreaterThan(0);
      expect(l.rank).toBeLessThan(1);
      expect(Number.isFinite(l.rating)).toBe(true);
    }
    // A user–item model refuses the wrong data kind in the same way.
    const wrong = trainOnData(settings('rnr', dir), await cascadeData(dir), null, io);
    await expect(wrong).rejects.toThrow(/^--model rnr needs user–item data: .*; impressions has none$/);
  }, 120_000);
});
