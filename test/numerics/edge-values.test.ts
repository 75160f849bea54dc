/**
 * Edge values for every loss and reduction, forward and gradient, on every backend: ±∞, NaN in masked rows (no
 * effect at all) and unmasked (propagates), probabilities of exactly 0 and 1, empty rows. Expected values are
 * worked out by hand in the comments.
 */
import { describe, expect, it } from 'vitest';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { availability } from '../conformance/backends.js';

const INF = Infinity;

interface EdgeCase {
  name: string;
  /** Input values (the first `diff` are differentiated). */
  inputs: { values: number[]; shape?: number[]; int?: boolean }[];
  diff: number;
  run: (...xs: Tensor[]) => Tensor;
  out: number[];
  /** Expected gradients of sum(out) for each differentiated input. */
  grads: number[][];
}

const L = Math.log;
const sig = (x: number) => 1 / (1 + Math.exp(-x));

const CASES: EdgeCase[] = [
  // bce, p ∈ {0, 1}: per = [−log(1−0), −log 1, −max(log 0, −100), −max(log 0, −100)] = [0, 0, 100, 100], mean 50.
  // d/dp: p=0,y=0 → 1/(1−p) = 1; p=1,y=1 → −1/p = −1; clamped entries → 0; all /4.
  {
    name: 'bce at p = 0 and 1',
    inputs: [{ values: [0, 1, 0, 1] }, { values: [0, 1, 1, 0] }],
    diff: 1,
    run: (p, y) => mt.bce(p, y),
    out: [50],
    grads: [[0.25, -0.25, 0, 0]],
  },
  // masked-out NaN probability: only row 0 counts: −log 0.5; d/dp = −1/0.5 = −2.
  {
    name: 'bce with a masked NaN',
    inputs: [{ values: [0.5, NaN] }, { values: [1, 1] }, { values: [1, 0] }],
    diff: 1,
    run: (p, y, m) => mt.bce(p, y, { mask: m }),
    out: [L(2)],
    grads: [[-2, 0]],
  },
  {
    name: 'bce with an unmasked NaN propagates',
    inputs: [{ values: [0.5, NaN] }, { values: [1, 1] }],
    diff: 0,
    run: (p, y) => mt.bce(p, y),
    out: [NaN],
    grads: [],
  },
  // bceWithLogits, masked-out NaN logit (and an undefined label): log(1 + e^0) = log 2; d/dx = σ(0) − 1 = −0.5.
  {
    name: 'bceWithLogits with a masked NaN logit',
    inputs: [{ values: [0, NaN] }, { values: [1, NaN] }, { values: [1, 0] }],
    diff: 1,
    run: (x, y, m) => mt.bceWithLogits(x, y, { mask: m }),
    out: [L(2)],
    grads: [[-0.5, 0]],
  },
  // The masked NaN must not poison a shared weight: x = w + log c with c = [e, −1] gives [w + 1, NaN];
  // loss (sum) = softplus(−(w + 1)) at w = 0.5; dL/dw = σ(1.5) − 1 (the NaN row adds exactly 0).
  {
    name: 'bceWithLogits: a masked NaN row does not reach a shared weight',
    inputs: [{ values: [0.5] }, { values: [Math.E, -1] }, { values: [1, 1] }, { values: [1, 0] }],
    diff: 1,
    run: (w, c, y, m) => mt.bceWithLogits(mt.add(w, mt.log(c)), y, { mask: m, reduction: 'sum' }),
    out: [L(1 + Math.exp(-1.5))],
    grads: [[sig(1.5) - 1]],
  },
  // weight NaN in a masked row does not count either.
  {
    name: 'bceWithLogits with a NaN weight in a masked row',
    inputs: [{ values: [0, 3] }, { values: [1, 0] }, { values: [2, NaN] }, { values: [1, 0] }],
    diff: 1,
    run: (x, y, w, m) => mt.bceWithLogits(x, y, { weight: w, mask: m }),
    out: [2 * L(2)],
    grads: [[-1, 0]],
  },
  // ±∞ logits with the labels they predict: loss 0, gradient σ(x) − y = 0.
  {
    name: 'bceWithLogits at ±∞ logits, right labels',
    inputs: [{ values: [INF, -INF] }, { values: [1, 0] }],
    diff: 1,
    run: (x, y) => mt.bceWithLogits(x, y),
    out: [0],
    grads: [[0, 0]],
  },
  {
    name: 'mse with a masked NaN prediction',
    inputs: [{ values: [1, NaN] }, { values: [0, 5] }, { values: [1, 0] }],
    diff: 1,
    run: (p, t, m) => mt.mse(p, t, { mask: m }),
    out: [1],
    grads: [[2, 0]],
  },
  {
    name: 'mse with an unmasked ∞ prediction',
    inputs: [{ values: [1, INF] }, { values: [0, 5] }],
    diff: 0,
    run: (p, t) => mt.mse(p, t),
    out: [INF],
    grads: [],
  },
  {
    name: 'huber with a masked ∞ prediction',
    inputs: [{ values: [0.5, INF] }, { values: [0, 0] }, { values: [1, 0] }],
    diff: 1,
    run: (p, t, m) => mt.huber(p, t, { mask: m }),
    out: [0.125],
    grads: [[0.5, 0]],
  },
  // crossEntropy: row 1 masked with NaN logits and label 99; row 0: −log softmax([1,2,3])[2].
  {
    name: 'crossEntropy with a masked NaN row and an undefined label',
    inputs: [{ values: [1, 2, 3, NaN, 0, 0], shape: [2, 3] }, { values: [2, 99], int: true }, { values: [1, 0] }],
    diff: 1,
    run: (x, l, m) => mt.crossEntropy(x, l, { mask: m }),
    out: [L(Math.exp(1) + Math.exp(2) + Math.exp(3)) - 3],
    grads: [
      [
        ...[1, 2, 3]
          .map((v) => Math.exp(v) / (Math.exp(1) + Math.exp(2) + Math.exp(3)))
          .map((v, i) => v - (i === 2 ? 1 : 0)),
        0,
        0,
        0,
      ],
    ],
  },
  // a −∞ logit (a class ruled out): −log softmax([0, −∞, 0])[0] = log 2; gradient softmax − onehot = [−0.5, 0, 0.5].
  {
    name: 'crossEntropy with a −∞ logit',
    inputs: [
      { values: [0, -INF, 0], shape: [1, 3] },
      { values: [0], int: true },
    ],
    diff: 1,
    run: (x, l) => mt.crossEntropy(x, l),
    out: [L(2)],
    grads: [[-0.5, 0, 0.5]],
  },
  {
    name: 'losses of empty batches are 0',
    inputs: [
      { values: [], shape: [0] },
      { values: [], shape: [0] },
    ],
    diff: 1,
    run: (p, t) => mt.stack([mt.mse(p, t), mt.bceWithLogits(p, t), mt.huber(p, t), mt.mse(p, t, { mask: t })]),
    out: [0, 0, 0, 0],
    grads: [[]],
  },
  {
    name: 'masked mean with nothing counted is 0',
    inputs: [{ values: [NaN, 1] }, { values: [0, 1] }, { values: [0, 0] }],
    diff: 1,
    run: (p, t, m) => mt.bceWithLogits(p, t, { mask: m }),
    out: [0],
    grads: [[0, 0]],
  },

  // ---- reductions
  {
    name: 'sum with +∞',
    inputs: [{ values: [1, INF, 2] }],
    diff: 1,
    run: (x) => mt.sum(x),
    out: [INF],
    grads: [[1, 1, 1]],
  },
  {
    name: 'sum over an empty axis is 0',
    inputs: [{ values: [], shape: [2, 0] }],
    diff: 1,
    run: (x) => mt.sum(x, 1),
    out: [0, 0],
    grads: [[]],
  },
  {
    name: 'mean with −∞',
    inputs: [{ values: [-INF, 1] }],
    diff: 1,
    run: (x) => mt.mean(x),
    out: [-INF],
    grads: [[0.5, 0.5]],
  },
  {
    name: 'max of an all −∞ row (tie: shared gradient)',
    inputs: [{ values: [-INF, -INF] }],
    diff: 1,
    run: (x) => mt.max(x),
    out: [-INF],
    grads: [[0.5, 0.5]],
  },
  { name: 'min with +∞', inputs: [{ values: [INF, 3] }], diff: 1, run: (x) => mt.min(x), out: [3], grads: [[0, 1]] },
  {
    name: 'logsumexp of an all −∞ row is −∞ with gradient 0',
    inputs: [{ values: [-INF, -INF, 0, 1], shape: [2, 2] }],
    diff: 1,
    run: (x) => mt.logsumexp(x, 1),
    out: [-INF, L(1 + Math.E)],
    grads: [[0, 0, 1 / (1 + Math.E), Math.E / (1 + Math.E)]],
  },
  {
    name: 'logsumexp of a row with +∞ is +∞',
    inputs: [{ values: [INF, 1, 2, 3], shape: [2, 2] }],
    diff: 1,
    run: (x) => mt.logsumexp(x, 1),
    out: [INF, 3 + L(1 + Math.exp(-1))],
    grads: [[0, 0, sig(-1), sig(1)]],
  },
  {
    name: 'logsumexp with one −∞ entry',
    inputs: [{ values: [-INF, 0] }],
    diff: 1,
    run: (x) => mt.logsumexp(x),
    out: [0],
    grads: [[0, 1]],
  },
  {
    name: 'logsumexp of an empty row is −∞',
    inputs: [{ values: [], shape: [3, 0] }],
    diff: 1,
    run: (x) => mt.logsumexp(x, 1),
    out: [-INF, -INF, -INF],
    grads: [],
  },
  {
    name: 'softmax with −∞',
    inputs: [{ values: [-INF, 0, 0] }],
    diff: 1,
    run: (x) => mt.mul(mt.softmax(x), mt.tensor([1, 2, 3], { backend: x.backendName })),
    out: [0, 1, 1.5],
    // d/dx Σ w·softmax(x): s_i (w_i − Σ w s) with s = [0, ½, ½], Σ w s = 2.5 → [0, −0.25, 0.25]
    grads: [[0, -0.25, 0.25]],
  },
  {
    name: 'logSoftmax with −∞',
    inputs: [{ values: [-INF, 0] }],
    diff: 1,
    run: (x) => mt.logSoftmax(x),
    out: [-INF, 0],
    // g − softmax·Σg with g = 1: [1 − 0, 1 − 2]
    grads: [[1, -1]],
  },
  {
    name: 'var with a masked-looking constant row is 0',
    inputs: [{ values: [2, 2, 2] }],
    diff: 1,
    run: (x) => mt.var(x),
    out: [0],
    grads: [[0, 0, 0]],
  },
];

function expectValues(got: ArrayLike<number>, want: number[], what: string): void {
  expect(got.length, `${what}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!,
      w = want[i]!;
    if (Number.isNaN(w)) expect(g, `${what}[${i}]`).toBeNaN();
    else if (!Number.isFinite(w)) expect(g, `${what}[${i}]`).toBe(w);
    else expect(Math.abs(g - w), `${what}[${i}] = ${g}, expected ${w}`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(w));
  }
}

for (const b of availability) {
  describe.skipIf(!b.available)(`edge values: ${b.name}${b.available ? '' : ` (skipped: ${b.reason})`}`, () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const kept = mt.tidy(() => {
          const xs = c.inputs.map((s, i) =>
            s.int
              ? mt.tensor(Int32Array.from(s.values), { backend: b.name, shape: s.shape ?? [s.values.length] })
              : mt.tensor(Float32Array.from(s.values), {
                  backend: b.name,
                  shape: s.shape ?? [s.values.length],
                  requiresGrad: i < c.diff,
                }),
          );
          const out = c.run(...xs);
          const grads =
            c.diff > 0 && c.grads.length > 0 ? mt.grad(mt.sum(out), xs.slice(0, c.diff), { allowUnused: true }) : [];
          return { out, grads };
        });
        expectValues(await kept.out.data(), c.out, `${c.name} forward on ${b.name}`);
        for (let i = 0; i < c.grads.length; i++)
          expectValues(await kept.grads[i]!.data(), c.grads[i]!, `${c.name} gradient ${i} on ${b.name}`);
        mt.dispose(kept);
      });
    }
  });
}
