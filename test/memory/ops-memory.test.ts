/**
 * Memory is finite outside tidy too: every public op (and a model's predict, grad, optimizers' step) called many
 * times with its results disposed leaves memory() — live tensors and bytes — exactly where it started, on every
 * backend; the same inside tidy; and with inputs that require grad (the graph an op records, with the intermediates
 * it saved, goes when its output is disposed or when backward consumes it).
 */
import { describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { availability } from '../conformance/backends.js';
import { makeInput, makeModel } from '../models/helpers.js';

type Inputs = Record<string, Tensor>;
interface MemCase {
  name: string;
  run: (t: Inputs) => unknown;
  grad?: boolean;
  calls?: number;
}

const CHEAP = 1000;

const UNARY = [
  'neg',
  'exp',
  'expm1',
  'log1p',
  'square',
  'abs',
  'sign',
  'floor',
  'ceil',
  'round',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'logSigmoid',
  'softplus',
  'erf',
  'relu',
  'elu',
  'leakyRelu',
  'gelu',
] as const;
const BINARY = ['add', 'sub', 'mul', 'div', 'minimum', 'maximum', 'mod', 'eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const;

const CASES: MemCase[] = [
  ...UNARY.map(
    (op): MemCase => ({ name: op, run: (t) => mt[op](t.a), grad: !['sign', 'floor', 'ceil', 'round'].includes(op) }),
  ),
  { name: 'log', run: (t) => mt.log(t.p), grad: true },
  { name: 'sqrt', run: (t) => mt.sqrt(t.p), grad: true },
  { name: 'rsqrt', run: (t) => mt.rsqrt(t.p), grad: true },
  { name: 'reciprocal', run: (t) => mt.reciprocal(t.p), grad: true },
  { name: 'geluTanh', run: (t) => mt.gelu(t.a, { approximate: 'tanh' }), grad: true },
  ...BINARY.map(
    (op): MemCase => ({
      name: op,
      run: (t) => mt[op](t.a, t.b),
      grad: !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op),
    }),
  ),
  ...BINARY.map(
    (op): MemCase => ({
      name: `${op} with a number`,
      run: (t) => mt[op](t.a, 1.5),
      grad: !['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(op),
    }),
  ),
  { name: 'number first (sub 1 - x)', run: (t) => mt.sub(1, t.a), grad: true },
  { name: 'pow', run: (t) => mt.pow(t.p, t.b), grad: true },
  { name: 'broadcast add (row)', run: (t) => mt.add(t.a, t.row), grad: true },
  { name: 'clamp', run: (t) => mt.clamp(t.a, -0.5, 0.5), grad: true },
  { name: 'where', run: (t) => mt.where(t.mask, t.a, t.b), grad: true },
  { name: 'where with numbers', run: (t) => mt.where(t.mask, t.a, 0), grad: true },
  { name: 'cast', run: (t) => mt.cast(t.a, 'int32') },
  { name: 'sum', run: (t) => mt.sum(t.a), grad: true },
  { name: 'sum axis', run: (t) => mt.sum(t.a, 1), grad: true },
  { name: 'sum non-adjacent axes', run: (t) => mt.sum(t.cube, [0, 2]), grad: true },
  { name: 'mean', run: (t) => mt.mean(t.a, 0), grad: true },
  { name: 'max', run: (t) => mt.max(t.a, 1), grad: true },
  { name: 'min', run: (t) => mt.min(t.a), grad: true },
  { name: 'argmax', run: (t) => mt.argmax(t.a, 1) },
  { name: 'argmin', run: (t) => mt.argmin(t.a) },
  { name: 'var', run: (t) => mt.var(t.a, 1), grad: true },
  { name: 'logsumexp', run: (t) => mt.logsumexp(t.a, 1), grad: true },
  { name: 'softmax', run: (t) => mt.softmax(t.a), grad: true },
  { name: 'softmax axis 0', run: (t) => mt.softmax(t.a, 0), grad: true },
  { name: 'logSoftmax', run: (t) => mt.logSoftmax(t.a), grad: true },
  { name: 'sumToShape', run: (t) => mt.sumToShape(t.a, [1, 7]), grad: true },
  { name: 'reshape', run: (t) => mt.reshape(t.a, [7, 5]), grad: true },
  { name: 'flatten', run: (t) => mt.flatten(t.cube), grad: true },
  { name: 'permute', run: (t) => mt.permute(t.cube, [2, 0, 1]), grad: true },
  { name: 'transpose', run: (t) => mt.transpose(t.a), grad: true },
  { name: 'broadcastTo', run: (t) => mt.broadcastTo(t.row, [5, 7]), grad: true },
  { name: 'expand', run: (t) => mt.expand(t.row, [3, -1, -1]), grad: true },
  { name: 'squeeze', run: (t) => mt.squeeze(t.row), grad: true },
  { name: 'unsqueeze', run: (t) => mt.unsqueeze(t.a, 1), grad: true },
  {
    name: 'slice',
    run: (t) =>
      mt.slice(t.a, [
        [1, 4],
        [0, 7, 2],
      ]),
    grad: true,
  },
  { name: 'concat', run: (t) => mt.concat([t.a, t.b], 1), grad: true },
  { name: 'stack', run: (t) => mt.stack([t.a, t.b], 0), grad: true },
  { name: 'split', run: (t) => mt.split(t.a, [2, 3], 0), grad: true },
  { name: 'gather', run: (t) => mt.gather(t.a, t.idx, 0), grad: true },
  { name: 'indexSelect', run: (t) => mt.indexSelect(t.a, 1, t.idx), grad: true },
  { name: 'matmul', run: (t) => mt.matmul(t.a, t.w), grad: true },
  { name: 'matmul vector', run: (t) => mt.matmul(t.a, t.v7), grad: true },
  { name: 'matmul batched broadcast', run: (t) => mt.matmul(t.cube, t.w4), grad: true },
  { name: 'linear', run: (t) => mt.linear(t.a, t.lw, t.lb, 'relu'), grad: true },
  { name: 'linear gelu', run: (t) => mt.linear(t.a, t.lw, t.lb, 'gelu'), grad: true },
  { name: 'bceWithLogits', run: (t) => mt.bceWithLogits(t.a, t.target), grad: true },
  {
    name: 'bceWithLogits masked',
    run: (t) => mt.bceWithLogits(t.a, t.target, { mask: t.mask, weight: t.b }),
    grad: true,
  },
  { name: 'bce', run: (t) => mt.bce(t.prob, t.target), grad: true },
  { name: 'bce masked', run: (t) => mt.bce(t.prob, t.target, { mask: t.mask }), grad: true },
  { name: 'mse', run: (t) => mt.mse(t.a, t.target, { reduction: 'sum' }), grad: true },
  { name: 'huber', run: (t) => mt.huber(t.a, t.target, { reduction: 'none' }), grad: true },
  { name: 'oneHot', run: (t) => mt.oneHot(t.labels, 7) },
  { name: 'crossEntropy', run: (t) => mt.crossEntropy(t.a, t.labels), grad: true },
  { name: 'dropout', run: (t) => mt.dropout(t.a, 0.3), grad: true },
  { name: 'gatedMixture', run: (t) => mt.gatedMixture(t.experts, t.gates), grad: true },
  { name: 'stopGradient', run: (t) => mt.stopGradient(t.a) },
  {
    name: 'tensor',
    run: () =>
      mt.tensor([
        [1, 2],
        [3, 4],
      ]),
  },
  {
    name: 'zeros/ones/full/arange/eye',
    run: (t) => [
      mt.zeros([3], { backend: t.a.backendName }),
      mt.ones([2, 2], { backend: t.a.backendName }),
      mt.full([4], 2, { backend: t.a.backendName }),
      mt.arange(5, undefined, 1, { backend: t.a.backendName }),
      mt.eye(3, 3, { backend: t.a.backendName }),
    ],
  },
  { name: 'zerosLike/onesLike/fullLike', run: (t) => [mt.zerosLike(t.a), mt.onesLike(t.a), mt.fullLike(t.a, 3)] },
  {
    name: 'rand/randn/randint',
    run: (t) => [
      mt.rand([5], { backend: t.a.backendName }),
      mt.randn([5], { backend: t.a.backendName }),
      mt.randint(0, 4, [5], { backend: t.a.backendName }),
    ],
  },
  { name: 'Tensor methods', run: (t) => [t.a.add(1), t.a.logsumexp(1), t.a.var(0)], grad: true },
];

function makeInputs(backend: string, requiresGrad: boolean): Inputs {
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 4294967296;
  };
  const host = (shape: number[], f: () => number) => Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, f);
  const r = (shape: number[], low = -2, high = 2) =>
    mt.tensor(
      host(shape, () => low + rnd() * (high - low)),
      { shape, backend, requiresGrad },
    );
  const bits = (shape: number[], pOne: number) =>
    mt.tensor(
      host(shape, () => (rnd() < pOne ? 1 : 0)),
      { shape, backend },
    );
  const t: Inputs = {
    a: r([5, 7]),
    b: r([5, 7]),
    p: r([5, 7], 0.2, 3),
    row: r([1, 7]),
    cube: r([3, 4, 5]),
    w: r([7, 6]),
    v7: r([7]),
    w4: r([5, 2]),
    lw: r([3, 7]),
    lb: r([3]),
    prob: r([5, 7], 0.05, 0.95),
    experts: r([3, 4, 6]),
    gates: r([4, 3]),
    target: bits([5, 7], 0.5),
    mask: bits([5, 7], 0.7),
    idx: mt.tensor(Int32Array.from([4, 0, 2, 2]), { backend }),
    labels: mt.tensor(Int32Array.from([0, 6, 3, 1, 5]), { backend }),
  };
  for (const v of Object.values(t)) mt.keep(v);
  return t;
}

function snapshot(): [number, number] {
  const m = mt.memory();
  return [m.tensors, m.bytes];
}

function scalarOf(out: unknown): Tensor {
  const first = out instanceof mt.Tensor ? out : Array.isArray(out) ? out[0] : (out as { out: Tensor }).out;
  return mt.sum(mt.cast(first, 'float32'));
}

for (const b of availability) {
  // Dispatches on lavapipe (WebGPU on the CPU) cost far more than on the CPU backends: the 1,000 calls are split.
  const calls = b.name === 'webgpu' ? 250 : CHEAP;
  describe.skipIf(!b.available)(`memory outside tidy: ${b.name}${b.available ? '' : ` (skipped: ${b.reason})`}`, () => {
    for (const c of CASES) {
      it(c.name, async () => {
        const t = makeInputs(b.name, false);
        const tg = c.grad ? makeInputs(b.name, true) : null;
        const once = (inputs: Inputs) => mt.dispose(c.run(inputs));
        once(t);
        if (tg) once(tg);
        const start = snapshot();
        for (let i = 0; i < calls; i++) once(t);
        await t.a.data(); // lets WebGPU drain its queue (Dawn keeps every submitted command until then)
        expect(snapshot(), `${c.name}: ${calls} calls outside tidy, results disposed`).toEqual(start);
        for (let i = 0; i < 20; i++)
          mt.tidy(() => {
            c.run(t);
          });
        expect(snapshot(), `${c.name}: inside tidy`).toEqual(start);
        if (tg) {
          for (let i = 0; i < 20; i++) once(tg);
          expect(snapshot(), `${c.name}: inputs that require grad, graph never used`).toEqual(start);
          for (let i = 0; i < 20; i++) {
            const out = c.run(tg);
            const loss = scalarOf(out);
            const grads = mt.grad(
              loss,
              [tg.a, tg.b, tg.p, tg.cube, tg.lw, tg.experts, tg.prob, tg.row].filter((x) => x !== undefined),
              { allowUnused: true },
            );
            mt.dispose([out, loss, grads]);
          }
          expect(snapshot(), `${c.name}: grad() then dispose`).toEqual(start);
          await t.a.data();
          for (let i = 0; i < 20; i++) {
            const out = c.run(tg);
            const loss = scalarOf(out);
            loss.backward();
            mt.dispose([out, loss]);
          }
          for (const v of Object.values(tg))
            if (v.grad) {
              v.grad.dispose();
              v.grad = null;
            }
          expect(snapshot(), `${c.name}: backward() then dispose`).toEqual(start);
          for (let i = 0; i < 20; i++) {
            const out = c.run(tg);
            const loss = scalarOf(out);
            mt.dispose(mt.grad(loss, [tg.a], { retainGraph: true, allowUnused: true }));
            mt.dispose([out, loss]);
          }
          expect(snapshot(), `${c.name}: retained graph released by disposing its outputs`).toEqual(start);
        }
        await t.a.data();
        mt.dispose([t, tg]);
      }, 120_000);
    }

    it('model predict, grad and optimizer steps', () => {
      const place = { backend: b.name };
      const model = makeModel('mmoe', {}, place);
      const rnr = makeModel('rnr', {}, place);
      const x = mt.keep(makeInput('mmoe', 16, place) as Tensor);
      const ids = makeInput('rnr', 16, place) as { user: Tensor; item: Tensor };
      Object.values(ids).forEach((v) => mt.keep(v));
      const opts = [
        new mt.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 }),
        new mt.optim.Adam(model.parameters(), { lr: 1e-3 }),
        new mt.optim.AdamW(model.parameters(), { lr: 1e-3 }),
        new mt.optim.Adagrad(model.parameters(), { lr: 1e-2 }),
      ];
      const predict = () => {
        mt.dispose(model.predict(x));
        mt.dispose(rnr.predict(ids));
      };
      // The forward runs in a tidy that returns only the loss: its intermediates are disposed there, yet the graph
      // keeps what backward needs; grad/backward/step then run outside any tidy.
      const lossOf = () =>
        mt.tidy(() => {
          const out = model.forward(x);
          return mt.add(mt.sum(out.a), mt.sum(out.b));
        });
      const gradStep = () => {
        const loss = lossOf();
        const grads = mt.grad(loss, model.parameters());
        mt.dispose([grads, loss]);
      };
      const optStep = () => {
        for (const o of opts) {
          o.zeroGrad();
          const loss = lossOf();
          loss.backward();
          loss.dispose();
          o.step();
        }
      };
      predict();
      gradStep();
      optStep();
      const start = snapshot();
      const n = b.name === 'webgpu' ? 20 : 200;
      for (let i = 0; i < n; i++) predict();
      expect(snapshot(), 'predict').toEqual(start);
      for (let i = 0; i < n; i++) mt.tidy(predict);
      expect(snapshot(), 'predict in tidy').toEqual(start);
      for (let i = 0; i < n; i++) gradStep();
      expect(snapshot(), 'grad').toEqual(start);
      for (let i = 0; i < n / 4; i++) optStep();
      expect(snapshot(), 'optimizer step').toEqual(start);
    }, 300_000);
  });
}

describe('FinalizationRegistry safety net', () => {
  it('a tensor that is never disposed returns its storage when collected, and memory() counts it', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const start = mt.memory();
    (() => {
      for (let i = 0; i < 50; i++) mt.add(mt.ones([256]), 1);
    })();
    expect(mt.memory().tensors).toBe(start.tensors + 100);
    for (let i = 0; i < 20 && mt.memory().tensors > start.tensors; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    const end = mt.memory();
    expect(end.tensors).toBeLessThanOrEqual(start.tensors);
    expect(end.bytes).toBeLessThanOrEqual(start.bytes);
    expect(end.reclaimed - start.reclaimed).toBeGreaterThanOrEqual(100);
  });
});
