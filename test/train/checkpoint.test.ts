import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { manualSeed } from '../../src/index.js';
import { FittedSchema } from '../../src/data/fitted-schema.js';
import { fitTable } from '../../src/data/table-reader.js';
import { serializeSafetensors } from '../../src/io/safetensors.js';
import { CheckpointError, readCheckpoint, restoreWeights, saveCheckpoint } from '../../src/train/index.js';
import { TinyTwoTask } from './tiny-model.js';

async function tinySchema(dir: string): Promise<FittedSchema> {
  const csv = join(dir, 'rows.csv');
  await writeFile(csv, 'colour,size,y\nred,1.5,1\nblue,2.5,0\nred,3.5,1\n');
  const { schema } = await fitTable(csv, {
    columns: [
      { column: 'colour', role: 'categorical' },
      { column: 'size', role: 'numeric' },
      { column: 'y', role: 'label', task: 'a' },
    ],
  });
  return schema;
}

async function saved(dir: string, hidden = 8) {
  manualSeed(1);
  const model = new TinyTwoTask(4, hidden);
  const path = join(dir, 'model.safetensors');
  const schema = await tinySchema(dir);
  await saveCheckpoint(path, {
    model,
    schema,
    metrics: { test: { a: { auc: 0.75 } } },
    dataset: { name: 'rows', limit: 3 },
    labels: { b: 'y' },
  });
  return { model, path, schema };
}

describe('checkpoints', () => {
  it('round-trips weights, model spec, tasks, schema and metrics, leaving no temporary file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-ckpt-'));
    const { model, path, schema } = await saved(dir);
    expect((await readdir(dir)).sort()).toEqual(['model.safetensors', 'rows.csv']);
    const checkpoint = await readCheckpoint(path);
    expect(checkpoint.model).toEqual({ name: 'tiny', config: { inputs: 4, hidden: 8 } });
    expect(checkpoint.tasks).toEqual(['a', 'b']);
    expect(checkpoint.dataset).toEqual({ name: 'rows', limit: 3 });
    expect(checkpoint.labels).toEqual({ b: 'y' });
    expect(checkpoint.mtgradVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(checkpoint.metrics).toEqual({ test: { a: { auc: 0.75 } } });
    expect(FittedSchema.fromJSON(checkpoint.schema!).toJSON()).toEqual(schema.toJSON());
    expect(Object.keys(checkpoint.tensors).sort()).toEqual([
      'bottom.bias',
      'bottom.weight',
      'head_a.bias',
      'head_a.weight',
      'head_b.bias',
      'head_b.weight',
    ]);

    manualSeed(2);
    const fresh = new TinyTwoTask(4);
    expect(await fresh.bottom.weight.data()).not.toEqual(await model.bottom.weight.data());
    restoreWeights(checkpoint, fresh);
    for (const [name, t] of model.namedParameters()) {
      const other = fresh.namedParameters().find(([n]) => n === name)![1];
      expect(await other.data()).toEqual(await t.data());
    }
  });

  it('writes a plain safetensors file: 8-byte length, JSON header with F32 entries and string metadata', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-ckpt-'));
    const { path } = await saved(dir);
    const bytes = await readFile(path);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8'));
    expect(header['bottom.weight']).toMatchObject({ dtype: 'F32', shape: [8, 4] });
    expect(header.__metadata__.format).toBe('pt');
    for (const value of Object.values(header.__metadata__)) expect(typeof value).toBe('string');
  });

  it('reports every mismatching parameter by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-ckpt-'));
    const { path } = await saved(dir, 8);
    const wider = new TinyTwoTask(4, 16);
    const checkpoint = await readCheckpoint(path);
    const error = (() => {
      try {
        restoreWeights(checkpoint, wider);
      } catch (e) {
        return e as Error;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error!.message).toContain(path);
    expect(error!.message).toContain("'bottom.weight': shape [8, 4] in the file, the model expects [16, 4]");
    expect(error!.message).toContain("'head_a.weight': shape [1, 8] in the file, the model expects [1, 16]");
    delete checkpoint.tensors['head_b.bias'];
    checkpoint.tensors['extra.weight'] = { dtype: 'F32', shape: [1], data: new Float32Array(1) };
    expect(() => restoreWeights(checkpoint, new TinyTwoTask(4, 8))).toThrow(
      /missing from the file: 'head_b.bias'; not in the model: 'extra.weight'/,
    );
  });

  it('rejects truncated files, foreign safetensors files and corrupt metadata with clear errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mtgrad-ckpt-'));
    const { path } = await saved(dir);
    const bytes = await readFile(path);
    const truncated = join(dir, 'truncated.safetensors');
    await writeFile(truncated, bytes.subarray(0, bytes.length - 10));
    await expect(readCheckpoint(truncated)).rejects.toThrow(/truncated\.safetensors: .*(data section|cover)/);

    const foreign = join(dir, 'foreign.safetensors');
    await writeFile(foreign, serializeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } }));
    await expect(readCheckpoint(foreign)).rejects.toThrow(/not an mtgrad checkpoint/);

    const badJson = join(dir, 'bad-json.safetensors');
    await writeFile(
      badJson,
      serializeSafetensors(
        { w: { dtype: 'F32', shape: [1], data: new Float32Array(1) } },
        {
          'mtgrad.format': 'checkpoint',
          'mtgrad.format_version': '1',
          'mtgrad.model': '{"name": "tiny", ',
          'mtgrad.tasks': '[]',
        },
      ),
    );
    await expect(readCheckpoint(badJson)).rejects.toThrow(/metadata "mtgrad.model" is not valid JSON/);
  });
});
