/**
 * `mtgrad train --weighting NAME` for the methods added after LibMTL's list, as a user runs it: each one trains a
 * small synthetic two-task run to the end, and metrics.json carries the diagnostics (gradient norms, the weights
 * the method assigned). The host-solved ones also run on webgpu, where the Trainer awaits their asynchronous read.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableBackends } from '../conformance/backends.js';
import { type CliResult as Result, mtgrad } from './run-cli.js';

async function train(
  weighting: string,
  backend: string,
): Promise<{
  r: Result;
  metrics: {
    diagnostics: { weights: { weights: number[] }[]; gradientNorms: unknown[] };
    settings: Record<string, unknown>;
  };
}> {
  const dir = await mkdtemp(join(tmpdir(), `mtgrad-${weighting}-`));
  const r = await mtgrad([
    'train',
    '--data',
    'synthetic',
    '--limit',
    '400',
    '--epochs',
    '1',
    '--batch-size',
    '100',
    '--backend',
    backend,
    '--probe-every',
    '1',
    '--weighting',
    weighting,
    '--out',
    dir,
  ]);
  expect(r.stderr, r.stderr).not.toMatch(/mtgrad train:/);
  expect(r.code).toBe(0);
  return { r, metrics: JSON.parse(await readFile(join(dir, 'metrics.json'), 'utf8')) };
}

const WEIGHTED = ['cagrad', 'nashmtl', 'imtl', 'gradvac', 'alignedmtl', 'rlw', 'dbmtl', 'famo'];

describe('mtgrad train --weighting (the LibMTL methods)', () => {
  for (const name of [...WEIGHTED, 'graddrop']) {
    it(`${name} on js`, async () => {
      const { r, metrics } = await train(name, 'js');
      expect(r.stderr).toMatch(new RegExp(`weighting ${name}`));
      expect(metrics.settings.weighting).toBe(name);
      expect(metrics.diagnostics.gradientNorms.length).toBeGreaterThan(0);
      if (WEIGHTED.includes(name)) {
        expect(metrics.diagnostics.weights.length).toBeGreaterThan(0);
        expect(metrics.diagnostics.weights[0].weights.every((w) => Number.isFinite(w))).toBe(true);
      } else expect(metrics.diagnostics.weights).toEqual([]);
    }, 120_000);
  }

  for (const name of ['mgda', 'nashmtl', 'cagrad']) {
    it.runIf(availableBackends.includes('webgpu'))(
      `${name} on webgpu (asynchronous read between steps)`,
      async () => {
        const { metrics } = await train(name, 'webgpu');
        expect(metrics.diagnostics.weights.length).toBeGreaterThan(0);
      },
      180_000,
    );
  }

  it('an unknown method is one clear line', async () => {
    const r = await mtgrad(['train', '--data', 'synthetic', '--weighting', 'nash']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--weighting must be one of .*cagrad.*graddrop/);
  });
});
