/** The Ali-CCP and AliExpress loaders on fixtures of our own (always) and on the ../shared samples (when present). */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAliCcp } from '../../src/data/ecommerce/ali-ccp.js';
import { aliExpressCountryDir, loadAliExpress } from '../../src/data/ecommerce/ali-express.js';
import { DataFormatError } from '../../src/data/errors.js';

const fixtures = resolve(import.meta.dirname, '../fixtures');
const shared = resolve(import.meta.dirname, '../../../shared/data');
const aliCcpSample = resolve(shared, 'ali-ccp-sample');
const aliExpressSample = resolve(shared, 'aliexpress-sample');
for (const dir of [aliCcpSample, aliExpressSample]) {
  if (!existsSync(dir))
    console.log(`SKIPPED the ../shared sample tests of ${dir}: the folder is absent (the fixture tests still run)`);
}

const sum = (values: Float32Array) => values.reduce((s, v) => s + v, 0);

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'mtgrad-ecommerce-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('Ali-CCP loader (fixture)', () => {
  it('finds train/val/test by name and builds click + conversion on the entire space with the cascade', async () => {
    const data = await loadAliCcp({ dir: join(fixtures, 'aliccp') });
    expect(data.tasks).toEqual(['click', 'conversion']);
    expect(data.kinds).toEqual({ click: 'binary', conversion: 'binary' });
    expect(data.relations).toEqual([{ kind: 'cascade', parent: 'click', child: 'conversion' }]);
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([12, 6, 6]);
    expect([data.train.nCat, data.train.nNum]).toEqual([23, 8]);
    expect(data.schema.categoricalFeatures[0].name).toBe('f101');
    expect([sum(data.train.labels.click), sum(data.train.labels.conversion)]).toEqual([4, 2]);
    expect([sum(data.validation.labels.click), sum(data.test.labels.click), sum(data.test.labels.conversion)]).toEqual([
      2, 3, 1,
    ]);
    for (let i = 0; i < data.train.size; i++)
      expect(data.train.labels.conversion[i]).toBeLessThanOrEqual(data.train.labels.click[i]);
  });

  it('reads gzipped files the same as plain ones', async () => {
    const dir = join(scratch, 'aliccp-gz');
    await mkdir(dir);
    for (const name of ['ali_ccp_train.csv', 'ali_ccp_val.csv', 'ali_ccp_test.csv']) {
      await writeFile(join(dir, `${name}.gz`), gzipSync(await readFile(join(fixtures, 'aliccp', name))));
    }
    const [plain, gz] = await Promise.all([loadAliCcp({ dir: join(fixtures, 'aliccp') }), loadAliCcp({ dir })]);
    expect(gz.train.cat).toEqual(plain.train.cat);
    expect(gz.test.num).toEqual(plain.test.num);
    expect(gz.test.labels).toEqual(plain.test.labels);
  });

  it('rejects a purchase without a click, and a label other than 0/1, naming file, line, column and task', async () => {
    const dir = join(scratch, 'aliccp-bad');
    await mkdir(dir);
    for (const name of ['ali_ccp_val.csv', 'ali_ccp_test.csv'])
      await copyFile(join(fixtures, 'aliccp', name), join(dir, name));
    const lines = (await readFile(join(fixtures, 'aliccp', 'ali_ccp_train.csv'), 'utf8')).split('\n');
    const train = join(dir, 'ali_ccp_train.csv');
    const noClick = lines.findIndex((l, i) => i > 0 && l.startsWith('0,0,'));
    await writeFile(train, lines.map((l, i) => (i === noClick ? `0,1,${l.slice(4)}` : l)).join('\n'));
    await expect(loadAliCcp({ dir })).rejects.toThrow(
      `${train}:${noClick + 1}: cascade conversion ⊂ click broken: column purchase, task conversion is 1 but column click, task click is 0`,
    );
    await writeFile(train, lines.map((l, i) => (i === noClick ? `2,0,${l.slice(4)}` : l)).join('\n'));
    const error = await loadAliCcp({ dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataFormatError);
    expect((error as Error).message).toBe(
      `${train}:${noClick + 1}: column click, task click: binary label "2" is not a declared value (expected "1" or "0")`,
    );
  });

  it('names the missing split file', async () => {
    const dir = join(scratch, 'aliccp-partial');
    await mkdir(dir);
    await copyFile(join(fixtures, 'aliccp', 'ali_ccp_train.csv'), join(dir, 'ali_ccp_train.csv'));
    await expect(loadAliCcp({ dir })).rejects.toThrow(`Ali-CCP: no validation file in ${dir}`);
  });
});

describe('AliExpress loader (fixture)', () => {
  const dir = join(fixtures, 'aliexpress');

  it('loads one country folder: validation = seeded 10% of train, test = the test file', async () => {
    const data = await loadAliExpress({ dir, country: 'nl' });
    expect(data.tasks).toEqual(['click', 'conversion']);
    expect(data.relations).toEqual([{ kind: 'cascade', parent: 'click', child: 'conversion' }]);
    expect([data.train.nCat, data.train.nNum]).toEqual([16, 63]);
    expect(data.train.size + data.validation.size).toBe(40);
    expect(data.validation.size).toBeGreaterThan(0);
    expect(sum(data.train.labels.click) + sum(data.validation.labels.click)).toBe(12);
    expect(sum(data.train.labels.conversion) + sum(data.validation.labels.conversion)).toBe(3);
    expect([data.test.size, sum(data.test.labels.click), sum(data.test.labels.conversion)]).toEqual([10, 4, 1]);
    // The hold-out is reproducible for a seed and changes with it.
    const again = await loadAliExpress({ dir, country: 'NL' });
    expect(Array.from(again.validation.sourceLines!)).toEqual(Array.from(data.validation.sourceLines!));
    const other = await loadAliExpress({ dir, country: 'NL', seed: 7 });
    expect(Array.from(other.validation.sourceLines!)).not.toEqual(Array.from(data.validation.sourceLines!));
  });

  it('explains a country that is unknown or has no folder', () => {
    expect(() => aliExpressCountryDir(dir, 'DE')).toThrow(
      "AliExpress: country must be one of NL, ES, FR, US, RU, got 'DE'",
    );
    expect(() => aliExpressCountryDir(dir, 'FR')).toThrow(
      `AliExpress: no folder for country FR in ${dir} (expected ${join(dir, 'AliExpress_FR')} with train.csv and test.csv`,
    );
    expect(aliExpressCountryDir(dir, 'NL')).toBe(join(dir, 'AliExpress_NL'));
  });
});

describe.skipIf(!existsSync(aliCcpSample))('Ali-CCP sample from ../shared', () => {
  it('loads 100 / 50 / 50 rows with the README label counts', async () => {
    const data = await loadAliCcp({ dir: aliCcpSample });
    expect([data.train.size, data.validation.size, data.test.size]).toEqual([100, 50, 50]);
    expect([sum(data.train.labels.click), sum(data.validation.labels.click), sum(data.test.labels.click)]).toEqual([
      7, 3, 2,
    ]);
    expect([
      sum(data.train.labels.conversion),
      sum(data.validation.labels.conversion),
      sum(data.test.labels.conversion),
    ]).toEqual([1, 1, 1]);
  });
});

describe.skipIf(!existsSync(aliExpressSample))('AliExpress sample from ../shared', () => {
  it('loads the folder directly (no country subfolder): 100 train rows split with validation, 20 test rows', async () => {
    const data = await loadAliExpress({ dir: aliExpressSample });
    expect(data.train.size + data.validation.size).toBe(100);
    expect(sum(data.train.labels.click) + sum(data.validation.labels.click)).toBe(60);
    expect([data.test.size, sum(data.test.labels.click), sum(data.test.labels.conversion)]).toEqual([20, 10, 2]);
    expect(data.train.num.every(Number.isFinite)).toBe(true);
  });
});
