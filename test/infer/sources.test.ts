import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import { manualSeed } from '../../src/index.js';
import { fitTable } from '../../src/data/table-reader.js';
import { createModel } from '../../src/models/index.js';
import { saveCheckpoint } from '../../src/train/index.js';
import { loadPredictor } from '../../src/infer/index.js';

async function writeCheckpoint(dir: string): Promise<string> {
  const csv = join(dir, 'rows.csv');
  await writeFile(csv, 'colour,size,clicked\nred,1.5,1\nblue,2.5,0\ngreen,0.5,0\n');
  const { schema } = await fitTable(csv, {
    columns: [
      { column: 'colour', role: 'categorical' },
      { column: 'size', role: 'numeric' },
      { column: 'clicked', role: 'label', task: 'click' },
    ],
  });
  manualSeed(5);
  const inner = createModel('sharedBottom', {
    features: {
      categorical: [{ name: 'colour', vocabularySize: schema.categoricalFeatures[0].vocabularySize }],
      numeric: [{ name: 'size' }],
      embeddingDim: 3,
    },
    tasks: [{ name: 'click' }],
    bottomDims: [4],
    towerDims: [2],
  });
  const path = join(dir, 'model.safetensors');
  await saveCheckpoint(path, { model: inner, schema });
  return path;
}

const ROWS = [
  { colour: 'red', size: 2 },
  { colour: 'blue', size: -1 },
  { colour: 'unseen', size: 0.25 },
];

async function scoresFrom(source: Parameters<typeof loadPredictor>[0]): Promise<number[]> {
  const predictor = await loadPredictor(source, { backend: 'js' });
  try {
    return (await predictor.predict(ROWS)).map((s) => s.click);
  } finally {
    predictor.dispose();
  }
}

describe('loadPredictor sources', () => {
  it('loads the same checkpoint from a path, a file: URL, bytes (offset view and ArrayBuffer) and an http URL', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-sources-'));
    const path = await writeCheckpoint(dir);
    const expected = await scoresFrom(path);
    expect(expected.every((s) => s > 0 && s < 1)).toBe(true);

    expect(await scoresFrom(pathToFileURL(path))).toEqual(expected);
    const file = await readFile(path);
    // A view that does not start at its buffer's offset 0, as a slice of a larger download would be.
    const padded = new Uint8Array(file.length + 3);
    padded.set(file, 3);
    expect(await scoresFrom(padded.subarray(3))).toEqual(expected);
    expect(await scoresFrom(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength))).toEqual(expected);

    const server = createServer((req, res) => {
      if (req.url === '/model.safetensors') res.end(file);
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect(await scoresFrom(`${base}/model.safetensors`)).toEqual(expected);
      await expect(loadPredictor(`${base}/missing.safetensors`, { backend: 'js' })).rejects.toThrow(
        /missing\.safetensors: HTTP 404/,
      );
    } finally {
      server.close();
    }
  });

  it('names what it got when the source is neither a location nor bytes', async () => {
    await expect(loadPredictor(42 as unknown as string, { backend: 'js' })).rejects.toThrow(
      /expected a path, URL, ArrayBuffer or Uint8Array, got number/,
    );
    await expect(loadPredictor(new Uint8Array([1, 2, 3]), { backend: 'js' })).rejects.toThrow(
      /checkpoint bytes: file is 3 bytes/,
    );
  });
});
