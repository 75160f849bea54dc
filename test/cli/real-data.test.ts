/**
 * esmm, aitm and rnr on the datasets they are for, as users run them: the real `mtgrad train --data aliccp|
 * aliexpress|movielens` command, then `mtgrad eval` with no --data (the spec is read from the checkpoint) and
 * `mtgrad predict` on a row built from the checkpoint's schema. Ali-CCP and AliExpress run on the fixtures under
 * test/fixtures (no ../shared needed); MovieLens needs ../shared/data/movielens-100k and is skipped with a visible
 * line where it is absent.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readCheckpoint } from '../../src/infer/index.js';
import { mtgrad } from './run-cli.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures');
const MOVIELENS = resolve(import.meta.dirname, '../../../shared/data/movielens-100k');
const movielensPresent = existsSync(join(MOVIELENS, 'ua.base.gz')) || existsSync(join(MOVIELENS, 'ua.base'));
if (!movielensPresent)
  console.log(
    `SKIPPED mtgrad train --model rnr --data movielens: ${MOVIELENS} is absent (put ml-100k there to run it)`,
  );

/** Train, check the three files and the recorded spec, then eval without --data must reproduce the test metrics. */
async function trainAndEval(model: string | null, dataArgs: string[], extra: string[] = []) {
  const out = await mkdtemp(join(tmpdir(), `mtgrad-${model ?? 'config'}-real-`));
  const train = await mtgrad([
    'train',
    ...(model ? ['--model', model] : []),
    ...dataArgs,
    '--epochs',
    '1',
    '--backend',
    'js',
    '--probe-every',
    '0',
    '--out',
    out,
    ...extra,
  ]);
  expect(train.stderr).not.toMatch(/mtgrad train:/);
  expect(train.code).toBe(0);
  for (const file of ['model.safetensors', 'metrics.json', 'report.html'])
    expect(existsSync(join(out, file))).toBe(true);
  const checkpointPath = join(out, 'model.safetensors');
  const trained = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
  const evaluated = await mtgrad(['eval', '--checkpoint', checkpointPath, '--backend', 'js', '--json']);
  expect(evaluated.stderr).not.toMatch(/mtgrad eval:/);
  expect(evaluated.code).toBe(0);
  const metrics = JSON.parse(evaluated.stdout) as Record<string, Record<string, number>>;
  expect(Object.keys(metrics)).toEqual(Object.keys(trained.test));
  for (const [task, m] of Object.entries(metrics)) {
    expect(m.count).toBe(trained.test[task].count);
    for (const key of ['auc', 'logloss', 'rmse'] as const)
      if (key in m) expect(m[key]).toBeCloseTo(trained.test[task][key], 6);
  }
  return { out, checkpointPath, trained, checkpoint: await readCheckpoint(checkpointPath) };
}

/** One input row keyed as predict expects: every feature column of the checkpoint's schema. */
async function predictOneRow(checkpointPath: string, dir: string): Promise<Record<string, number>> {
  const checkpoint = await readCheckpoint(checkpointPath);
  const schema = checkpoint.schema as { spec: { columns: { column: string; role: string; name?: string }[] } };
  const row: Record<string, string | number> = {};
  for (const c of schema.spec.columns) {
    if (c.role === 'categorical') row[c.name ?? c.column] = '1';
    else if (c.role === 'numeric') row[c.name ?? c.column] = 0.5;
  }
  const input = join(dir, 'rows.jsonl');
  await writeFile(input, `${JSON.stringify(row)}\n`);
  const r = await mtgrad(['predict', '--checkpoint', checkpointPath, '--input', input, '--backend', 'js']);
  expect(r.stderr).not.toMatch(/mtgrad predict:/);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]);
}

describe('esmm, aitm and rnr through the real mtgrad train / eval / predict commands', () => {
  it('esmm --data aliccp: ctr ← click, ctcvr ← conversion over all impressions, cvr scored on clicked rows', async () => {
    const dir = join(FIXTURES, 'aliccp');
    const { out, checkpointPath, trained, checkpoint } = await trainAndEval(
      'esmm',
      ['--data', 'aliccp', '--data-dir', dir],
      ['--batch-size', '4'],
    );
    expect(checkpoint.dataset).toEqual({ name: 'aliccp', dir });
    const labels = { ctr: 'click', ctcvr: 'conversion', cvr: { label: 'conversion', where: 'click' } };
    expect(checkpoint.labels).toEqual(labels);
    expect(trained.labels).toEqual(labels);
    expect(Object.keys(trained.test)).toEqual(['ctr', 'cvr', 'ctcvr']);
    const testRows = (await readFile(join(dir, 'ali_ccp_test.csv'), 'utf8')).trim().split('\n').slice(1);
    expect(trained.test.ctr.count).toBe(testRows.length);
    expect(trained.test.ctcvr.count).toBe(testRows.length);
    expect(trained.test.cvr.count).toBe(testRows.filter((l) => l.startsWith('1,')).length);
    const scores = await predictOneRow(checkpointPath, out);
    expect(Object.keys(scores)).toEqual(['ctr', 'cvr', 'ctcvr']);
    expect(scores.ctcvr).toBeCloseTo(scores.ctr * scores.cvr, 5);
  }, 180_000);

  it('aitm --data aliexpress --country NL: the click → conversion funnel as its tasks', async () => {
    const dir = join(FIXTURES, 'aliexpress');
    const { out, checkpointPath, trained, checkpoint } = await trainAndEval(
      'aitm',
      ['--data', 'aliexpress', '--data-dir', dir, '--country', 'NL'],
      ['--batch-size', '8'],
    );
    expect(checkpoint.dataset).toEqual({ name: 'aliexpress', dir, country: 'NL' });
    // AITM's tasks take the funnel's names, so each reads the label of its own name (no map is recorded).
    expect(checkpoint.model.config).toMatchObject({ tasks: [{ name: 'click' }, { name: 'conversion' }] });
    expect(checkpoint.labels).toBeNull();
    expect(Object.keys(trained.test)).toEqual(['click', 'conversion']);
    const scores = await predictOneRow(checkpointPath, out);
    expect(Object.keys(scores)).toEqual(['click', 'conversion']);
    for (const p of Object.values(scores)) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
  }, 180_000);

  it('esmm from a run file (--config): a table of your own with a cascade, its model and flags in the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-esmm-config-'));
    const aliccp = join(FIXTURES, 'aliccp');
    const run = join(dir, 'run.json');
    await writeFile(
      run,
      JSON.stringify({
        columns: { 205: 'categorical', D508: 'numeric' },
        tasks: [
          { name: 'click', kind: 'binary', label: 'click' },
          { name: 'conversion', kind: 'binary', label: 'purchase' },
        ],
        relations: [{ kind: 'cascade', parent: 'click', child: 'conversion' }],
        split: {
          train: join(aliccp, 'ali_ccp_train.csv'),
          validation: join(aliccp, 'ali_ccp_val.csv'),
          test: join(aliccp, 'ali_ccp_test.csv'),
        },
        train: { model: 'esmm', 'tower-dims': '8' },
      }),
    );
    const { checkpoint, trained } = await trainAndEval(null, ['--config', run]);
    expect(checkpoint.model.name).toBe('esmm');
    expect(checkpoint.dataset).toMatchObject({ name: 'table' });
    expect(checkpoint.model.config).toMatchObject({ ctrTowerDims: [8], cvrTowerDims: [8] });
    expect(checkpoint.labels).toEqual({
      ctr: 'click',
      ctcvr: 'conversion',
      cvr: { label: 'conversion', where: 'click' },
    });
    expect(Object.keys(trained.test)).toEqual(['ctr', 'cvr', 'ctcvr']);
  }, 180_000);

  it.skipIf(!movielensPresent)(
    'rnr --data movielens: rank ← interact, rating ← rating (masked on sampled negatives)',
    async () => {
      const { out, checkpointPath, trained, checkpoint } = await trainAndEval(
        'rnr',
        ['--data', 'movielens', '--data-dir', MOVIELENS],
        ['--max-steps', '20', '--batch-size', '512'],
      );
      expect(checkpoint.dataset).toEqual({ name: 'movielens', dir: MOVIELENS });
      expect(checkpoint.labels).toEqual({ rank: 'interact', rating: 'rating' });
      expect(trained.test.rating.count).toBeLessThan(trained.test.rank.count);
      const scores = await predictOneRow(checkpointPath, out);
      expect(scores.rank).toBeGreaterThan(0);
      expect(scores.rank).toBeLessThan(1);
      expect(Number.isFinite(scores.rating)).toBe(true);
    },
    240_000,
  );
});
