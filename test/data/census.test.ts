import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChecksumError } from '../../src/data/checksum.js';
import { CENSUS_NOT_INPUTS, censusSpec } from '../../src/data/census/census-columns.js';
import { bundledCensusDir, loadCensus, type CensusData } from '../../src/data/census/load-census.js';

function positives(values: Float32Array): number {
  let count = 0;
  for (const v of values) count += v;
  return count;
}

describe('Census-Income (KDD), full bundled data', () => {
  let group1: CensusData;
  let group2: CensusData;
  beforeAll(async () => {
    const started = performance.now();
    group1 = await loadCensus({ group: 1 });
    console.log(`census group 1 loaded in ${Math.round(performance.now() - started)} ms`);
    group2 = await loadCensus({ group: 2 });
  }, 120_000);

  it("has the paper's split sizes with the deterministic even/odd halving of the test file", () => {
    for (const data of [group1, group2]) {
      expect(data.train.size).toBe(199_523);
      expect(data.validation.size).toBe(49_881);
      expect(data.test.size).toBe(49_881);
      expect(Array.from(data.validation.sourceLines!.subarray(0, 3))).toEqual([1, 3, 5]);
      expect(Array.from(data.test.sourceLines!.subarray(0, 3))).toEqual([2, 4, 6]);
    }
  });

  it('builds the tasks of group 1 (income > 50K, never married) with the documented positive counts', () => {
    expect(group1.tasks).toEqual(['income', 'never_married']);
    expect(positives(group1.train.labels.income)).toBe(12_382);
    expect(positives(group1.train.labels.never_married)).toBe(86_485);
    expect(positives(group1.validation.labels.income)).toBe(3_131);
    expect(positives(group1.test.labels.income)).toBe(3_055);
    expect(positives(group1.validation.labels.never_married)).toBe(21_602);
    expect(positives(group1.test.labels.never_married)).toBe(21_541);
  });

  it('builds the tasks of group 2 (education >= associate degree, never married)', () => {
    expect(group2.tasks).toEqual(['education', 'never_married']);
    expect(positives(group2.train.labels.education)).toBe(39_183);
    expect(positives(group2.validation.labels.education)).toBe(9_760);
    expect(positives(group2.test.labels.education)).toBe(9_696);
  });

  it('uses 38 inputs (31 categorical, 7 numeric) without the label sources or the instance weight', () => {
    const names = [
      ...group1.schema.categoricalFeatures.map((f) => f.name),
      ...group1.schema.numericFeatures.map((f) => f.name),
    ];
    expect(group1.schema.categoricalFeatures).toHaveLength(31);
    expect(group1.schema.numericFeatures).toHaveLength(7);
    for (const excluded of CENSUS_NOT_INPUTS) expect(names).not.toContain(excluded);
    expect(group1.schema.categoricalFeatures.find((f) => f.name === 'det_hh_fam_stat')!.vocabularySize).toBe(38 + 1);
    expect(group1.train.nCat).toBe(31);
    expect(group1.train.nNum).toBe(7);
  });

  it('standardises numerics with training statistics (train mean 0, std 1)', () => {
    const { train } = group1;
    for (let k = 0; k < train.nNum; k++) {
      let sum = 0;
      let squares = 0;
      for (let i = 0; i < train.size; i++) {
        const v = train.num[i * train.nNum + k];
        sum += v;
        squares += v * v;
      }
      const mean = sum / train.size;
      expect(Math.abs(mean)).toBeLessThan(1e-4);
      expect(Math.sqrt(squares / train.size - mean * mean)).toBeCloseTo(1, 3);
    }
    const age = group1.schema.numericFeatures[0];
    expect(age.name).toBe('age');
    expect(age.mean).toBeCloseTo(34.49, 1);
  });

  it('maps every category seen in training to a non-OOV id', () => {
    expect(group1.train.cat.every((id) => id > 0)).toBe(true);
  });
});

describe('Census-Income checksums', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'mtgrad-census-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses a train file whose content differs from the original, naming the file', async () => {
    const original = gunzipSync(readFileSync(join(bundledCensusDir()!, 'census-income.data.gz'))).toString('latin1');
    const lines = original.split('\n').slice(0, 500);
    await writeFile(join(directory, 'census-income.data.gz'), gzipSync(`${lines.join('\n')}\n`));
    await copyFile(join(bundledCensusDir()!, 'census-income.test.gz'), join(directory, 'census-income.test.gz'));
    const attempt = loadCensus({ group: 1, dir: directory });
    await expect(attempt).rejects.toBeInstanceOf(ChecksumError);
    await expect(loadCensus({ group: 1, dir: directory })).rejects.toThrow(
      /census-income\.data\.gz: sha256 of the uncompressed content is [0-9a-f]{64}, expected 3676a81d/,
    );

    // A corruption that also breaks parsing still reports the checksum, the real cause.
    lines[10] = lines[10].replace(', ', ',, ');
    await writeFile(join(directory, 'census-income.data.gz'), gzipSync(`${lines.join('\n')}\n`));
    await expect(loadCensus({ group: 1, dir: directory })).rejects.toBeInstanceOf(ChecksumError);
  }, 30_000);

  it('explains a missing folder and a bad group', async () => {
    await expect(loadCensus({ group: 1, dir: join(directory, 'nothing') })).rejects.toThrow(/does not exist/);
    await expect(loadCensus({ group: 3 as 1 })).rejects.toThrow(/group must be 1 or 2/);
  });

  it('has a spec whose inputs are the 38 documented columns for both groups', () => {
    for (const group of [1, 2] as const) {
      const inputs = censusSpec(group).columns.filter((c) => c.role === 'categorical' || c.role === 'numeric');
      expect(inputs).toHaveLength(38);
    }
  });
});
