import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { manualSeed, tensor } from '../../src/index.js';
import { fitTable } from '../../src/data/table-reader.js';
import { createModel } from '../../src/models/index.js';
import { saveCheckpoint } from '../../src/train/index.js';
import { loadPredictor } from '../../src/infer/index.js';

const CSV = 'colour,size,clicked,bought\nred,1.5,1,0\nblue,2.5,0,0\nred,3.5,1,1\ngreen,0.5,0,0\n';

async function checkpoint(dir: string) {
  const csv = join(dir, 'rows.csv');
  await writeFile(csv, CSV);
  const { schema } = await fitTable(csv, {
    columns: [
      { column: 'colour', role: 'categorical' },
      { column: 'size', role: 'numeric' },
      { column: 'clicked', role: 'label', task: 'click' },
      { column: 'bought', role: 'label', task: 'buy' },
    ],
  });
  manualSeed(3);
  const inner = createModel('mmoe', {
    features: {
      categorical: [{ name: 'colour', vocabularySize: schema.categoricalFeatures[0].vocabularySize }],
      numeric: [{ name: 'size' }],
      embeddingDim: 3,
    },
    tasks: [{ name: 'click' }, { name: 'buy' }],
    numExperts: 3,
    expertDims: [4],
    towerDims: [2],
  });
  const path = join(dir, 'model.safetensors');
  await saveCheckpoint(path, { model: inner, schema });
  return { path, inner, schema };
}

describe('mtgrad/infer', () => {
  it("scores raw JSON rows with the checkpoint's schema and model, as the model itself would", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-infer-'));
    const { path, inner, schema } = await checkpoint(dir);
    const rows = [
      { colour: 'red', size: 2 },
      { colour: 'never-seen', size: '3.25' },
      { colour: 'blue', size: 0 },
    ];
    const predictor = await loadPredictor(path, { backend: 'js' });
    expect(predictor.tasks).toEqual(['click', 'buy']);
    expect(predictor.backend).toBe('js');
    const scores = await predictor.predict(rows);
    expect(scores).toHaveLength(3);

    const encoded = schema.encodeObjects(rows);
    const expected = inner.predict({
      cat: tensor(encoded.cat, { dtype: 'int32', shape: [3, 1] }),
      num: tensor(encoded.num, { shape: [3, 1] }),
    });
    scores.forEach((s, i) => {
      expect(s.click).toBeCloseTo(expected.click.dataSync()[i], 6);
      expect(s.buy).toBeCloseTo(expected.buy.dataSync()[i], 6);
      expect(s.click).toBeGreaterThan(0);
      expect(s.click).toBeLessThan(1);
    });
    predictor.dispose();
  });

  it('names the row and feature of a bad value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-infer-'));
    const { path } = await checkpoint(dir);
    const predictor = await loadPredictor(path, { backend: 'js' });
    await expect(
      predictor.predict([
        { colour: 'red', size: 1 },
        { colour: 'red', size: 'big' },
      ]),
    ).rejects.toThrow(/row 1: numeric feature "size" = "big" is not a number/);
    predictor.dispose();
  });

  it('scores encoded rows with score(), also from a checkpoint without a data schema (raw rows are then refused)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-infer-'));
    manualSeed(4);
    const inner = createModel('mmoe', {
      inputDim: 3,
      tasks: [{ name: 'click' }, { name: 'buy' }],
      numExperts: 2,
      expertDims: [4],
      towerDims: [2],
    });
    const path = join(dir, 'dense.safetensors');
    await saveCheckpoint(path, { model: inner });
    const predictor = await loadPredictor(path, { backend: 'js' });
    const num = Float32Array.from([0.5, -1, 2, 3, 0.25, -0.75, 1, 1, 1, -2, 0, 4, 0.1, 0.2, 0.3]);
    // batchSize 2 over 5 rows: the last short batch is scored too, in order.
    const small = await loadPredictor(path, { backend: 'js', batchSize: 2 });
    const scored = await small.score({
      size: 5,
      nCat: 0,
      nNum: 3,
      cat: new Int32Array(0),
      num,
    });
    const expected = inner.predict(tensor(num, { shape: [5, 3] }));
    expect(Object.keys(scored)).toEqual(['click', 'buy']);
    expect(Array.from(scored.click)).toEqual(Array.from(expected.click.dataSync()));
    expect(Array.from(scored.buy)).toEqual(Array.from(expected.buy.dataSync()));
    await expect(predictor.predict([{ x: 1 }])).rejects.toThrow(/no data schema.*score\(\)/);
    await expect(
      predictor.score({ size: 1, nCat: 1, nNum: 3, cat: new Int32Array(1), num: new Float32Array(3) }),
    ).rejects.toThrow(/mmoe: expects a dense input \(float \[B, 3\]\)/);
    predictor.dispose();
    small.dispose();
    inner.dispose();
  });

  it('imports no training code (optimizers, loss weighting, trainer, command line)', async () => {
    const root = resolve(dirname(new URL(import.meta.url).pathname), '../../src');
    const seen = new Set<string>();
    const stack = [join(root, 'infer/index.ts')];
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = await readFile(file, 'utf8');
      // Static and dynamic imports of relative modules (type-only imports are erased and do not count).
      for (const m of text.matchAll(
        /^\s*(?:import|export)\s+(?!type\b)(?:[^'"]*?from\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm,
      )) {
        const target = resolve(dirname(file), (m[1] ?? m[2]).replace(/\.js$/, '.ts'));
        if (existsSync(target)) stack.push(target);
      }
    }
    const training = [...seen].map((f) => f.slice(root.length + 1)).filter((f) => /^(optim|mtl|train|cli)\//.test(f));
    expect(training).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });
});
