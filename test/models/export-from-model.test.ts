/**
 * exportSourceOf: a live model exports to exactly the ONNX bytes its checkpoint exports to (same names, shapes,
 * weights and config), so benches and apps can export a model in memory without writing a checkpoint first.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as mt from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { exportOnnx } from '../../src/models/export/onnx.js';
import { exportSourceOf } from '../../src/models/export/from-model.js';
import { readCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';

const tasks = [{ name: 'a' }, { name: 'b' }];
const CONFIGS: Record<string, Record<string, unknown>> = {
  dense: { inputDim: 7, numExperts: 3, expertDims: [5], towerDims: [3], tasks },
  features: {
    features: { categorical: [{ name: 'c', vocabularySize: 11 }], numeric: [{ name: 'n' }], embeddingDim: 3 },
    numExperts: 2,
    expertDims: [4],
    towerDims: [2],
    tasks,
  },
};

describe('exportSourceOf (ONNX export of a live model)', () => {
  for (const [kind, config] of Object.entries(CONFIGS)) {
    it(`gives the same ONNX bytes as the model's checkpoint (${kind} input)`, async () => {
      await mt.init({ backend: 'js' });
      mt.manualSeed(5);
      const model = createModel('mmoe', config);
      // Weights changed in place after construction must be what is exported.
      const state = model.stateDict();
      const scaled = Object.fromEntries(Object.entries(state).map(([k, t]) => [k, mt.mul(t, 1.5)]));
      model.loadStateDict(scaled);
      mt.dispose([...Object.values(state), ...Object.values(scaled)]);
      const dir = await mkdtemp(join(tmpdir(), 'mtgrad-export-from-model-'));
      try {
        const path = join(dir, 'm.safetensors');
        await saveCheckpoint(path, { model });
        const fromFile = exportOnnx(await readCheckpoint(path), { producerVersion: 't' });
        const before = mt.memory().tensors;
        const source = await exportSourceOf(model);
        expect(mt.memory().tensors).toBe(before); // the state dict it read is released
        const fromModel = exportOnnx(source, { producerVersion: 't' });
        expect(fromModel.description).toEqual(fromFile.description);
        expect(Buffer.from(fromModel.bytes).equals(Buffer.from(fromFile.bytes))).toBe(true);
      } finally {
        model.dispose();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
