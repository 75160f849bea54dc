/** Strict configs: every model builds from its small config; unknown keys and bad values name the key. */
import { describe, expect, it } from 'vitest';
import { MODEL_NAMES, createModel } from '../../src/models/index.js';
import { SMALL_CONFIGS } from './helpers.js';

describe('model configs', () => {
  it('lists the ten models of the zoo', () => {
    expect([...MODEL_NAMES]).toEqual([
      'singleTask',
      'sharedBottom',
      'omoe',
      'mmoe',
      'cgc',
      'ple',
      'esmm',
      'aitm',
      'rnr',
      'mran',
    ]);
  });

  it.each(MODEL_NAMES)('%s builds, exposes a JSON-able normalised config and rebuilds from it', (name) => {
    const m = createModel(name, SMALL_CONFIGS[name]);
    expect(m.modelName).toBe(name);
    const json = JSON.parse(JSON.stringify(m.config));
    expect(json).toEqual(m.config);
    const again = createModel(name, json);
    expect(again.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`)).toEqual(
      m.namedParameters().map(([n, t]) => `${n}:${t.shape.join('x')}`),
    );
    m.dispose();
    again.dispose();
  });

  it.each(MODEL_NAMES)('%s rejects an unknown key, naming it and the accepted ones', (name) => {
    expect(() => createModel(name, { ...SMALL_CONFIGS[name], numExpertz: 3 })).toThrow(
      new RegExp(`${name}: unknown config key 'numExpertz' \\(accepted: .+\\)`),
    );
  });

  it('names the key and the expected type or range of a bad value', () => {
    const base = SMALL_CONFIGS.mmoe;
    expect(() => createModel('mmoe', { ...base, numExperts: 0 })).toThrow(
      "mmoe: 'numExperts' must be an integer >= 1, got 0",
    );
    expect(() => createModel('mmoe', { ...base, numExperts: 2.5 })).toThrow(
      /'numExperts' must be an integer >= 1, got 2.5/,
    );
    expect(() => createModel('mmoe', { ...base, expertDims: [] })).toThrow(
      /'expertDims' must be an array of at least 1 integers >= 1, got an array of 0/,
    );
    expect(() => createModel('mmoe', { ...base, fusedGating: 'yes' })).toThrow(
      /'fusedGating' must be true or false, got 'yes'/,
    );
    expect(() => createModel('mmoe', { ...base, towerDropout: 1 })).toThrow(
      /'towerDropout' must be a finite number >= 0 <= 0.99, got 1/,
    );
    expect(() => createModel('mmoe', { ...base, tasks: [{ name: 'a' }, { name: 'b', type: 'ranking' }] })).toThrow(
      /'tasks\[1\]\.type' must be one of 'binary', 'regression', got 'ranking'/,
    );
    expect(() => createModel('mmoe', { ...base, tasks: [{ name: 'a' }, { name: 'a' }] })).toThrow(
      /'tasks\[1\]\.name' must be unique/,
    );
    expect(() => createModel('mmoe', { ...base, tasks: [{ name: 'a', wieght: 2 }] })).toThrow(
      /in 'tasks\[0\]', unknown config key 'wieght'/,
    );
    expect(() => createModel('mmoe', { ...base, tasks: [] })).toThrow(
      /'tasks' must be an array of at least 1 task objects/,
    );
    expect(() => createModel('mmoe', { tasks: base.tasks })).toThrow(/give exactly one of 'inputDim'.*or 'features'/);
    expect(() => createModel('mmoe', { ...base, features: { numeric: [{ name: 'x' }] } })).toThrow(
      /exactly one of 'inputDim'/,
    );
    expect(() => createModel('aitm', { inputDim: 4, tasks: [{ name: 'click' }] })).toThrow(
      /'tasks' must be an array of at least 2/,
    );
    expect(() =>
      createModel('aitm', { inputDim: 4, tasks: [{ name: 'click' }, { name: 'y', type: 'regression' }] }),
    ).toThrow(/'tasks\[1\]\.type' must be one of 'binary'/);
    expect(() => createModel('cgc', { ...SMALL_CONFIGS.cgc, levels: 2 })).toThrow(/cgc: unknown config key 'levels'/);
    expect(() => createModel('ple', { ...SMALL_CONFIGS.ple, levels: 0 })).toThrow(/'levels' must be an integer >= 1/);
    expect(() => createModel('rnr', { numItems: 5 })).toThrow(/'numUsers' must be given/);
    expect(() => createModel('rnr', { ...SMALL_CONFIGS.rnr, ratingActivation: 'gelu' })).toThrow(
      /'ratingActivation' must be one of 'none', 'relu', 'tanh', got 'gelu'/,
    );
    expect(() => createModel('esmm', { inputDim: 4, taskNames: { ctr: 'click', cvr: 'click' } })).toThrow(
      /'taskNames' must be distinct names/,
    );
    expect(() => createModel('esmm', { inputDim: 4, taskNames: { ctr: 'click', ctvr: 'x' } })).toThrow(
      /in 'taskNames', unknown config key 'ctvr'/,
    );
    expect(() => createModel('aitm', { ...SMALL_CONFIGS.aitm, calibratorWeight: -1 })).toThrow(
      /'calibratorWeight' must be a finite number >= 0, got -1/,
    );
    expect(() =>
      createModel('mran', {
        features: { categorical: [{ name: 'c', vocabularySize: 5 }], embeddingDim: 8 },
        tasks: [{ name: 'a' }],
        tokenDim: 4,
      }),
    ).toThrow(/must be tokenDim \(4\)/);
    expect(() => createModel('mmoe', [1, 2])).toThrow(/mmoe: the config must be a plain object, got an array of 2/);
    expect(() => createModel('nope' as 'mmoe', {})).toThrow(
      /createModel: unknown model 'nope' \(expected one of singleTask, .*mran\)/,
    );
  });

  it('validates the features block field by field', () => {
    const base = { tasks: [{ name: 'a' }] };
    expect(() =>
      createModel('mmoe', { ...base, features: { categorical: [{ name: 'c', vocabularySize: 0, dim: 4 }] } }),
    ).toThrow(/'features\.categorical\[0\]\.vocabularySize' must be an integer >= 1, got 0/);
    expect(() =>
      createModel('mmoe', { ...base, features: { categorical: [{ name: 'c', vocabularySize: 5 }] } }),
    ).toThrow(/'features\.categorical 'c'\.dim' must be given \(or features\.embeddingDim\)/);
    expect(() => createModel('mmoe', { ...base, features: { numeric: [{ name: 'x', std: 0 }] } })).toThrow(
      /'features\.numeric\[0\]\.std' must be a finite number > 0, got 0/,
    );
    expect(() => createModel('mmoe', { ...base, features: { numeric: [{ name: 'x' }, { name: 'x' }] } })).toThrow(
      /'features\.numeric\[1\]\.name' must be unique/,
    );
    expect(() => createModel('mmoe', { ...base, features: { numeric: [{ name: 'x' }], vocab: 3 } })).toThrow(
      /in 'features', unknown config key 'vocab'/,
    );
    const m = createModel('mmoe', {
      ...base,
      features: {
        categorical: [{ name: 'c', vocabularySize: 5 }],
        numeric: [{ name: 'x', mean: 1, std: 2 }],
        embeddingDim: 3,
      },
      numExperts: 2,
    });
    expect(m.experts.layers[0].inFeatures).toBe(4);
  });
});
