/** MMoE with the fused gatedMixture kernel equals the same model built from softmax + mul + sum: outputs and every gradient. */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { MMoE, PLE } from '../../src/models/index.js';
import { availableBackends } from '../conformance/backends.js';

describe.each(availableBackends)('fused vs unfused gating on %s', (backend) => {
  const dtype = backend === 'js' ? 'float64' : 'float32';
  const tol = dtype === 'float64' ? 1e-12 : 1e-5;

  it.each([['mmoe'], ['ple']] as const)('%s: forward and gradients match', async (kind) => {
    const config = {
      inputDim: 7,
      tasks: [{ name: 'a' }, { name: 'b', type: 'regression' }],
      expertDims: [6, 5],
      towerDims: [4],
    };
    const build = (fusedGating: boolean) => {
      mt.manualSeed(99); // same seed → identical initial weights
      return kind === 'mmoe'
        ? new MMoE({ ...config, numExperts: 4, fusedGating }, { backend, dtype })
        : new PLE({ ...config, levels: 2, specificExperts: 2, sharedExperts: 2, fusedGating }, { backend, dtype });
    };
    const fused = build(true),
      plain = build(false);
    const run = (m: MMoE | PLE, x: mt.Tensor, labels: Record<string, mt.Tensor>) => {
      const out = m.forward(x);
      const loss = m.loss(out, labels);
      return { out, grads: mt.grad(loss, [x, ...m.parameters()]), gates: m.lastGates() };
    };
    const r = mt.tidy(() => {
      const x = mt.randn([9, 7], { backend, dtype, requiresGrad: true });
      const labels = {
        a: mt.cast(mt.gt(mt.randn([9], { backend, dtype }), 0), dtype),
        b: mt.randn([9], { backend, dtype }),
      };
      return { f: run(fused, x, labels), p: run(plain, x, labels) };
    });
    for (const k of ['a', 'b']) {
      const [fo, po] = [await r.f.out[k].data(), await r.p.out[k].data()];
      fo.forEach((v, i) => expect(Math.abs(v - po[i])).toBeLessThan(tol));
      const [fg, pg] = [await r.f.gates[k].data(), await r.p.gates[k].data()];
      fg.forEach((v, i) => expect(Math.abs(v - pg[i])).toBeLessThan(tol));
    }
    expect(r.f.grads.length).toBe(r.p.grads.length);
    for (let i = 0; i < r.f.grads.length; i++) {
      const [fg, pg] = [await r.f.grads[i].data(), await r.p.grads[i].data()];
      let maxDiff = 0,
        maxAbs = 0;
      fg.forEach((v, j) => {
        maxDiff = Math.max(maxDiff, Math.abs(v - pg[j]));
        maxAbs = Math.max(maxAbs, Math.abs(pg[j]));
      });
      expect(maxAbs).toBeGreaterThan(0);
      expect(maxDiff).toBeLessThan(tol * Math.max(1, maxAbs));
    }
    mt.dispose(r);
  });
});
