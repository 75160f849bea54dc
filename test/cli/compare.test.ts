/** `mtgrad compare` on two real (small) runs of `mtgrad train`, as a user runs it. */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mtgrad } from './run-cli.js';

describe('mtgrad compare', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'mtgrad-compare-'));
    for (const [name, weighting] of [
      ['sum-run', 'sum'],
      ['rlw-run', 'rlw'],
    ]) {
      const r = await mtgrad([
        'train',
        '--data',
        'synthetic',
        '--limit',
        '400',
        '--epochs',
        '2',
        '--batch-size',
        '100',
        '--backend',
        'js',
        '--weighting',
        weighting,
        '--out',
        join(root, name),
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
  }, 180_000);

  it('prints the settings that differ and the test metrics of each run, and writes one HTML page with overlaid curves', async () => {
    const out = join(root, 'cmp.html');
    const r = await mtgrad(['compare', join(root, 'sum-run'), join(root, 'rlw-run'), '--out', out]);
    expect(r.stderr).not.toMatch(/mtgrad compare:/);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    // Only the weighting differs (timings are measurements, not settings).
    expect(lines.filter((l) => /^weighting\s+sum\s+rlw\s*$/.test(l))).toHaveLength(1);
    expect(r.stdout).not.toMatch(/^(seed|model|lr)\s/m);
    expect(r.stdout).toMatch(/^run\s+task1 RMSE\s+task1 MAE\s+task2 RMSE\s+task2 MAE\s+ms\/step/m);
    const sum = JSON.parse(await readFile(join(root, 'sum-run', 'metrics.json'), 'utf8'));
    expect(r.stdout).toMatch(new RegExp(`^sum-run\\s+${sum.test.task1.rmse.toFixed(4)}\\s`, 'm'));
    expect(r.stdout).toMatch(/^rlw-run\s+\d+\.\d{4}\s/m);
    const html = await readFile(out, 'utf8');
    expect(html).toContain('<h2>Settings that differ</h2>');
    expect(html).toContain('task1: validation RMSE per epoch');
    expect(html).toContain('task2: training loss per step (moving average)');
    // Both runs in every overlaid chart's legend; nothing fetched.
    expect(html.match(/>sum-run</g)!.length).toBeGreaterThanOrEqual(4);
    expect(html.match(/>rlw-run</g)!.length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<script|(src|href)=/);
  });

  it('names the folder that is not a run, and asks for two runs', async () => {
    const bad = await mtgrad(['compare', join(root, 'sum-run'), root]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^mtgrad compare: ${join(root, 'metrics.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read it \\(ENOENT\\)`,
      ),
    );
    const one = await mtgrad(['compare', join(root, 'sum-run')]);
    expect(one.code).toBe(2);
    expect(one.stderr).toMatch(/give at least two run folders to compare, got 1/);
  });
});
