/** The tape's contract: stopGradient, grad() vs backward(), hooks, retained graphs, and the errors it raises. */
import { describe, it, expect } from 'vitest';
import * as mt from '../../src/index.js';

const arr = (t: mt.Tensor) => Array.from(t.dataSync());

describe('stopGradient and noGrad', () => {
  it('stopGradient blocks gradient but keeps values', () => {
    const x = mt.tensor([1, 2, 3], { requiresGrad: true });
    const y = mt.mul(x, 2);
    const z = mt.add(mt.mul(mt.stopGradient(y), y), 0); // d/dx (c·2x) with c = 2x held constant = 2c = 4x
    mt.sum(z).backward();
    expect(arr(x.grad!)).toEqual([4, 8, 12]);
    expect(arr(mt.stopGradient(y))).toEqual([2, 4, 6]);
    expect(mt.stopGradient(y).requiresGrad).toBe(false);
    expect(y.detach().requiresGrad).toBe(false);
  });

  it('a loss only through stopGradient cannot be differentiated', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    expect(() => mt.sum(mt.stopGradient(x)).backward()).toThrow(/does not require grad/);
  });

  it('noGrad records nothing', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const y = mt.noGrad(() => mt.mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
    expect(mt.isGradEnabled()).toBe(true);
  });
});

describe('grad() gives per-task gradients without touching .grad', () => {
  it('two losses on a shared parameter give two separate gradients', () => {
    const w = mt.tensor([1, -2, 3], { requiresGrad: true });
    const shared = mt.mul(w, 2);
    const lossA = mt.sum(mt.square(shared)); // d/dw = 8w
    const lossB = mt.sum(mt.mul(shared, 5)); // d/dw = 10
    const [ga] = mt.grad(lossA, [w], { retainGraph: true });
    const [gb] = mt.grad(lossB, [w], { retainGraph: true });
    expect(arr(ga)).toEqual([8, -16, 24]);
    expect(arr(gb)).toEqual([10, 10, 10]);
    expect(w.grad).toBeNull();
    const [gsum] = mt.grad([lossA, lossB], [w], { retainGraph: true });
    expect(arr(gsum)).toEqual([18, -6, 34]);
  });

  it('gradient with respect to an intermediate tensor', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const h = mt.mul(x, 3);
    const loss = mt.sum(mt.square(h));
    const [gh, gx] = mt.grad(loss, [h, x]);
    expect(arr(gh)).toEqual([6, 12]);
    expect(arr(gx)).toEqual([18, 36]);
  });

  it('gradOutputs weights a non-scalar output', () => {
    const x = mt.tensor([1, 2, 3], { requiresGrad: true });
    const y = mt.mul(x, x);
    const [g] = mt.grad(y, [x], { gradOutputs: mt.tensor([1, 0, -1]) });
    expect(arr(g)).toEqual([2, 0, -6]);
  });

  it('unused inputs are an error unless allowUnused (then zeros)', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const u = mt.tensor([5], { requiresGrad: true });
    const loss = mt.sum(x);
    expect(() => mt.grad(loss, [u], { retainGraph: true })).toThrow(/not used/);
    expect(arr(mt.grad(loss, [x, u], { allowUnused: true })[1])).toEqual([0]);
  });
});

describe('backward()', () => {
  it('accumulates into .grad across calls', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    mt.sum(mt.mul(x, 3)).backward();
    mt.sum(mt.mul(x, 3)).backward();
    expect(arr(x.grad!)).toEqual([6, 6]);
  });

  it('a tensor used twice gets both contributions (diamond graph)', () => {
    const x = mt.tensor([2], { requiresGrad: true });
    const a = mt.mul(x, x);
    const b = mt.add(a, a);
    mt.sum(mt.mul(b, x)).backward(); // 2x³ → 6x² = 24
    expect(arr(x.grad!)).toEqual([24]);
  });

  it('non-scalar output without gradOutputs is an error', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    expect(() => mt.mul(x, 2).backward()).toThrow(/non-scalar output needs gradOutputs/);
  });

  it('a second backward through a freed graph is an error naming retainGraph', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const loss = mt.sum(mt.exp(x));
    loss.backward();
    expect(() => loss.backward()).toThrow(/retainGraph/);
  });

  it('retainGraph allows a second pass', () => {
    const x = mt.tensor([0], { requiresGrad: true });
    const loss = mt.sum(mt.exp(x));
    loss.backward({ retainGraph: true });
    loss.backward();
    expect(arr(x.grad!)).toEqual([2]);
  });

  it('in-place modification of a saved input is detected', () => {
    const w = mt.tensor([1, 2], { requiresGrad: true });
    const loss = mt.sum(mt.mul(w, w));
    w.version++; // what an optimizer step does
    expect(() => loss.backward()).toThrow(/modified in place/);
  });

  it('deep chains do not overflow the stack', () => {
    let x = mt.tensor([1], { requiresGrad: true });
    const x0 = x;
    for (let i = 0; i < 20000; i++) x = mt.add(x, 0);
    mt.sum(x).backward();
    expect(arr(x0.grad!)).toEqual([1]);
  });
});

describe('gradient hooks', () => {
  it('see and replace the gradient flowing into a tensor', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const h = mt.mul(x, 3);
    const seen: number[][] = [];
    h.registerHook((g) => {
      seen.push(arr(g));
      return mt.mul(g, 0);
    });
    const loss = mt.sum(mt.add(mt.mul(h, h), mt.mul(x, 1)));
    loss.backward();
    expect(seen).toEqual([[6, 12]]);
    expect(arr(x.grad!)).toEqual([1, 1]); // only the direct path survives
  });

  it('hooks on leaves change what is accumulated; removal works', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    const remove = x.registerHook((g) => mt.mul(g, 10));
    mt.sum(x).backward();
    expect(arr(x.grad!)).toEqual([10, 10]);
    remove();
    mt.sum(x).backward();
    expect(arr(x.grad!)).toEqual([11, 11]);
  });

  it('a hook returning the wrong shape is an error', () => {
    const x = mt.tensor([1, 2], { requiresGrad: true });
    x.registerHook(() => mt.tensor([1]));
    expect(() => mt.sum(x).backward()).toThrow(/gradient's shape/);
  });
});

describe('multi-output ops (split): one node for all pieces', () => {
  it("the backward runs once with every piece's gradient, zeros for an unused piece", () => {
    const x = mt.tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
    const [a, b, c] = mt.split(x, 3);
    expect(a!.node).toBe(c!.node);
    void b;
    mt.sum(mt.add(mt.mul(a!, 2), mt.mul(c!, c!))).backward();
    expect(arr(x.grad!)).toEqual([2, 2, 0, 0, 10, 12]);
  });

  it('grad() of a piece, of the input, and hooks on a piece', () => {
    const x = mt.tensor([1, 2, 3, 4], { requiresGrad: true });
    const [a, b] = mt.split(x, 2);
    b!.registerHook((g) => mt.mul(g, 10));
    const loss = mt.sum(mt.mul(mt.mul(a!, b!), 1));
    const [ga, gx] = mt.grad(loss, [a!, x], { retainGraph: true });
    expect(arr(ga!)).toEqual([3, 4]);
    expect(arr(gx!)).toEqual([3, 4, 10, 20]);
    // retained: a second pass through the same multi-output node gives the same result
    expect(arr(mt.grad(loss, [x])[0]!)).toEqual([3, 4, 10, 20]);
    expect(() => mt.grad(loss, [x])).toThrow(/already freed/);
  });

  it('a piece used by two losses and a piece that is a root', () => {
    const x = mt.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const [top, bottom] = mt.split(x, 2, 0);
    const gx = mt.grad([mt.sum(top!), bottom!], [x], { gradOutputs: [mt.tensor(2), mt.tensor([[5, 7]])] })[0]!;
    expect(arr(gx)).toEqual([2, 2, 5, 7]);
  });
});

describe('memory', () => {
  it('a training-like loop inside tidy keeps the live tensor count flat', () => {
    const w = mt.keep(mt.randn([4, 3], { requiresGrad: true }));
    const x = mt.keep(mt.randn([8, 4]));
    const step = () =>
      mt.tidy(() => {
        const loss = mt.mean(mt.square(mt.matmul(x, w)));
        const [g] = mt.grad(loss, [w]);
        return loss.itemSync() + g.dataSync().length;
      });
    step();
    const before = mt.memory().tensors;
    for (let i = 0; i < 50; i++) step();
    expect(mt.memory().tensors).toBe(before);
  });

  it('backward inside tidy leaves only the .grad tensors', () => {
    const w = mt.tensor([1, 2, 3], { requiresGrad: true });
    const before = mt.memory().tensors;
    mt.tidy(() => {
      mt.sum(mt.exp(mt.mul(w, w))).backward();
    });
    expect(mt.memory().tensors).toBe(before + 1);
    w.grad!.dispose();
    w.grad = null;
    expect(mt.memory().tensors).toBe(before);
  });
});

describe('the tape un-broadcasts gradients', () => {
  it('sums a gradient given at the broadcast shape down to the input shape (leading and size-1 axes)', () => {
    const x = mt.tensor([[1], [2]], { requiresGrad: true }); // [2,1]
    // A custom op whose backward hands back its gradient at the output shape [3,2,4].
    const y = mt.record('spread', [x], mt.zeros([3, 2, 4]), (g) => [g]);
    y.backward({ gradOutputs: mt.ones([3, 2, 4]) });
    expect(x.grad!.shape).toEqual([2, 1]);
    expect(arr(x.grad!)).toEqual([12, 12]);
  });

  it('a gradient that is not the input shape broadcast is an internal error naming the op', () => {
    const x = mt.tensor([1, 2, 3], { requiresGrad: true });
    const y = mt.record('badGrad', [x], mt.zeros([3]), () => [mt.zeros([2])]);
    expect(() => y.backward({ gradOutputs: mt.ones([3]) })).toThrow(
      /gradient of 'badGrad' for input 0 has shape \[2\], expected \[3\]/,
    );
  });

  it('a broadcast binary op leaves no tensor behind after backward', () => {
    const a = mt.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const b = mt.tensor([10, 20, 30], { requiresGrad: true });
    const before = mt.memory().tensors;
    mt.tidy(() => mt.sum(mt.mul(a, b)).backward());
    expect(arr(b.grad!)).toEqual([5, 7, 9]);
    expect(arr(a.grad!)).toEqual([10, 20, 30, 10, 20, 30]);
    expect(mt.memory().tensors).toBe(before + 2); // the two .grad tensors
  });
});
