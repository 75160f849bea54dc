import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { placementFor, values } from './placement.js';

type Place = { backend?: string; dtype?: 'float32' | 'float64' };

class Tower extends nn.Module {
  readonly mlp: nn.MLP;
  constructor(inF: number, place: Place) {
    super();
    this.mlp = this.registerModule('mlp', new nn.MLP([inF, 3, 1], place));
  }
  forward(x: mt.Tensor): mt.Tensor {
    return this.mlp.forward(x);
  }
}

class TwoTower extends nn.Module {
  readonly experts: nn.ModuleList<nn.MLP>;
  readonly towers: nn.ModuleDict<Tower>;
  constructor(place: Place = { dtype: 'float64' }) {
    super();
    this.experts = this.registerModule('experts', new nn.ModuleList([0, 1, 2, 3].map(() => new nn.MLP([4, 5], place))));
    this.towers = this.registerModule(
      'towers',
      new nn.ModuleDict({ ctr: new Tower(5, place), cvr: new Tower(5, place) }),
    );
  }
}

describe('Module', () => {
  it('names parameters by dotted path in registration order, and optimizers can look names up', () => {
    const m = new TwoTower();
    const names = m.namedParameters().map(([n]) => n);
    expect(names.slice(0, 2)).toEqual(['experts.0.fc1.weight', 'experts.0.fc1.bias']);
    expect(names).toContain('experts.3.fc1.weight');
    expect(names).toContain('towers.cvr.mlp.fc2.bias');
    expect(nn.parameterName(m.towers.get('ctr').mlp.parameters()[0])).toBe('towers.ctr.mlp.fc1.weight');
    expect(m.numParams()).toBe(4 * (4 * 5 + 5) + 2 * (5 * 3 + 3 + 3 + 1));
    m.dispose();
  });

  it('train()/eval() reach every submodule', () => {
    const m = new TwoTower();
    m.eval();
    expect(m.namedModules().every(([, x]) => !x.training)).toBe(true);
    m.train();
    expect(m.towers.get('cvr').mlp.training).toBe(true);
    m.dispose();
  });
});

describe.each(availableBackends)('Module parameters on %s', (backend) => {
  const { dtype } = placementFor(backend);
  const place = { backend, dtype } as const;
  const all = (m: nn.Module): Promise<number[][]> => Promise.all(m.parameters().map((p) => values(p)));

  it('seeded init is reproducible, every expert draws its own values, and the draw is the same on every backend', async () => {
    mt.manualSeed(7);
    const a = new TwoTower(place);
    mt.manualSeed(7);
    const b = new TwoTower(place);
    const wa = await all(a);
    expect(a.parameters().every((p) => p.backendName === backend && p.dtype === dtype)).toBe(true);
    expect(await all(b)).toEqual(wa);
    const e0 = await values(a.experts.at(0).parameters()[0]);
    const e1 = await values(a.experts.at(1).parameters()[0]);
    expect(e0).not.toEqual(e1);
    // The counter-based stream gives the same numbers on every backend (float32 here: compare with js float32).
    mt.manualSeed(7);
    const ref = new TwoTower({ dtype: 'float32' });
    const wr = await all(ref);
    let wa32 = wa;
    if (dtype !== 'float32') {
      mt.manualSeed(7);
      wa32 = await all(new TwoTower({ backend, dtype: 'float32' }));
    }
    wr.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - wa32[i][j])).toBeLessThanOrEqual(1e-6)));
    a.dispose();
    b.dispose();
    ref.dispose();
  });

  it('Linear uses PyTorch default init: weight and bias within ±1/√in, spread over the range', async () => {
    mt.manualSeed(3);
    const l = new nn.Linear(16, 64, place);
    const bound = 1 / Math.sqrt(16);
    for (const p of [l.weight, l.bias!]) {
      const d = await values(p);
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    }
    const x = new nn.Linear(16, 64, { ...place, init: 'xavier' });
    expect((await values(x.bias!)).every((v) => v === 0)).toBe(true);
    const xb = Math.sqrt(6 / 80);
    expect(Math.max(...(await values(x.weight)).map(Math.abs))).toBeLessThanOrEqual(xb);
    l.dispose();
    x.dispose();
  });

  it('stateDict/loadStateDict round-trip in place, keeping parameter identity', async () => {
    const a = new TwoTower(place);
    const b = new TwoTower(place);
    const pb = b.parameters()[0];
    const sd = a.stateDict();
    b.loadStateDict(sd);
    expect(b.parameters()[0]).toBe(pb);
    expect(await all(b)).toEqual(await all(a));
    mt.dispose(sd);
    a.dispose();
    b.dispose();
  });

  it('loadStateDict lists every bad name and shape before writing anything', async () => {
    const a = new TwoTower(place);
    const sd = a.stateDict();
    const wrong = mt.zeros([2, 2], place);
    const before = await values(a.experts.at(0).parameters()[1]);
    const bad = { ...sd, 'experts.0.fc1.weight': wrong, 'extra.weight': wrong } as Record<string, mt.Tensor>;
    delete bad['towers.ctr.mlp.fc2.bias'];
    bad['experts.0.fc1.bias'] = mt.zeros([5], place);
    expect(() => a.loadStateDict(bad)).toThrow(
      /'experts\.0\.fc1\.weight': expected shape \[5,4\], got \[2,2\].*missing keys: towers\.ctr\.mlp\.fc2\.bias.*unexpected keys: extra\.weight/,
    );
    expect(await values(a.experts.at(0).parameters()[1])).toEqual(before);
    const res = a.loadStateDict({ 'experts.0.fc1.bias': bad['experts.0.fc1.bias'] }, { strict: false });
    expect(res.unexpected).toEqual([]);
    expect(res.missing.length).toBe(a.namedParameters().length - 1);
    expect(await values(a.experts.at(0).parameters()[1])).toEqual([0, 0, 0, 0, 0]);
    mt.dispose([sd, wrong, bad]);
    a.dispose();
  });

  it('modules built inside tidy keep their parameters', () => {
    const m = mt.tidy(() => new nn.Linear(3, 2, place));
    expect(m.weight.isDisposed).toBe(false);
    expect(mt.tidy(() => m.forward(mt.ones([1, 3], place)).shape)).toEqual([1, 2]);
    m.dispose();
  });
});
