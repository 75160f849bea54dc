/**
 * The op cases every backend must pass, and that the float64 finite-difference gradient check runs on.
 * Shapes are deliberately odd (1, primes, non-multiples of tile sizes, empty where legal).
 */
import * as mt from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import type { Tolerance } from './compare.js';

export interface InputSpec {
  shape: number[];
  /** Float inputs are differentiated; int32 inputs are indices/labels. */
  int?: boolean;
  low?: number;
  high?: number;
  /** Not differentiated (e.g. targets, masks). */
  noGrad?: boolean;
  /** 0/1 values (masks). */
  binary?: boolean;
}

export interface OpCase {
  name: string;
  inputs: InputSpec[];
  run: (...xs: Tensor[]) => Tensor;
  /** Forward tolerance against the float64 reference for float32 backends. */
  tol?: Tolerance;
  /** false: forward only (not differentiable, or integer output). */
  grad?: boolean;
  /** Finite-difference check tolerance override. */
  fdTol?: Tolerance;
  /** Backends that cannot run it (with the reason in a comment at the case). */
  skip?: readonly string[];
}

const f = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, low: 0.2, high: 3 });
const within = (low: number, high: number, ...shape: number[]): InputSpec => ({ shape, low, high });
const idx = (high: number, ...shape: number[]): InputSpec => ({ shape, int: true, low: 0, high });
const target = (...shape: number[]): InputSpec => ({ shape, low: 0, high: 1, noGrad: true });
const mask = (...shape: number[]): InputSpec => ({ shape, binary: true, noGrad: true });

const unaryCases: OpCase[] = (
  [
    ['neg', f(3, 7)],
    ['exp', within(-3, 3, 17)],
    ['expm1', within(-3, 3, 5, 3)],
    ['log', pos(7, 3)],
    ['log1p', within(-0.5, 3, 33)],
    ['sqrt', pos(1, 17)],
    ['rsqrt', pos(13)],
    ['square', f(3, 5)],
    ['reciprocal', pos(7)],
    ['abs', f(65)],
    ['sin', f(17)],
    ['cos', f(17)],
    ['tanh', within(-4, 4, 3, 11)],
    ['sigmoid', within(-10, 10, 65)],
    ['logSigmoid', within(-30, 30, 33)],
    ['softplus', within(-30, 30, 33)],
    ['erf', within(-3, 3, 17)],
    ['relu', f(7, 5)],
    ['gelu', within(-4, 4, 31)],
    ['elu', f(19)],
    ['leakyRelu', f(19)],
  ] as const
).map(([name, spec]) => ({
  name,
  inputs: [spec],
  run: (x: Tensor) => (mt as unknown as Record<string, (t: Tensor) => Tensor>)[name](x),
}));

const forwardOnlyUnary: OpCase[] = (['sign', 'floor', 'ceil', 'round'] as const).map((name) => ({
  name,
  inputs: [within(-5, 5, 3, 17)],
  grad: false,
  run: (x: Tensor) => mt[name](x),
}));

export const CASES: OpCase[] = [
  ...unaryCases,
  ...forwardOnlyUnary,
  { name: 'geluTanh', inputs: [within(-4, 4, 29)], run: (x) => mt.gelu(x, { approximate: 'tanh' }) },
  { name: 'elu alpha', inputs: [f(13)], run: (x) => mt.elu(x, 0.7) },
  { name: 'leakyRelu alpha', inputs: [f(13)], run: (x) => mt.leakyRelu(x, 0.2) },
  // binary, with every broadcasting pattern
  { name: 'add same', inputs: [f(7, 3), f(7, 3)], run: (a, b) => mt.add(a, b) },
  { name: 'add broadcast 3d', inputs: [f(3, 1, 5), f(4, 5)], run: (a, b) => mt.add(a, b) },
  { name: 'add scalar', inputs: [f(17)], run: (a) => mt.add(a, 2.5) },
  { name: 'sub broadcast', inputs: [f(7), f(3, 7)], run: (a, b) => mt.sub(a, b) },
  { name: 'mul broadcast scalar tensor', inputs: [f(2, 3, 4), f(1)], run: (a, b) => mt.mul(a, b) },
  { name: 'mul outer', inputs: [f(5, 1), f(1, 6)], run: (a, b) => mt.mul(a, b) },
  { name: 'div', inputs: [f(3, 5), within(0.5, 2, 5)], run: (a, b) => mt.div(a, b) },
  { name: 'rdiv number', inputs: [pos(9)], run: (a) => mt.div(1, a) },
  { name: 'pow', inputs: [within(0.5, 2, 4, 3), within(-1, 2, 3)], run: (a, b) => mt.pow(a, b) },
  { name: 'pow number exponent', inputs: [within(0.5, 2, 7)], run: (a) => mt.pow(a, 3) },
  { name: 'minimum', inputs: [f(5, 4), f(4)], run: (a, b) => mt.minimum(a, b) },
  { name: 'maximum', inputs: [f(5, 4), f(5, 1)], run: (a, b) => mt.maximum(a, b) },
  { name: 'mod', inputs: [within(0.1, 5, 11), within(0.7, 2, 11)], run: (a, b) => mt.mod(a, b) },
  { name: 'clamp', inputs: [within(-3, 3, 23)], run: (x) => mt.clamp(x, -1, 1.5) },
  ...(['eq', 'ne', 'lt', 'le', 'gt', 'ge'] as const).map(
    (name): OpCase => ({
      name,
      inputs: [within(-2, 2, 4, 5), within(-2, 2, 5)],
      grad: false,
      run: (a, b) => mt[name](mt.round(a), mt.round(b)),
    }),
  ),
  {
    name: 'where',
    inputs: [{ shape: [3, 5], noGrad: true }, f(3, 5), f(5)],
    run: (c, a, b) => mt.where(mt.gt(c, 0), a, b),
  },
  {
    name: 'where scalar branch',
    inputs: [{ shape: [3, 5], noGrad: true }, f(3, 5)],
    run: (c, a) => mt.where(mt.gt(c, 0), a, 0),
  },
  // reductions
  { name: 'sum all', inputs: [f(7, 3, 5)], run: (x) => mt.sum(x) },
  { name: 'sum axis keepdim', inputs: [f(7, 3, 5)], run: (x) => mt.sum(x, 1, true) },
  { name: 'sum non-adjacent axes', inputs: [f(7, 3, 5)], run: (x) => mt.sum(x, [0, 2]) },
  { name: 'sum empty axis', inputs: [f(3, 0, 2)], run: (x) => mt.sum(x, 1), grad: false },
  { name: 'sum large', inputs: [f(257, 65)], run: (x) => mt.sum(x, 0), tol: { atol: 1e-4, rtol: 1e-4 } },
  { name: 'mean', inputs: [f(5, 17)], run: (x) => mt.mean(x, -1) },
  { name: 'max axis', inputs: [f(5, 17)], run: (x) => mt.max(x, 1) },
  { name: 'min all', inputs: [f(3, 7)], run: (x) => mt.min(x) },
  { name: 'max ties', inputs: [within(0, 2, 4, 6)], run: (x) => mt.max(mt.floor(x), 1), grad: false },
  { name: 'var', inputs: [f(4, 9)], run: (x) => mt.variance(x, 1) },
  { name: 'logsumexp', inputs: [within(-20, 20, 3, 33)], run: (x) => mt.logsumexp(x, 1) },
  { name: 'softmax last', inputs: [within(-5, 5, 7, 17)], run: (x) => mt.softmax(x, -1) },
  { name: 'softmax axis0', inputs: [within(-5, 5, 7, 3)], run: (x) => mt.softmax(x, 0) },
  { name: 'softmax wide', inputs: [within(-5, 5, 33, 257)], run: (x) => mt.softmax(x, -1) },
  { name: 'logSoftmax', inputs: [within(-30, 30, 5, 11)], run: (x) => mt.logSoftmax(x, 1) },
  { name: 'argmax', inputs: [f(7, 17)], run: (x) => mt.argmax(x, 1), grad: false },
  { name: 'argmin all', inputs: [f(3, 5)], run: (x) => mt.argmin(x), grad: false },
  // shape and movement
  { name: 'reshape', inputs: [f(3, 4, 5)], run: (x) => mt.reshape(x, [5, -1]) },
  { name: 'transpose', inputs: [f(7, 3)], run: (x) => mt.transpose(x) },
  { name: 'permute 3d', inputs: [f(3, 5, 7)], run: (x) => mt.permute(x, [2, 0, 1]) },
  { name: 'permute 4d', inputs: [f(2, 3, 4, 5)], run: (x) => mt.permute(x, [1, 3, 0, 2]) },
  { name: 'broadcastTo', inputs: [f(3, 1)], run: (x) => mt.broadcastTo(x, [2, 3, 5]) },
  {
    name: 'slice steps',
    inputs: [f(7, 9)],
    run: (x) =>
      mt.slice(x, [
        [1, 6, 2],
        [-5, undefined, 3],
      ]),
  },
  { name: 'slice to empty', inputs: [f(4, 3)], run: (x) => mt.slice(x, [[2, 2]]), grad: false },
  { name: 'concat 3', inputs: [f(3, 2), f(3, 5), f(3, 1)], run: (a, b, c) => mt.concat([a, b, c], 1) },
  { name: 'concat axis0', inputs: [f(2, 3), f(5, 3)], run: (a, b) => mt.concat([a, b], 0) },
  { name: 'stack', inputs: [f(3, 4), f(3, 4)], run: (a, b) => mt.stack([a, b], 1) },
  {
    name: 'split, a piece unused',
    inputs: [f(2, 9, 3)],
    run: (x) => {
      const [a, , c] = mt.split(x, 3, 1);
      return mt.mul(a, c);
    },
  },
  {
    name: 'split, pieces reused and empty',
    inputs: [f(5, 4)],
    run: (x) => {
      const [a, e, b] = mt.split(x, [2, 0, 3], 0);
      return mt.add(mt.mul(mt.sum(a, 0), mt.sum(b, 0)), mt.sum(mt.concat([b, e], 0), 0));
    },
  },
  {
    name: 'split',
    inputs: [f(7, 3)],
    run: (x) => {
      const [a, b] = mt.split(x, [4, 3], 0);
      return mt.sub(mt.sum(a, 0), mt.mul(mt.sum(b, 0), 2));
    },
  },
  { name: 'gather rows', inputs: [f(11, 5), idx(11, 7)], run: (x, i) => mt.gather(x, i, 0) },
  {
    name: 'gather repeated rows 2d index',
    inputs: [f(3, 4), { shape: [2, 5], int: true, low: 0, high: 3 }],
    run: (x, i) => mt.gather(x, i, 0),
  },
  { name: 'gather axis1', inputs: [f(3, 13, 2), idx(13, 17)], run: (x, i) => mt.gather(x, i, 1) },
  { name: 'squeeze unsqueeze', inputs: [f(3, 1, 4)], run: (x) => mt.unsqueeze(mt.squeeze(x, 1), 0) },
  // linear algebra
  { name: 'matmul 2d', inputs: [f(7, 17), f(17, 5)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul 1x1', inputs: [f(1, 1), f(1, 1)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul vec-mat', inputs: [f(17), f(17, 3)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul mat-vec', inputs: [f(3, 17), f(17)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul dot', inputs: [f(33), f(33)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul batched', inputs: [f(3, 4, 5), f(3, 5, 6)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul broadcast batch', inputs: [f(3, 4, 5), f(5, 6)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul partial broadcast', inputs: [f(2, 1, 3, 4), f(5, 4, 2)], run: (a, b) => mt.matmul(a, b) },
  { name: 'matmul empty rows', inputs: [f(0, 3), f(3, 4)], run: (a, b) => mt.matmul(a, b), grad: false },
  { name: 'matmul empty k', inputs: [f(3, 0), f(0, 4)], run: (a, b) => mt.matmul(a, b), grad: false },
  {
    name: 'matmul large',
    inputs: [f(65, 257), f(257, 33)],
    run: (a, b) => mt.matmul(a, b),
    tol: { atol: 1e-3, rtol: 1e-4 },
  },
  {
    name: 'matmul transpose operand',
    inputs: [f(17, 7), f(5, 17)],
    run: (a, b) => mt.matmul(mt.transpose(a), mt.transpose(b)),
  },
  { name: 'linear', inputs: [f(7, 5), f(3, 5), f(3)], run: (x, w, b) => mt.linear(x, w, b) },
  { name: 'linear no bias 3d', inputs: [f(2, 3, 5), f(4, 5)], run: (x, w) => mt.linear(x, w) },
  { name: 'linear relu', inputs: [f(9, 6), f(5, 6), f(5)], run: (x, w, b) => mt.linear(x, w, b, 'relu') },
  { name: 'linear sigmoid', inputs: [f(9, 6), f(5, 6), f(5)], run: (x, w, b) => mt.linear(x, w, b, 'sigmoid') },
  { name: 'linear tanh', inputs: [f(9, 6), f(5, 6), f(5)], run: (x, w, b) => mt.linear(x, w, b, 'tanh') },
  { name: 'linear gelu', inputs: [f(9, 6), f(5, 6), f(5)], run: (x, w, b) => mt.linear(x, w, b, 'gelu') },
  // losses
  { name: 'bceWithLogits', inputs: [within(-30, 30, 17), target(17)], run: (x, y) => mt.bceWithLogits(x, y) },
  {
    name: 'bceWithLogits weight mask',
    inputs: [f(13), target(13), pos(13), mask(13)],
    run: (x, y, w, m) => mt.bceWithLogits(x, y, { weight: w, mask: m }),
  },
  {
    name: 'bceWithLogits none',
    inputs: [f(3, 4), target(3, 4)],
    run: (x, y) => mt.bceWithLogits(x, y, { reduction: 'none' }),
  },
  { name: 'bce', inputs: [within(0.05, 0.95, 11), target(11)], run: (p, y) => mt.bce(p, y) },
  { name: 'mse sum', inputs: [f(5, 3), target(5, 3)], run: (p, y) => mt.mse(p, y, { reduction: 'sum' }) },
  { name: 'mse mask', inputs: [f(9), target(9), mask(9)], run: (p, y, m) => mt.mse(p, y, { mask: m }) },
  { name: 'huber', inputs: [within(-3, 3, 17), target(17)], run: (p, y) => mt.huber(p, y, { delta: 0.7 }) },
  { name: 'crossEntropy', inputs: [f(7, 5), idx(5, 7)], run: (x, l) => mt.crossEntropy(x, l) },
  // fused
  { name: 'gatedMixture', inputs: [f(3, 5, 7), f(5, 3)], run: (e, g) => mt.gatedMixture(e, g).out },
  { name: 'gatedMixture one expert', inputs: [f(1, 4, 3), f(4, 1)], run: (e, g) => mt.gatedMixture(e, g).out },
  {
    name: 'gatedMixture weights',
    inputs: [f(4, 6, 2), f(6, 4)],
    run: (e, g) => mt.gatedMixture(e, g).weights,
    grad: false,
  },
  { name: 'gatedMixture 2 gates', inputs: [f(3, 5, 7), f(2, 5, 3)], run: (e, g) => mt.gatedMixture(e, g).out },
  {
    name: 'gatedMixture batch-major',
    inputs: [f(5, 3, 7), f(5, 3)],
    run: (e, g) => mt.gatedMixture(e, g, { layout: 'BED' }).out,
  },
  {
    name: 'gatedMixture batch-major 3 gates',
    inputs: [f(4, 6, 9), f(3, 4, 6)],
    run: (e, g) => mt.gatedMixture(e, g, { layout: 'BED' }).out,
  },
  {
    name: 'gatedMixture fused relu',
    inputs: [f(3, 5, 7), f(5, 3)],
    run: (e, g) => mt.gatedMixture(e, g, { activation: 'relu' }).out,
  },
  {
    name: 'gatedMixture fused relu, batch-major, 2 gates',
    inputs: [f(5, 4, 6), f(2, 5, 4)],
    run: (e, g) => mt.gatedMixture(e, g, { layout: 'BED', activation: 'relu' }).out,
  },
  {
    name: 'gatedMixture 3 gates weights',
    inputs: [f(4, 2, 3), f(3, 2, 4)],
    run: (e, g) => mt.gatedMixture(e, g).weights,
    grad: false,
  },
];

/** Composite expressions for the gradient check: what the models are made of. */
export const COMPOSITES: OpCase[] = [
  {
    name: 'MLP 2 layers',
    inputs: [f(6, 5), f(8, 5), f(8), f(3, 8), f(3)],
    run: (x, w1, b1, w2, b2) => mt.sum(mt.tanh(mt.linear(mt.linear(x, w1, b1, 'relu'), w2, b2))),
  },
  {
    name: 'softmax gate over experts (unfused)',
    inputs: [f(5, 4), f(3, 4), f(3, 5, 6)],
    run: (x, wg, experts) => {
      const gate = mt.softmax(mt.matmul(x, mt.transpose(wg)), -1); // [5, 3]
      const mixed = mt.sum(mt.mul(mt.unsqueeze(mt.transpose(gate), 2), experts), 0); // [5, 6]
      return mt.sum(mt.square(mixed));
    },
  },
  {
    name: 'ESMM product of sigmoids',
    inputs: [f(9), f(9), target(9)],
    run: (ctr, cvr, y) => mt.bce(mt.mul(mt.sigmoid(ctr), mt.sigmoid(cvr)), y),
  },
  {
    name: 'embedding lookup + dot',
    inputs: [f(10, 4), idx(10, 6), f(4)],
    run: (table, ids, v) => mt.sum(mt.sigmoid(mt.matmul(mt.gather(table, ids, 0), v))),
  },
];
