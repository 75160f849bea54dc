/** The CLI's dataset layer: flags and run files → DatasetSpec → loadDataset, and the real command on fixtures. */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyRunConfig,
  datasetSpecFromArgs,
  datasetSpecFromJSON,
  loadDataset,
  readRunConfig,
  type DatasetSpec,
} from '../../src/cli/datasets.js';
import { UsageError, type ParsedValues } from '../../src/cli/args.js';
import { mtgrad } from './run-cli.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');
const TRAIN_FLAGS = [
  'model',
  'data',
  'data-dir',
  'config',
  'country',
  'group',
  'epochs',
  'batch-size',
  'lr',
  'seed',
  'limit',
];

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'mtgrad-cli-datasets-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const TABLE = {
  columns: { f101: 'ignore', '205': 'categorical', D508: 'numeric' },
  tasks: [
    { name: 'click', kind: 'binary', label: 'click' },
    { name: 'conversion', kind: 'binary', label: 'purchase' },
  ],
  relations: [{ kind: 'cascade', parent: 'click', child: 'conversion' }],
  split: { train: 'aliccp/ali_ccp_train.csv', validation: 'aliccp/ali_ccp_val.csv', test: 'aliccp/ali_ccp_test.csv' },
};

async function runFile(name: string, content: unknown): Promise<string> {
  const path = join(directory, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('datasetSpecFromArgs', () => {
  it('builds specs for named datasets with absolute folders', () => {
    expect(datasetSpecFromArgs({ data: 'census', group: '2' }, null)).toEqual({ name: 'census', group: 2 });
    expect(
      datasetSpecFromArgs(
        { data: 'aliexpress', 'data-dir': 'test/fixtures/aliexpress', country: 'nl', limit: '5' },
        null,
      ),
    ).toEqual({ name: 'aliexpress', dir: resolve('test/fixtures/aliexpress'), country: 'NL', limit: 5 });
    expect(datasetSpecFromArgs({ data: 'synthetic', seed: '3', correlation: '0.9' }, null)).toEqual({
      name: 'synthetic',
      seed: 3,
      correlation: 0.9,
    });
  });

  it('refuses what does not fit, in one line naming the flag', () => {
    const cases: Array<[ParsedValues, string]> = [
      [
        { data: 'nosuch.csv' },
        "--data must be one of census, synthetic, aliccp, aliexpress, movielens, table or an existing file, got 'nosuch.csv'",
      ],
      [
        { data: join(fixtures, 'aliccp', 'ali_ccp_train.csv') },
        'needs --config FILE declaring its columns, tasks and split',
      ],
      [{ data: 'census', country: 'NL' }, "--country applies to --data aliexpress only, not 'census'"],
      [{ data: 'aliexpress', country: 'DE' }, "--country must be one of NL, ES, FR, US, RU, got 'DE'"],
      [{ data: 'synthetic', 'data-dir': '/tmp' }, '--data-dir does not apply to --data synthetic'],
    ];
    for (const [values, message] of cases) {
      expect(() => datasetSpecFromArgs(values, null)).toThrow(UsageError);
      expect(() => datasetSpecFromArgs(values, null)).toThrow(message);
    }
  });
});

describe('run files (--config)', () => {
  it('resolves paths against the file folder, and command-line flags override the file', async () => {
    const path = await runFile('run.json', {
      ...TABLE,
      split: { ...TABLE.split },
      train: { epochs: 3, lr: 0.01, model: 'mmoe' },
    });
    // Split paths in the file are relative to the file: point them at the fixtures.
    const content = JSON.parse(await readFile(path, 'utf8')) as { split: Record<string, string> };
    for (const key of Object.keys(content.split)) content.split[key] = join(fixtures, content.split[key]);
    await writeFile(path, JSON.stringify(content));
    const run = await readRunConfig(path, TRAIN_FLAGS);
    const values: ParsedValues = { data: 'census', epochs: '9', lr: '0.002', model: 'mmoe' };
    const explicit = new Set(['epochs']);
    applyRunConfig(values, explicit, run);
    expect(values).toEqual({ data: 'table', epochs: '9', lr: '0.01', model: 'mmoe' });
    // What the file set counts as given (size flags of non-MoE models apply only when given).
    expect([...explicit].sort()).toEqual(['epochs', 'lr', 'model']);
    const spec = datasetSpecFromArgs(values, run);
    expect(spec.name).toBe('table');
    const data = await loadDataset(JSON.parse(JSON.stringify(spec)) as DatasetSpec);
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([12, 6, 6]);
    expect(data.relations).toEqual([{ kind: 'cascade', parent: 'click', child: 'conversion' }]);
    expect(data.schema.categoricalFeatures.map((f) => f.name)).toEqual(['f205']);
  });

  it('reads a data path relative to the run file', async () => {
    const path = await runFile('relative.json', {
      ...TABLE,
      data: '../ignored.csv',
      split: { validation: 0.2, test: 0.2 },
    });
    const run = await readRunConfig(path, TRAIN_FLAGS);
    expect(run.flags.data).toBe(resolve(directory, '../ignored.csv'));
  });

  it('reports a bad file in one line naming the file and key path', async () => {
    const cases: Array<[unknown, string]> = [
      [
        { ...TABLE, tasks: [TABLE.tasks[0], { ...TABLE.tasks[1], label: 3 }] },
        'config.tasks[1].label: expected a column name, got 3',
      ],
      [{ ...TABLE, train: { epoch: 3 } }, 'config.train.epoch: unknown flag'],
      [
        { ...TABLE, train: { 'data-dir': 'x' } },
        'config.train.data-dir: a dataset key: write it at the top level of the config',
      ],
      [{ ...TABLE, dataset: 'census' }, 'config.dataset: unknown key'],
      ['{ "columns": ', 'not valid JSON'],
    ];
    for (const [content, message] of cases) {
      const path = await runFile('bad.json', content);
      const error = await readRunConfig(path, TRAIN_FLAGS).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toContain(`${path}: ${message}`);
    }
  });

  it('checks a dataset record read back from a checkpoint', () => {
    expect(datasetSpecFromJSON({ name: 'census', group: 2 }, 'm.json')).toEqual({ name: 'census', group: 2 });
    expect(() => datasetSpecFromJSON({ name: 'imagenet' }, 'm.json')).toThrow(
      "m.json.name: expected one of census, synthetic, aliccp, aliexpress, movielens, table, got 'imagenet'",
    );
    expect(() => datasetSpecFromJSON({ name: 'census', group: 3 }, 'm.json')).toThrow(
      'm.json.group: expected 1 or 2, got 3',
    );
  });
});

describe('mtgrad train on the fixtures (the real command)', () => {
  it('trains MMoE on the AliExpress fixture (--country) and on a run file, and eval reloads the recorded dataset', async () => {
    const out = join(directory, 'run-aliexpress');
    const train = await mtgrad([
      'train',
      '--data',
      'aliexpress',
      '--data-dir',
      join(fixtures, 'aliexpress'),
      '--country',
      'NL',
      '--epochs',
      '1',
      '--batch-size',
      '16',
      '--backend',
      'js',
      '--probe-every',
      '0',
      '--out',
      out,
    ]);
    expect(train.stderr).not.toMatch(/mtgrad train:/);
    expect(train.code).toBe(0);
    expect(train.stderr).toMatch(
      /data: AliExpress \(NL\): \d+ train \/ \d+ validation \/ 10 test rows, tasks click, conversion/,
    );
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.dataset).toEqual({ name: 'aliexpress', dir: join(fixtures, 'aliexpress'), country: 'NL' });
    const evaluated = await mtgrad([
      'eval',
      '--checkpoint',
      join(out, 'model.safetensors'),
      '--backend',
      'js',
      '--json',
    ]);
    expect(evaluated.stderr).not.toMatch(/mtgrad eval:/);
    expect(JSON.parse(evaluated.stdout).click.count).toBe(10);

    const content = {
      ...TABLE,
      split: Object.fromEntries(Object.entries(TABLE.split).map(([k, v]) => [k, join(fixtures, v)])),
      train: { epochs: 1, 'batch-size': 8 },
    };
    const runPath = await runFile('cli-run.json', content);
    const tableOut = join(directory, 'run-table');
    const fromFile = await mtgrad([
      'train',
      '--config',
      runPath,
      '--backend',
      'js',
      '--probe-every',
      '0',
      '--out',
      tableOut,
    ]);
    expect(fromFile.stderr).not.toMatch(/mtgrad train:/);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toMatch(/training: 12 rows, 1 epoch\(s\) of 2 steps, batch 8/);
    for (const file of ['model.safetensors', 'metrics.json', 'report.html'])
      expect(existsSync(join(tableOut, file))).toBe(true);
  }, 120_000);

  it('fails a bad label in one line naming file, line, column and task', async () => {
    const bad = join(directory, 'bad-labels.csv');
    await writeFile(bad, 'user,price,clicked\na,1,0\nb,2,1\nc,3,0.5\n');
    const runPath = await runFile('bad-labels.json', {
      columns: { user: 'categorical', price: 'numeric' },
      tasks: [{ name: 'click', kind: 'binary', label: 'clicked' }],
      split: { validation: 0.3, test: 0.3 },
    });
    const result = await mtgrad([
      'train',
      '--data',
      bad,
      '--config',
      runPath,
      '--backend',
      'js',
      '--out',
      join(directory, 'never'),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `mtgrad train: ${bad}:4: column clicked, task click: binary label "0.5" is not a declared value (expected "1" or "0")`,
    );
  }, 60_000);
});
