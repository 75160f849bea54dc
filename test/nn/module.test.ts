import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { nn } from '../../src/index.js';

class Tower extends nn.Module {
  readonly mlp: nn.MLP;
  constructor(inF: number) { super(); this.mlp = this.registerModule('mlp', new nn.MLP([inF, 3, 1], { dtype: 'float64' })); }
  forward(x: mt.Tensor): mt.Tensor { return this.mlp.forward(x); }
}

class TwoTower extends nn.Module {
  readonly experts: nn.ModuleList<nn.MLP>;
  readonly towers: nn.ModuleDict<Tower>;
  constructor() {
    super();
    this.experts = this.registerModule('experts', new nn.ModuleList([0, 1, 2, 3].map(() => new nn.MLP([4, 5], { dtype: 'float64' }))));
    this.towers = this.registerModule('towers', new nn.ModuleDict({ ctr: new Tower(5), cvr: new Tower(5) }));
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

  it('seeded init is reproducible and every expert draws its own values', () => {
    mt.manualSeed(7);
    const a = new TwoTower();
    mt.manualSeed(7);
    const b = new TwoTower();
    const wa = a.parameters().map((p) => Array.from(p.dataSync()));
    expect(b.parameters().map((p) => Array.from(p.dataSync()))).toEqual(wa);
    const e0 = Array.from(a.experts.at(0).parameters()[0].dataSync());
    const e1 = Array.from(a.experts.at(1).parameters()[0].dataSync());
    expect(e0).not.toEqual(e1);
    a.dispose(); b.dispose();
  });

  it('Linear uses PyTorch default init: weight and bias within ±1/√in, spread over the range', () => {
    mt.manualSeed(3);
    const l = new nn.Linear(16, 64);
    const bound = 1 / Math.sqrt(16);
    for (const p of [l.weight, l.bias!]) {
      const d = Array.from(p.dataSync());
      expect(Math.max(...d.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...d.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    }
    const x = new nn.Linear(16, 64, { init: 'xavier' });
    expect(Array.from(x.bias!.dataSync()).every((v) => v === 0)).toBe(true);
    const xb = Math.sqrt(6 / 80);
    expect(Math.max(...Array.from(x.weight.dataSync()).map(Math.abs))).toBeLessThanOrEqual(xb);
    l.dispose(); x.dispose();
  });

  it('stateDict/loadStateDict round-trip in place, keeping parameter identity', () => {
    const a = new TwoTower();
    const b = new TwoTower();
    const pb = b.parameters()[0];
    const sd = a.stateDict();
    b.loadStateDict(sd);
    expect(b.parameters()[0]).toBe(pb);
    expect(b.parameters().map((p) => Array.from(p.dataSync()))).toEqual(a.parameters().map((p) => Array.from(p.dataSync())));
    mt.dispose(sd);
    a.dispose(); b.dispose();
  });

  it('loadStateDict lists every bad name and shape before writing anything', () => {
    const a = new TwoTower();
    const sd = a.stateDict();
    const wrong = mt.zeros([2, 2], { dtype: 'float64' });
    const before = Array.from(a.experts.at(0).parameters()[1].dataSync());
    const bad = { ...sd, 'experts.0.fc1.weight': wrong, 'extra.weight': wrong } as Record<string, mt.Tensor>;
    delete bad['towers.ctr.mlp.fc2.bias'];
    bad['experts.0.fc1.bias'] = mt.zeros([5], { dtype: 'float64' });
    expect(() => a.loadStateDict(bad)).toThrow(/'experts\.0\.fc1\.weight': expected shape \[5,4\], got \[2,2\].*missing keys: towers\.ctr\.mlp\.fc2\.bias.*unexpected keys: extra\.weight/);
    expect(Array.from(a.experts.at(0).parameters()[1].dataSync())).toEqual(before);
    const res = a.loadStateDict({ 'experts.0.fc1.bias': bad['experts.0.fc1.bias'] }, { strict: false });
    expect(res.unexpected).toEqual([]);
    expect(res.missing.length).toBe(a.namedParameters().length - 1);
    expect(Array.from(a.experts.at(0).parameters()[1].dataSync())).toEqual([0, 0, 0, 0, 0]);
    mt.dispose([sd, wrong, bad]);
    a.dispose();
  });

  it('modules built inside tidy keep their parameters', () => {
    const m = mt.tidy(() => new nn.Linear(3, 2));
    expect(m.weight.isDisposed).toBe(false);
    expect(m.forward(mt.ones([1, 3])).shape).toEqual([1, 2]);
    m.dispose();
  });
});
