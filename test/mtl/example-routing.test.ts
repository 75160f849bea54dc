/**
 * Per-example gradient routing on every backend: forward values unchanged, and the examples routed away from a
 * target contribute exactly zero there — checked both as exact zeros and as a target gradient that does not
 * change, bit for bit, when the routed-away examples' data changes.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import { mtl, nn } from '../../src/index.js';
import { availableBackends } from '../conformance/backends.js';
import { expectClose, placementFor, values } from '../nn/placement.js';

describe.each(availableBackends)('per-example gradient routing on %s', (backend) => {
  const { dtype, tol } = placementFor(backend);
  const place = { backend, dtype } as const;
  const leaf = (vals: number[], shape: number[]): mt.Tensor =>
    mt.keep(mt.tensor(vals, { ...place, shape, requiresGrad: true }));
  const mask = (vals: number[]): mt.Tensor => mt.keep(mt.tensor(vals, place));
  // 5 examples (a prime), 3 units; examples 1 and 3 are routed away.
  const B = 5,
    D = 3;
  const xs = Array.from({ length: B * D }, (_, i) => Math.sin(i + 1));
  const m = [1, 0, 1, 0, 1];

  it('routeGradient: same values; the unmasked rows get exactly zero gradient, the masked rows the usual one', async () => {
    const x = leaf(xs, [B, D]),
      mk = mask(m);
    const y = mt.tidy(() => {
      const r = mtl.routeGradient(x, mk);
      mt.sum(mt.square(r)).backward();
      return r;
    });
    expect(await values(y)).toEqual(await values(x));
    const g = await values(x.grad!);
    g.forEach((v, i) => {
      const row = Math.floor(i / D);
      if (m[row]) expect(Math.abs(v - 2 * xs[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(2 * xs[i])));
      else expect(v).toBe(0);
    });
    mt.dispose([x, mk, y]);
  });

  it('routeGradient on some units: only those units are restricted to the masked examples; a [B, 1] label mask works', async () => {
    const x = leaf(xs, [B, D]);
    const labels = mask([1, -1, 1, -1, 1]);
    mt.tidy(() =>
      mt.sum(mt.square(mtl.routeGradient(x, mt.gt(labels.reshape([B, 1]), 0), { axis: 1, indices: [2] }))).backward(),
    );
    const g = await values(x.grad!);
    g.forEach((v, i) => {
      const [row, unit] = [Math.floor(i / D), i % D];
      if (unit === 2 && !m[row]) expect(v).toBe(0);
      else expectClose([v], [2 * xs[i]], tol, `row ${row} unit ${unit}`);
    });
    expect(() => mtl.routeGradient(x, labels, { axis: 1 })).toThrow(/give both axis and indices/);
    expect(() => mtl.routeGradient(x, mask([1, 0]))).toThrow(
      /routeGradient: mask \S+ must hold one value per example \(5, axis 0 of x/,
    );
    expect(() => mtl.routeGradient(x, labels, { axis: 1, indices: [3] })).toThrow(
      /index 3 is out of range for axis 1 of size 3/,
    );
    mt.dispose([x, labels]);
  });

  it('routeExperts: an expert learns only from the masked examples; the others, and the gate input, from all', async () => {
    mt.manualSeed(3);
    const bank = new nn.ExpertBank(3, [4, 2], place);
    const input = mt.keep(
      mt.tensor(
        Array.from({ length: B * 4 }, (_, i) => Math.cos(i)),
        { ...place, shape: [B, 4] },
      ),
    );
    const mk = mask(m);
    const gradsFor = async (inp: mt.Tensor): Promise<number[][]> => {
      for (const p of bank.parameters()) {
        p.grad?.dispose();
        p.grad = null;
      }
      mt.tidy(() => mt.sum(mt.square(mtl.routeExperts(bank.forward(inp), mk, [1]))).backward());
      return Promise.all(bank.parameters().map((p) => values(p.grad!)));
    };
    const before = await gradsFor(input);
    // Change only the routed-away examples' inputs: expert 1's gradient must not move at all.
    const changed = mt.keep(
      mt.tidy(() => mt.add(input, mt.mul(mt.tensor([0, 1, 0, 1, 0], { ...place, shape: [B, 1] }), 0.7))),
    );
    const after = await gradsFor(changed);
    const E = 3;
    for (const [pi, p] of bank.parameters().entries()) {
      const per = p.size / E; // stacked per expert, expert-major
      for (let i = 0; i < p.size; i++) {
        const expert = Math.floor(i / per);
        if (expert === 1) expect(after[pi][i], `param ${pi} element ${i}`).toBe(before[pi][i]);
      }
      expect(after[pi].some((v, i) => Math.floor(i / per) !== 1 && v !== before[pi][i])).toBe(true);
    }
    bank.dispose();
    mt.dispose([input, changed, mk]);
  });

  it('routeParameters: W learns only from the masked examples, x from all of them; values unchanged', async () => {
    const x = leaf(xs, [B, D]);
    const W = leaf([0.5, -1, 0.25, 2, 1.5, -0.75], [D, 2]);
    const mk = mask(m);
    const y = mt.tidy(() => {
      const out = mtl.routeParameters(mk, (p) => mt.matmul(x, p(W)));
      mt.sum(mt.square(out)).backward();
      return out;
    });
    const plain = mt.tidy(() => mt.matmul(x, W));
    expect(await values(y)).toEqual(await values(plain));
    const gw = await values(W.grad!),
      gx = await values(x.grad!);
    // Reference: dW from the masked rows only; dx from every row, = 2·(xW)·Wᵀ.
    const Wv = await values(W),
      yv = await values(plain);
    const refW = [0, 1, 2].flatMap((i) =>
      [0, 1].map((j) => [0, 2, 4].reduce((s, b) => s + xs[b * D + i] * 2 * yv[b * 2 + j], 0)),
    );
    expectClose(gw, refW, tol * 10);
    expectClose(
      gx,
      Array.from({ length: B * D }, (_, k) =>
        [0, 1].reduce((s, j) => s + 2 * yv[Math.floor(k / D) * 2 + j] * Wv[(k % D) * 2 + j], 0),
      ),
      tol * 10,
    );
    // All examples routed away: exactly zero.
    W.grad!.dispose();
    W.grad = null;
    const none = mask([0, 0, 0, 0, 0]);
    mt.tidy(() => mt.sum(mt.square(mtl.routeParameters(none, (p) => mt.matmul(x, p(W))))).backward());
    expect((await values(W.grad!)).every((v) => v === 0)).toBe(true);
    mt.dispose([x, W, mk, y, plain, none]);
  });
});
