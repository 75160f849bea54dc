/**
 * Inputs are typed per model: giving a model the wrong kind of input is a compile error (checked by `npm run
 * typecheck`, which covers this file: each @ts-expect-error below must stay an error) and a runtime error naming the
 * model and the input kind it expects.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { createModel, type TaskModel, type TabularInput, type UserItemInput } from '../../src/models/index.js';

const ids = () => mt.tensor(Int32Array.from([1, 2, 3]));

describe('model inputs', () => {
  it('rejects the wrong kind at compile time and at run time, naming the model and the expected kind', () => {
    const rnr = createModel('rnr', { numUsers: 5, numItems: 5, embeddingDim: 2 });
    const mmoe = createModel('mmoe', {
      inputDim: 4,
      tasks: [{ name: 'a' }],
      numExperts: 2,
      expertDims: [3],
      towerDims: [2],
    });
    const esmm = createModel('esmm', {
      features: { categorical: [{ name: 'c', vocabularySize: 4 }], embeddingDim: 2 },
      ctrTowerDims: [3],
      cvrTowerDims: [3],
    });
    // @ts-expect-error RnR takes { user, item }, not a feature batch
    expect(() => rnr.forward({ cat: mt.tensor(Int32Array.from([1, 2]), { shape: [1, 2] }) })).toThrow(
      /^rnr: expects a user–item input \(\{ user: int32 \[B\], item: int32 \[B\] \}\), got a feature batch \{ cat, num \}$/,
    );
    // @ts-expect-error RnR takes { user, item }, not a dense tensor
    expect(() => rnr.forward(mt.randn([3, 2]))).toThrow(
      /^rnr: expects a user–item input .*got a dense tensor \[3,2\]$/,
    );
    // @ts-expect-error MMoE takes a dense tensor or a feature batch, not user–item ids
    expect(() => mmoe.forward({ user: ids(), item: ids() })).toThrow(
      /^mmoe: expects a dense input \(float \[B, 4\]\) \('inputDim' config\), got a user–item input \{ user, item \}$/,
    );
    expect(() => mmoe.forward({ cat: ids() })).toThrow(
      /^mmoe: expects a dense input \(float \[B, 4\]\) \('inputDim' config\), got a feature batch/,
    );
    expect(() => mmoe.forward(mt.randn([3, 5]))).toThrow(
      /^mmoe: expects a dense input \(float \[B, 4\]\), got a tensor \[3,5\]$/,
    );
    expect(() => esmm.forward(mt.randn([3, 4]))).toThrow(
      /^esmm: expects a features input \(\{ cat: int32 \[B, 1\], num: float \[B, 0\] \}\) \('features' config\), got a dense tensor \[3,4\]$/,
    );
    // The static types themselves: the zoo's models are TaskModels of their input kind, and the kinds do not mix.
    const asTabular: TaskModel<TabularInput> = mmoe;
    const asUserItem: TaskModel<UserItemInput> = rnr;
    expect(asTabular.inputSpec.kind).toBe('dense');
    expect(asUserItem.inputSpec).toEqual({ kind: 'userItem', numUsers: 5, numItems: 5 });
    expect(esmm.inputSpec.kind).toBe('features');
    for (const m of [rnr, mmoe, esmm]) m.dispose();
  });
});
