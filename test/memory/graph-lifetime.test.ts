/**
 * The recorded graph owns what its backward reads: intermediates disposed by a tidy, an op's scope or the caller stay
 * allocated until backward consumes the graph or its outputs are disposed, and not a moment longer.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';

const arr = (t: mt.Tensor) => Array.from(t.dataSync());

describe('graph lifetime', () => {
  it('a loss built inside tidy can be differentiated after it; disposing the loss frees the whole graph', () => {
    const w = mt.keep(mt.tensor([1, 2, 3], { requiresGrad: true }));
    const start = mt.memory();
    const loss = mt.tidy(() => mt.logsumexp(mt.mul(mt.exp(w), 2)));
    expect(mt.memory().tensors).toBeGreaterThan(start.tensors + 1); // the intermediates are held by the graph
    const [g] = mt.grad(loss, [w]);
    const e = [1, 2, 3].map((v) => 2 * Math.exp(v));
    // d/dw logsumexp(2e^w) = softmax(2e^w) · 2e^w
    const m = Math.max(...e);
    const z = e.map((v) => Math.exp(v - m));
    const zs = z.reduce((a, b) => a + b, 0);
    arr(g).forEach((v, i) => expect(v).toBeCloseTo((z[i] / zs) * e[i], 3));
    // the pass consumed the graph: only the loss and the gradient remain
    expect(mt.memory().tensors).toBe(start.tensors + 2);
    mt.dispose([g, loss]);
    expect([mt.memory().tensors, mt.memory().bytes]).toEqual([start.tensors, start.bytes]);
    w.dispose();
  });

  it('a disposed intermediate is unreadable to the caller, yet backward through it works', () => {
    const x = mt.tensor([1, -2, 3], { requiresGrad: true });
    const h = mt.square(x);
    const y = mt.sum(mt.mul(h, 3));
    h.dispose();
    expect(() => h.dataSync()).toThrow(/was disposed/);
    expect(() => mt.add(h, 1)).toThrow(/add: tensor #\d+ \[3\] was disposed/);
    y.backward();
    expect(arr(x.grad!)).toEqual([6, -12, 18]);
    expect(() => y.backward()).toThrow(/already freed/);
    mt.dispose([x, y]);
  });

  it('a retained graph lives until its output is disposed', () => {
    const x = mt.keep(mt.tensor([0.5, 1.5], { requiresGrad: true }));
    const start = mt.memory().tensors;
    const y = mt.tidy(() => mt.sum(mt.sigmoid(mt.mul(x, x))));
    mt.dispose(mt.grad(y, [x], { retainGraph: true }));
    const held = mt.memory().tensors;
    expect(held).toBeGreaterThan(start + 1);
    mt.dispose(mt.grad(y, [x], { retainGraph: true }));
    expect(mt.memory().tensors).toBe(held);
    y.dispose();
    expect(mt.memory().tensors).toBe(start);
    x.dispose();
  });

  it('an op scope inside a long tidy loop does not grow the scope bookkeeping with disposed tensors', () => {
    const x = mt.keep(mt.ones([4]));
    const start = mt.memory().tensors;
    mt.tidy(() => {
      for (let i = 0; i < 20_000; i++) mt.add(x, 1).dispose();
    });
    expect(mt.memory().tensors).toBe(start);
    x.dispose();
  });
});
